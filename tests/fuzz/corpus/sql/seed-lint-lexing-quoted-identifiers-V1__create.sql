CREATE TABLE "Order Items" ("Item Id" bigint, "Qty" int);
