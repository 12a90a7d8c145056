CREATE TABLE accounts (id bigint, owner text);
