-- Every row has a display_name and a nickname now (backfill) and keeps
-- them (trigger, CHECKs): validating scans the table under SHARE UPDATE
-- EXCLUSIVE, which blocks no reads or writes.
ALTER TABLE users VALIDATE CONSTRAINT users_display_name_not_null;
ALTER TABLE users VALIDATE CONSTRAINT users_nickname_not_null;
