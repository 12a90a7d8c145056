-- DROP TABLE users;
/* ALTER TABLE users DROP COLUMN email; /* nested: TRUNCATE users; */ still a comment */
ALTER TABLE users ADD COLUMN bio text; -- DROP COLUMN bio later
ALTER TABLE users /* DROP COLUMN */ ADD COLUMN avatar text;
