CREATE VIEW recent_orders AS SELECT * FROM orders WHERE created_at > now() - interval '7 days';
ALTER VIEW recent_orders RENAME TO last_week_orders;
ALTER VIEW last_week_orders OWNER TO reporting;
