DROP SEQUENCE invoice_no;
DROP TRIGGER users_touch ON users;
DROP EXTENSION IF EXISTS hstore;
DROP STATISTICS IF EXISTS users_city_zip;
