create table res_4 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_4_tenant_idx on res_4 (tenant_id);
create trigger res_4_touch before update on res_4 for each row execute function touch();
grant select on res_4 to ${appUser};
