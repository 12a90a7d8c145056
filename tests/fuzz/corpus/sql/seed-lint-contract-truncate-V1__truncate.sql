TRUNCATE TABLE sessions;
TRUNCATE ONLY audit_log, audit_log_archive RESTART IDENTITY CASCADE;
