ALTER TABLE staging.imports SET SCHEMA public;
CREATE INDEX imports_id_idx ON imports (id);
