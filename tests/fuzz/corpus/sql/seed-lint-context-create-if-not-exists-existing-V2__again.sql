CREATE TABLE IF NOT EXISTS jobs (id bigint, state text);
CREATE INDEX jobs_state_idx ON jobs (state);
