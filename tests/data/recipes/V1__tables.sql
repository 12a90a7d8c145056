-- Every recipe of docs/recipes.md on one schema (recipe.bats applies this
-- directory; tests/fuzz/seed.sh makes it a seed of the source fuzzer).
CREATE TABLE users (id bigserial PRIMARY KEY, full_name text NOT NULL, email text, nickname text, legacy int, amount integer);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint);
INSERT INTO users (full_name, email, amount) SELECT 'u' || g, 'u' || g || '@example.com', g FROM generate_series(1, 200) g;
INSERT INTO orders (user_id) SELECT g FROM generate_series(1, 200) g;
