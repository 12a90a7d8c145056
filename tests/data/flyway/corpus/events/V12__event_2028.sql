create table event_2028 partition of event for values from ('2028-01-01') to ('2029-01-01');
