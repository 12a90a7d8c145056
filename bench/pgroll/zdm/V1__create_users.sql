-- Release 1.0.0 (bench-pgroll): the users table of tests/rollout, with a
-- nullable nickname that release 2.0.0 makes NOT NULL. pgroll creates the
-- same table from ../pgroll/01_create_users.yaml.
CREATE TABLE users (
    id         bigserial PRIMARY KEY,
    full_name  text NOT NULL,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    nickname   text
);

CREATE UNIQUE INDEX users_email_key ON users (email);
