alter table ${schema}.product alter column currency drop default;
