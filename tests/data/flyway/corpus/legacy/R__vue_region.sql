create or replace view vue_région as select id, libellé from région; -- été
