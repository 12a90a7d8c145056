CREATE TABLE jobs (id bigint, state text);
