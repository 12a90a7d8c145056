do $$
begin
  if not exists (select 1 from pg_roles where rolname = '${appUser}') then
    create role ${appUser} nologin;
  end if;
end
$$;
