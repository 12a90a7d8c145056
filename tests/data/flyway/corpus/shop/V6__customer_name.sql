alter table ${schema}.customer add column full_name text;
