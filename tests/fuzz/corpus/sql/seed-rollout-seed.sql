-- The rows that exist before a release: :rows users written by app 1.x
-- (psql -v rows=N -f tests/rollout/seed.sql, after V1). Triggers are off
-- for this session (superuser), so rows seeded after the expand migration
-- still look like pre-existing ones: display_name NULL, waiting for the
-- backfill.
SET session_replication_role = replica;
INSERT INTO users (full_name, email)
SELECT 'User ' || g, 'user' || g || '@example.com'
FROM generate_series(1, :rows) AS g;
RESET session_replication_role;
VACUUM ANALYZE users;
