create table res_17 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_17_tenant_idx on res_17 (tenant_id);
create trigger res_17_touch before update on res_17 for each row execute function touch();
grant select on res_17 to ${appUser};
