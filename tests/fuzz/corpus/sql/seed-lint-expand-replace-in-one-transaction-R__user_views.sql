DROP VIEW IF EXISTS user_emails;
CREATE VIEW user_emails AS SELECT id, lower(email) AS email FROM users;
DROP FUNCTION IF EXISTS full_name(users);
CREATE FUNCTION full_name(u users) RETURNS text LANGUAGE sql AS $$ SELECT u.first || ' ' || u.last $$;
