CREATE TABLE users (id bigint PRIMARY KEY, full_name text, display_name text, a int, b int);
