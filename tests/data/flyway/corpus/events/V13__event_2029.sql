create table event_2029 partition of event for values from ('2029-01-01') to ('2030-01-01');
