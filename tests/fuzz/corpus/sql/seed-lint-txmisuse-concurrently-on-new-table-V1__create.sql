CREATE TABLE tags (id bigint, name text);
CREATE UNIQUE INDEX CONCURRENTLY tags_name_key ON tags (name);
