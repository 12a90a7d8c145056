-- zdm: phase=contract requires-app=2.0.0
-- Contract: once a rollout of app 2.0.0 (which reads and writes only
-- display_name) has completed, nothing uses full_name any more. zdm defers
-- this file until the deployment log shows that rollout, so it can ship in
-- the same release as the code switch and runs at the first safe moment.
DROP TRIGGER users_sync_display_name ON users;
DROP FUNCTION users_sync_display_name();
ALTER TABLE users DROP COLUMN full_name;
