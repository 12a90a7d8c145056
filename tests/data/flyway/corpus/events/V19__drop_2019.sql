alter table event detach partition event_2019;
drop table event_2019;
