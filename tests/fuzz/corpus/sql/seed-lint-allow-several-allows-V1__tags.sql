ALTER TABLE users ADD COLUMN x int;
-- zdm: allow=constraint-builds-index reason="tags is tiny"
-- zdm: allow=add-unique-constraint reason="the app dedups since 2.1"
ALTER TABLE tags ADD CONSTRAINT tags_name_key UNIQUE (name);
