CREATE TABLE entries (id bigint PRIMARY KEY, amount numeric NOT NULL);
