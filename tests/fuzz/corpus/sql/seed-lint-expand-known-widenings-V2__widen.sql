ALTER TABLE products ALTER COLUMN name TYPE varchar(100);
ALTER TABLE products ALTER COLUMN price TYPE numeric(12, 2);
ALTER TABLE products ALTER COLUMN note SET DATA TYPE text;
ALTER TABLE products ALTER COLUMN code TYPE text;
ALTER TABLE products ALTER COLUMN body TYPE pg_catalog.varchar;
ALTER TABLE products ALTER COLUMN id TYPE int8;
