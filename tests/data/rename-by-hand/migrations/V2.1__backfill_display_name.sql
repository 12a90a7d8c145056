-- zdm: backfill table=users batch-time=100ms
-- Copy the rows that existed before the trigger, in short keyset batches
-- (each its own transaction, resumable after a kill). The trigger from V2
-- keeps every row written from now on in sync; the WHERE is re-evaluated
-- for every batch, so rows the old code changes meanwhile converge too.
UPDATE users SET display_name = full_name WHERE display_name IS NULL;
