CREATE TABLE scratch (a int, b int);
CREATE INDEX scratch_a_idx ON scratch (a);
