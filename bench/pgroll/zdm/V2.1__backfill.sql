-- zdm: backfill table=users batch-time=100ms
-- The rows that existed before the trigger: both changes in one pass.
UPDATE users SET display_name = full_name, nickname = coalesce(nickname, 'none')
WHERE display_name IS NULL OR nickname IS NULL;
