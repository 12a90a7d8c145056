-- zdm: allow=unknown-statement reason="archive_old_orders batches internally"
CALL archive_old_orders(30);
