create index concurrently if not exists orders_customer_placed_idx on ${schema}.orders (customer_id, placed_at);
