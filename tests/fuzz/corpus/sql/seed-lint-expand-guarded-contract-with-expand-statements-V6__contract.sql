-- zdm: phase=contract requires-app=6.0.0
ALTER TABLE users ADD COLUMN note text;
COMMENT ON COLUMN users.note IS 'free text';
