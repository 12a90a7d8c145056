create or replace function touch() returns trigger language plpgsql as $fn$
begin
  new.updated := now(); -- ${tenantTable}; ${appUser}
  return new;
end
$fn$;
create table res_3 (
  id bigserial primary key,
  tenant_id uuid not null references ${tenantTable} (id),
  data jsonb not null default '{}',
  updated timestamptz
);
create index res_3_tenant_idx on res_3 (tenant_id);
create trigger res_3_touch before update on res_3 for each row execute function touch();
grant select on res_3 to ${appUser};
