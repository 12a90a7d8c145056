create table event_2019 partition of event for values from ('2019-01-01') to ('2020-01-01');
