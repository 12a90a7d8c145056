DROP INDEX users_email_idx;
DROP INDEX IF EXISTS app.events_kind_idx, app.events_at_idx;
