-- zdm: phase=contract requires-app=5.0.0
DROP INDEX users_legacy_idx;
ALTER TABLE users DROP COLUMN legacy;
