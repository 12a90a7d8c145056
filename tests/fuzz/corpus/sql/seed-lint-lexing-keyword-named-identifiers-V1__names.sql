ALTER TABLE "drop" ADD COLUMN "default" text;
ALTER TABLE "check" ADD "constraint" int;
ALTER TABLE users DROP COLUMN "constraint";
ALTER TABLE users ADD COLUMN "not" text NULL;
