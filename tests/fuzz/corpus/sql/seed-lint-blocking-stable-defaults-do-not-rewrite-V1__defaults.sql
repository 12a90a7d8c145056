ALTER TABLE users ADD COLUMN a timestamptz DEFAULT now();
ALTER TABLE users ADD COLUMN b timestamptz DEFAULT statement_timestamp();
ALTER TABLE users ADD COLUMN c timestamptz DEFAULT transaction_timestamp();
ALTER TABLE users ADD COLUMN d text DEFAULT 'random()';
ALTER TABLE users ADD COLUMN e timestamptz DEFAULT LOCALTIMESTAMP;
