BEGIN;
ALTER TABLE users ADD COLUMN locale text;
SAVEPOINT before_backfill;
ROLLBACK TO SAVEPOINT before_backfill;
COMMIT;
