create table event_2023 partition of event for values from ('2023-01-01') to ('2024-01-01');
