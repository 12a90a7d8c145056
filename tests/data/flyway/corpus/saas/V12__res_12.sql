create table res_12 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_12_tenant_idx on res_12 (tenant_id);
create trigger res_12_touch before update on res_12 for each row execute function touch();
grant select on res_12 to ${appUser};
