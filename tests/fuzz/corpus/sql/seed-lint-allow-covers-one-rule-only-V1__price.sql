-- zdm: allow=column-type-rewrite reason="plans has 12 rows"
ALTER TABLE plans ALTER COLUMN price TYPE numeric(12,2);
