CREATE INDEX scratch_a_idx2 ON scratch (a) WHERE a > 0;
