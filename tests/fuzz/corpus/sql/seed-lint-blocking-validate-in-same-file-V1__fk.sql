ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
ALTER TABLE items ADD CONSTRAINT items_qty_check CHECK (qty > 0) NOT VALID, VALIDATE CONSTRAINT items_qty_check;
