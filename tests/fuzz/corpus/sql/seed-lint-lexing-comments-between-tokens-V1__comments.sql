ALTER TABLE users -- the users table
    /* drop the flag */ DROP COLUMN legacy_flag;
CREATE /* not CONCURRENTLY */ INDEX users_x_idx ON users (x);
