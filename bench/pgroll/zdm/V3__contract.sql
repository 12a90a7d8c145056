-- zdm: phase=contract requires-app=2.0.0
-- Contract, once no 1.x runs: the old column and the trigger go, and the
-- validated CHECKs let SET NOT NULL skip its scan.
DROP TRIGGER users_expand_2 ON users;
DROP FUNCTION users_expand_2();
ALTER TABLE users DROP COLUMN full_name;
ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_display_name_not_null;
ALTER TABLE users ALTER COLUMN nickname SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_nickname_not_null;
