-- Expand of release 2.0.0, written by hand the way chart-example does it:
-- full_name is renamed to display_name, and nickname becomes NOT NULL
-- (missing ones become 'none', pgroll's "up" expression in
-- ../pgroll/02_rename_set_not_null.yaml). While 1.x and 2.x run side by
-- side, a trigger keeps full_name and display_name equal in both
-- directions and fills a missing nickname; the CHECKs (display_name keeps
-- full_name's NOT NULL) are NOT VALID so that adding them scans nothing,
-- and V2.2 validates them after the backfill.
ALTER TABLE users ADD COLUMN display_name text;

CREATE FUNCTION users_expand_2() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.display_name := coalesce(NEW.display_name, NEW.full_name);
        NEW.full_name := coalesce(NEW.full_name, NEW.display_name);
    ELSIF NEW.display_name IS DISTINCT FROM OLD.display_name THEN
        NEW.full_name := NEW.display_name;      -- written by 2.x
    ELSIF NEW.full_name IS DISTINCT FROM OLD.full_name THEN
        NEW.display_name := NEW.full_name;      -- written by 1.x
    END IF;
    NEW.display_name := coalesce(NEW.display_name, NEW.full_name);
    NEW.nickname := coalesce(NEW.nickname, 'none');
    RETURN NEW;
END
$$;

CREATE TRIGGER users_expand_2
    BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_expand_2();

ALTER TABLE users ADD CONSTRAINT users_display_name_not_null
    CHECK (display_name IS NOT NULL) NOT VALID;
ALTER TABLE users ADD CONSTRAINT users_nickname_not_null
    CHECK (nickname IS NOT NULL) NOT VALID;
