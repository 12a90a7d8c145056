CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    org_id bigint,
    nickname varchar(30)
);
CREATE INDEX users_email_idx ON users (email);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);
ALTER TABLE users ADD CONSTRAINT users_nick_check CHECK (nickname <> '');
ALTER TABLE users ADD CONSTRAINT users_email_uniq UNIQUE (email);
ALTER TABLE users ALTER COLUMN nickname SET NOT NULL;
ALTER TABLE users ALTER COLUMN nickname TYPE text;
ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
ALTER TABLE users RENAME COLUMN nickname TO handle;
ALTER TABLE users DROP COLUMN handle;
UPDATE users SET org_id = 1;
