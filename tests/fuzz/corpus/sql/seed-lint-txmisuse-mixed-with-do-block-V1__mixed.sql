-- zdm: transaction=off
DO $$ BEGIN PERFORM 1; END $$;
DROP INDEX CONCURRENTLY IF EXISTS users_old_idx;
