create table if not exists post_9 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_9_author_idx on post_9 (author_id);
