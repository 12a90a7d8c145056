create table ${schema}.order_line (
  order_id bigint not null,
  product_id bigint not null,
  qty int not null check (qty > 0),
  primary key (order_id, product_id)
);
alter table ${schema}.order_line add constraint order_line_order_fk foreign key (order_id) references ${schema}.orders (id);
alter table ${schema}.order_line add constraint order_line_product_fk foreign key (product_id) references ${schema}.product (id);
