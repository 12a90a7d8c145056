create table if not exists ${schema}.address (
  id bigserial primary key,
  customer_id bigint not null,
  line1 text not null,
  city text not null,
  country char(2) not null
);
create index if not exists address_customer_idx on ${schema}.address (customer_id);
