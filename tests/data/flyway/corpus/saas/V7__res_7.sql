create table res_7 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_7_tenant_idx on res_7 (tenant_id);
create trigger res_7_touch before update on res_7 for each row execute function touch();
grant select on res_7 to ${appUser};
