create table event_2025 partition of event for values from ('2025-01-01') to ('2026-01-01');
