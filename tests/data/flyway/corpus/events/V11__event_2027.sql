create table event_2027 partition of event for values from ('2027-01-01') to ('2028-01-01');
