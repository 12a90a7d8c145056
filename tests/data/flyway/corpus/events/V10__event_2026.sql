create table event_2026 partition of event for values from ('2026-01-01') to ('2027-01-01');
