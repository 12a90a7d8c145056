ALTER TABLE users ALTER COLUMN nickname TYPE varchar(40);
ALTER TABLE users ALTER COLUMN nickname TYPE varchar(10);
