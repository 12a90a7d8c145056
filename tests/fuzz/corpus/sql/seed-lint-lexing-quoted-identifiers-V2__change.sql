CREATE INDEX "oi_qty" ON "Order Items" ("Qty");
ALTER TABLE "Order Items" RENAME COLUMN "Qty" TO "Quantity";
ALTER TABLE "Order Items" ALTER COLUMN "Quantity" TYPE bigint;
ALTER TABLE "Order Items" ADD COLUMN "Note" text;
