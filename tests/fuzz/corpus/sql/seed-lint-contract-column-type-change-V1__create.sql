CREATE TABLE events (id int PRIMARY KEY, payload json, amount numeric(10,2), code varchar(20));
