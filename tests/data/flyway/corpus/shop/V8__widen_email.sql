alter table ${schema}.customer alter column email type varchar(255);
