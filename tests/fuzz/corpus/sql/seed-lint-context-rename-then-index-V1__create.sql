CREATE TABLE staging_orders (id bigint, user_id bigint);
ALTER TABLE staging_orders RENAME TO orders;
CREATE INDEX orders_id_idx ON orders (id);
