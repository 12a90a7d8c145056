-- zdm: allow=drop-column reason="both unused since 3.0"
ALTER TABLE users DROP COLUMN a, DROP COLUMN b;
