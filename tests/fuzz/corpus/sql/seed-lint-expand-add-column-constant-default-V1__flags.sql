ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE users ADD COLUMN seen_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'new'::text;
ALTER TABLE users ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN score numeric(10, 2) DEFAULT 0.0 NOT NULL;
ALTER TABLE users ADD COLUMN day date DEFAULT CURRENT_DATE;
