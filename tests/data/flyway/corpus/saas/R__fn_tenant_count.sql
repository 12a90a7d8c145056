create or replace function tenant_count() returns bigint language sql stable as $$ select count(*) from ${tenantTable} $$;
