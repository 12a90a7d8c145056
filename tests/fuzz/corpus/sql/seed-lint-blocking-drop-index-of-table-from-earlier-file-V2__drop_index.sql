DROP INDEX scratch_a_idx;
