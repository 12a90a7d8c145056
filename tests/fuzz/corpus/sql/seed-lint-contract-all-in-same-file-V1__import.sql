CREATE TEMP TABLE tmp_import (id bigint, payload jsonb);
INSERT INTO tmp_import SELECT id, payload FROM staging;
TRUNCATE tmp_import;
DELETE FROM tmp_import;
LOCK TABLE tmp_import;
DROP TABLE tmp_import;
