UPDATE users SET display_name = full_name WHERE display_name IS NULL;
DELETE FROM users WHERE a = b;
UPDATE users SET a = 0 WHERE id = 42;
