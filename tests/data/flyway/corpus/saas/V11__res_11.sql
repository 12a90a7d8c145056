create table res_11 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_11_tenant_idx on res_11 (tenant_id);
create trigger res_11_touch before update on res_11 for each row execute function touch();
grant select on res_11 to ${appUser};
