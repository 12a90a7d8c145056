-- zdm: transaction=off
BEGIN;
ALTER TABLE users ADD COLUMN locale text;
COMMIT;
