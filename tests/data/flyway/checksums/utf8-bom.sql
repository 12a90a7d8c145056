create table t1 (id int);
comment on table t1 is 'été €';