create table res_6 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_6_tenant_idx on res_6 (tenant_id);
create trigger res_6_touch before update on res_6 for each row execute function touch();
grant select on res_6 to ${appUser};
