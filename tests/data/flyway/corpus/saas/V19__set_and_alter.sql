set statement_timeout = '5min';
alter table res_3 add column note text;
