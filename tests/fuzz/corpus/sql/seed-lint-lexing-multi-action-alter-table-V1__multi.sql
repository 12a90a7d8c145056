ALTER TABLE users
    ADD COLUMN locale text,
    DROP COLUMN legacy_flag,
    ALTER COLUMN email SET NOT NULL,
    ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID,
    ALTER COLUMN bio SET DEFAULT '',
    ADD CONSTRAINT users_email_key UNIQUE (email, tenant_id);
