create index if not exists post_6_title_idx on post_6 (title);
