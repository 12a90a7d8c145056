UPDATE users SET plan = 'free' WHERE plan IS NULL AND id BETWEEN 1 AND 10000;
DELETE FROM sessions WHERE expires_at < now() - interval '30 days';
WITH stale AS (SELECT id FROM carts WHERE updated_at < now() - interval '1 year' LIMIT 1000)
DELETE FROM carts USING stale WHERE carts.id = stale.id;
UPDATE users u SET plan = p.name FROM plans p WHERE p.id = u.plan_id AND u.id < 5000;
