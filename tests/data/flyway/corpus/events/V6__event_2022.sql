create table event_2022 partition of event for values from ('2022-01-01') to ('2023-01-01');
