create type ${schema}.order_status as enum ('new', 'paid', 'shipped', 'cancelled');
alter table ${schema}.orders alter column status drop default;
alter table ${schema}.orders alter column status type ${schema}.order_status using status::${schema}.order_status;
alter table ${schema}.orders alter column status set default 'new';
