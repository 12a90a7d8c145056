CREATE TABLE scratch (a int);
CREATE INDEX scratch_a_idx ON scratch (a);
ALTER INDEX scratch_a_idx RENAME TO scratch_a_ix;
DROP INDEX scratch_a_ix;
