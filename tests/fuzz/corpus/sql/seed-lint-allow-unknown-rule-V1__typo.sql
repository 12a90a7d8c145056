CREATE TABLE notes (id int);
-- zdm: allow=drop-colum reason="typo"
ALTER TABLE users DROP COLUMN legacy;
