create table res_18 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_18_tenant_idx on res_18 (tenant_id);
create trigger res_18_touch before update on res_18 for each row execute function touch();
grant select on res_18 to ${appUser};
