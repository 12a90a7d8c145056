create table res_5 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_5_tenant_idx on res_5 (tenant_id);
create trigger res_5_touch before update on res_5 for each row execute function touch();
grant select on res_5 to ${appUser};
