ALTER TABLE users ADD COLUMN bio text;
-- zdm: allow=drop-table reason="nothing follows"
