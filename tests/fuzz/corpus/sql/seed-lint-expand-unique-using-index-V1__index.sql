-- zdm: transaction=off
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
CREATE UNIQUE INDEX CONCURRENTLY accounts_pkey_idx ON accounts (id);
