UPDATE orders SET status = 'pending';
DELETE FROM ONLY orders;
UPDATE users SET plan = 'free'; -- a pre-existing table
UPDATE orders SET status = 'x' WHERE id = 1;
WITH p AS (SELECT id FROM plans WHERE name = 'free')
UPDATE users SET plan_id = (SELECT id FROM p);
