alter table ${schema}.product add column stock int not null default 0;
alter table ${schema}.product add constraint product_stock_nonneg check (stock >= 0);
