create table res_16 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_16_tenant_idx on res_16 (tenant_id);
create trigger res_16_touch before update on res_16 for each row execute function touch();
grant select on res_16 to ${appUser};
