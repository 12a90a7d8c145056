CREATE TABLE app.users (id bigint, email text);
