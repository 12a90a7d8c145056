-- zdm: transaction=on
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
DROP INDEX CONCURRENTLY users_old_idx;
REINDEX INDEX CONCURRENTLY users_email_idx;
ALTER TABLE measurements DETACH PARTITION measurements_2019 CONCURRENTLY;
