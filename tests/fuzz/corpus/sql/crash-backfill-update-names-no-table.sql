-- zdm: backfill table=users
UPDATE # SET a = 1 WHERE b IS NULL;
