create table event_2024 partition of event for values from ('2024-01-01') to ('2025-01-01');
