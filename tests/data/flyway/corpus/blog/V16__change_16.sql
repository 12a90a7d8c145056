create index if not exists post_9_title_idx on post_9 (title);
