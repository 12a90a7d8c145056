ALTER TABLE events SET TABLESPACE fast_ssd;
ALTER TABLE events SET LOGGED;
ALTER INDEX events_kind_idx SET TABLESPACE fast_ssd;
ALTER TABLE events SET (fillfactor = 90);
