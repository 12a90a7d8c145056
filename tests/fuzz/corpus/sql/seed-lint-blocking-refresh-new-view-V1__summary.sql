CREATE MATERIALIZED VIEW sales_summary AS SELECT shop_id, sum(total) FROM orders GROUP BY shop_id WITH NO DATA;
REFRESH MATERIALIZED VIEW sales_summary;
CREATE UNIQUE INDEX sales_summary_shop ON sales_summary (shop_id);
