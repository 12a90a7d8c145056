CREATE FUNCTION overlaps2("begin" timestamptz, finish timestamptz) RETURNS boolean
LANGUAGE sql AS $$ SELECT "begin" < now() AND finish > now() $$;
DROP TABLE legacy_events;
