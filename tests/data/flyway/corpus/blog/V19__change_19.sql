create index if not exists post_3_title_idx on post_3 (title);
