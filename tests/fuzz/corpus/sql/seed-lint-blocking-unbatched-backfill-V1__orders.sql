CREATE TABLE orders (id bigint PRIMARY KEY, status text);
UPDATE orders SET status = 'new';
