create table res_10 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_10_tenant_idx on res_10 (tenant_id);
create trigger res_10_touch before update on res_10 for each row execute function touch();
grant select on res_10 to ${appUser};
