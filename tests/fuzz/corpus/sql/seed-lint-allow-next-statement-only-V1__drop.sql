ALTER TABLE users ADD COLUMN x int;
-- zdm: allow=drop-column reason="legacy_a unused since 1.4"
ALTER TABLE users DROP COLUMN legacy_a;
ALTER TABLE users DROP COLUMN legacy_b;
