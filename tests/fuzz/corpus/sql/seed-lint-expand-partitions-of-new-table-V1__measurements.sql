CREATE TABLE measurements (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX measurements_ts_idx ON measurements (ts);
CREATE INDEX ON measurements_2025 (id);
