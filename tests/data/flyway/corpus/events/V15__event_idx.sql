create index event_at_idx on event (at);
