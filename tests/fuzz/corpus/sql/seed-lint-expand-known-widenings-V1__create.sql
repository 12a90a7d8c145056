CREATE TABLE products (
    id bigint PRIMARY KEY,
    name character varying(50) NOT NULL,
    price numeric(10,2),
    note varchar(20),
    code varchar,
    body text
);
