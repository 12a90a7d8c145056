alter table ${schema}.payment alter column paid_at set not null;
