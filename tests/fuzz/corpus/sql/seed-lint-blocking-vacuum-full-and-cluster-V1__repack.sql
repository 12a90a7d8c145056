-- zdm: transaction=off
VACUUM FULL users;
VACUUM (FULL, ANALYZE) orders;
CLUSTER users USING users_pkey;
VACUUM (FULL false) orders;
