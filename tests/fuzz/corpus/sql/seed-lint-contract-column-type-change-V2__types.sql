ALTER TABLE events ALTER COLUMN id TYPE bigint;
ALTER TABLE events ALTER COLUMN payload SET DATA TYPE jsonb USING payload::jsonb;
ALTER TABLE events ALTER COLUMN amount TYPE numeric(10, 4);
ALTER TABLE events ALTER COLUMN code TYPE varchar(10);
