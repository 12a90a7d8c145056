-- zdm: transaction=off
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
SELECT 'indexed';
