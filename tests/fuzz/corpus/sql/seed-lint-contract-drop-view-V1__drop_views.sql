DROP VIEW active_users;
DROP MATERIALIZED VIEW IF EXISTS sales_summary;
