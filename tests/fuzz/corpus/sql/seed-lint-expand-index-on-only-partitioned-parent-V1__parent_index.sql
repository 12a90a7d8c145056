CREATE INDEX measurements_ts_idx ON ONLY measurements (ts);
ALTER INDEX measurements_ts_idx ATTACH PARTITION measurements_2024_ts_idx;
