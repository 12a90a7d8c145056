-- zdm: backfill table=users
UPDATE users SET display_name = full_name WHERE display_name IS NULL;
