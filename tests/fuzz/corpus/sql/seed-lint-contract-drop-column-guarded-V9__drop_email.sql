-- zdm: phase=contract requires-app=4.0.0 lock-timeout=2s
ALTER TABLE users DROP COLUMN legacy_flag;
