-- zdm: transaction=on
VACUUM ANALYZE users;
REINDEX SCHEMA app;
