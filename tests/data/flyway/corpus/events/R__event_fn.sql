create or replace function recent_events(n int) returns setof event language plpgsql stable as $body$
begin
  return query select * from event order by at desc limit n;
end
$body$;
