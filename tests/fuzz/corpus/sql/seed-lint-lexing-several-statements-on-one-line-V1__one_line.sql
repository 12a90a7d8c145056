ALTER TABLE users ADD COLUMN a text; ALTER TABLE users DROP COLUMN b; CREATE INDEX users_a_idx ON users (a);
