create table ${schema}.payment (
  id bigserial primary key,
  order_id bigint not null references ${schema}.orders (id),
  amount numeric(12,2) not null,
  paid_at timestamptz
);
create index payment_order_idx on ${schema}.payment (order_id);
