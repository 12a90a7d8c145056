-- App 2.x's queries (zdm-loadgen --mix v2=tests/rollout/v2.sql): it reads
-- and writes only users.display_name, so it runs before and after the
-- contract (V3) drops full_name. Same shape and weights as v1.sql.
--
-- Parameters: $1 a random existing id (1..--ids), $2 a random name,
-- $3 an email unique to the request.

-- op: read weight=70
SELECT id, display_name, email, created_at FROM users WHERE id = $1

-- op: update weight=20
UPDATE users SET display_name = $2 WHERE id = $1

-- op: insert weight=10
INSERT INTO users (display_name, email) VALUES ($2, $3) RETURNING id
