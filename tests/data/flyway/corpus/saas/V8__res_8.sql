create table res_8 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_8_tenant_idx on res_8 (tenant_id);
create trigger res_8_touch before update on res_8 for each row execute function touch();
grant select on res_8 to ${appUser};
