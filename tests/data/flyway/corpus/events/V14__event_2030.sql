create table event_2030 partition of event for values from ('2030-01-01') to ('2031-01-01');
