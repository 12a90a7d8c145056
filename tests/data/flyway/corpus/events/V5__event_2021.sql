create table event_2021 partition of event for values from ('2021-01-01') to ('2022-01-01');
