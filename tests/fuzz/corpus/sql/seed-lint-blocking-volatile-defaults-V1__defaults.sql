ALTER TABLE users ADD COLUMN uid uuid DEFAULT gen_random_uuid();
ALTER TABLE users ADD COLUMN shard int NOT NULL DEFAULT (floor(random() * 16))::int;
ALTER TABLE users ADD COLUMN legacy_uid uuid DEFAULT public.uuid_generate_v4();
ALTER TABLE users ADD COLUMN seq_no bigint DEFAULT nextval('users_seq_no'::regclass);
ALTER TABLE users ADD COLUMN touched timestamptz DEFAULT clock_timestamp();
ALTER TABLE users ADD COLUMN row_no bigserial;
ALTER TABLE users ADD COLUMN ext_id bigint GENERATED ALWAYS AS IDENTITY;
