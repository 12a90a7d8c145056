create index concurrently if not exists event_2024_source_idx on event_2024 (source);
