create table ${schema}.orders (
  id bigserial primary key,
  customer_id bigint not null references ${schema}.customer (id),
  placed_at timestamptz not null default now(),
  status text not null default 'new'
);
create index orders_customer_idx on ${schema}.orders (customer_id);
