-- App 2.x's queries in bench-pgroll (zdm-loadgen --mix v2=bench/pgroll/v2.sql):
-- it knows display_name (not full_name) and writes a nickname, which it
-- expects NOT NULL. App 1.x is tests/rollout/v1.sql as it is. Same shape
-- and weights as tests/rollout/v2.sql.
--
-- Parameters: $1 a random existing id, $2 a random name, $3 an email
-- unique to the request.

-- op: read weight=70
SELECT id, display_name, email, created_at, nickname FROM users WHERE id = $1

-- op: update weight=20
UPDATE users SET display_name = $2, nickname = $2 WHERE id = $1

-- op: insert weight=10
INSERT INTO users (display_name, email, nickname) VALUES ($2, $3, $2) RETURNING id
