-- zdm: transaction=off
SET statement_timeout = 0;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
CREATE UNIQUE INDEX CONCURRENTLY users_login_key ON public.users USING btree (lower(login)) WHERE deleted_at IS NULL;
