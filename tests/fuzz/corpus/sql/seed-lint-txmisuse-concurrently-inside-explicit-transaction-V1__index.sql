-- zdm: transaction=off
BEGIN;
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
COMMIT;
CREATE INDEX CONCURRENTLY users_login_idx ON users (login);
