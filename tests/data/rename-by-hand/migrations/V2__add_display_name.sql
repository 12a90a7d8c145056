-- Expand: app 2.0.0 renames full_name to display_name. While 1.x and 2.x
-- pods run side by side, both columns exist and a trigger keeps them
-- equal in both directions, so old code that writes only full_name and
-- new code that writes only display_name both work, inserts included.
ALTER TABLE users ADD COLUMN display_name text;

CREATE FUNCTION users_sync_display_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- NOT NULL on full_name is checked after BEFORE triggers run
        NEW.display_name := coalesce(NEW.display_name, NEW.full_name);
        NEW.full_name := coalesce(NEW.full_name, NEW.display_name);
    ELSIF NEW.display_name IS DISTINCT FROM OLD.display_name THEN
        NEW.full_name := NEW.display_name;      -- written by 2.x
    ELSIF NEW.full_name IS DISTINCT FROM OLD.full_name THEN
        NEW.display_name := NEW.full_name;      -- written by 1.x
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_sync_display_name
    BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_sync_display_name();
