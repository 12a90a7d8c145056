DROP FUNCTION full_name(users);
DROP PROCEDURE IF EXISTS archive_orders(int, int);
