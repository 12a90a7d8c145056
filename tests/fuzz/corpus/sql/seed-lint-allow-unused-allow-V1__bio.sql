CREATE TABLE notes (id int);
-- zdm: allow=index-not-concurrent reason="stale"
ALTER TABLE users ADD COLUMN bio text;
