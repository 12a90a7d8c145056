create or replace view ${schema}.v as select 1 as x; -- ${schema}
