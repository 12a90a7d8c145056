alter table ${schema}.customer rename column full_name to display_name;
