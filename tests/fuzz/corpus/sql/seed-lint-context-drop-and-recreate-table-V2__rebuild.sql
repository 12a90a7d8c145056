DROP TABLE cache;
CREATE TABLE cache (k text PRIMARY KEY, v jsonb);
CREATE INDEX cache_v_idx ON cache USING gin (v);
