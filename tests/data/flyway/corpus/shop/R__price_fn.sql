create or replace function ${schema}.price_with_vat(p numeric) returns numeric
language sql immutable as $$ select round(p * 1.2, 2) $$;
