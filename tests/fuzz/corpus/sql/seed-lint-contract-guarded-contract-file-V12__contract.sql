-- zdm: phase=contract requires-app=7.2.0
DROP SCHEMA legacy CASCADE;
DROP VIEW old_report;
DROP FUNCTION old_total(bigint);
DROP TYPE old_status;
DROP SEQUENCE old_seq;
ALTER SCHEMA billing RENAME TO finance;
ALTER SEQUENCE invoice_no RENAME TO invoice_number;
ALTER TABLE users ALTER COLUMN status DROP DEFAULT;
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';
DELETE FROM pg_enum WHERE enumlabel = 'legacy';
TRUNCATE sessions;
