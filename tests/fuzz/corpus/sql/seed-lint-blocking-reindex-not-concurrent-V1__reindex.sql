REINDEX INDEX users_email_idx;
REINDEX (VERBOSE) TABLE users;
