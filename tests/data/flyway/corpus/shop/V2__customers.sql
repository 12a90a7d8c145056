create table ${schema}.customer (
  id bigserial primary key,
  email varchar(120) not null,
  created_at timestamptz not null default now()
);
