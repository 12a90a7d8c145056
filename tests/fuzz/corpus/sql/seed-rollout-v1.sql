-- App 1.x's queries (zdm-loadgen --mix v1=tests/rollout/v1.sql): it knows
-- users.full_name and nothing of display_name.
--
-- Each statement follows a line "-- op: NAME weight=N"; ops are picked at
-- random by weight. Parameters: $1 a random existing id (1..--ids),
-- $2 a random name, $3 an email unique to the request.

-- op: read weight=70
SELECT id, full_name, email, created_at FROM users WHERE id = $1

-- op: update weight=20
UPDATE users SET full_name = $2 WHERE id = $1

-- op: insert weight=10
INSERT INTO users (full_name, email) VALUES ($2, $3) RETURNING id
