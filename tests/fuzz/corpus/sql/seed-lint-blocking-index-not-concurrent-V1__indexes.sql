CREATE INDEX users_email_idx ON users (email);
CREATE UNIQUE INDEX IF NOT EXISTS users_login_key ON public.users (login);
CREATE INDEX ON app.events USING gin (payload);
