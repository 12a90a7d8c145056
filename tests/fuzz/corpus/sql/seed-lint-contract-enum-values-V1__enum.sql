ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';
DELETE FROM pg_catalog.pg_enum WHERE enumlabel = 'legacy' AND enumtypid = 'order_status'::regtype;
UPDATE pg_enum SET enumlabel = 'done' WHERE enumlabel = 'finished';
