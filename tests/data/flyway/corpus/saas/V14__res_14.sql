create table res_14 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_14_tenant_idx on res_14 (tenant_id);
create trigger res_14_touch before update on res_14 for each row execute function touch();
grant select on res_14 to ${appUser};
