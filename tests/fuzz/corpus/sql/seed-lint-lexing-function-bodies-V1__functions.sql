CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
    DROP TABLE IF EXISTS scratch;
    TRUNCATE users;  -- never runs at migration time
    COMMIT;
END
$body$;
CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT i + 1;
END;
CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1; SELECT 2';
