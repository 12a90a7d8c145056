create table res_13 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_13_tenant_idx on res_13 (tenant_id);
create trigger res_13_touch before update on res_13 for each row execute function touch();
grant select on res_13 to ${appUser};
