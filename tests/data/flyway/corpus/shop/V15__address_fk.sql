alter table ${schema}.address add constraint address_customer_fk foreign key (customer_id) references ${schema}.customer (id) on delete cascade;
