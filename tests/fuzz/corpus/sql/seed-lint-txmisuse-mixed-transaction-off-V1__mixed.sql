-- zdm: transaction=off
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
ALTER TABLE users ADD COLUMN locale text;
INSERT INTO audit (what) VALUES ('indexed');
