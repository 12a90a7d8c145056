create table ${schema}.product (
  id bigserial primary key,
  sku text not null unique,
  name text not null,
  price numeric(10,2) not null,
  currency char(3) not null default '${currency}'
);
