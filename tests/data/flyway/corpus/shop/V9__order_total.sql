alter table ${schema}.orders add column total numeric(12,2);
update ${schema}.orders set total = 0 where total is null;
alter table ${schema}.orders alter column total set not null;
