ALTER TABLE users ADD COLUMN locale text;
INSERT INTO audit (what) VALUES ('indexed');
