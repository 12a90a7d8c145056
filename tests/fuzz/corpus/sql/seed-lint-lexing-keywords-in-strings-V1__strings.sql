INSERT INTO audit (note) VALUES ('DROP TABLE users; ALTER TABLE users DROP COLUMN email');
INSERT INTO audit (note) VALUES (E'it\'s CREATE INDEX ON users (x);');
SELECT $tag$ TRUNCATE users; $tag$, $$ VACUUM FULL $$;
INSERT INTO audit (note) VALUES ('BEGIN'), ('COMMIT');
