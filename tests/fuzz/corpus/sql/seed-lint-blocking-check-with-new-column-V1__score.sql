ALTER TABLE users ADD COLUMN score int DEFAULT 0 CHECK (score >= 0);
