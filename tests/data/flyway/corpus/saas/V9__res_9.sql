create table res_9 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_9_tenant_idx on res_9 (tenant_id);
create trigger res_9_touch before update on res_9 for each row execute function touch();
grant select on res_9 to ${appUser};
