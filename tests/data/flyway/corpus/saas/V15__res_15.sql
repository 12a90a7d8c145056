create table res_15 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_15_tenant_idx on res_15 (tenant_id);
create trigger res_15_touch before update on res_15 for each row execute function touch();
grant select on res_15 to ${appUser};
