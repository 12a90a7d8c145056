-- zdm: transaction=off
reindex (verbose, concurrently) table concurrently s."T 1";
