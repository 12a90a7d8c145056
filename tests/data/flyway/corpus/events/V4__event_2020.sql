create table event_2020 partition of event for values from ('2020-01-01') to ('2021-01-01');
