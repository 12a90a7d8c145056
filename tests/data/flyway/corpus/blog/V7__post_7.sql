create table if not exists post_7 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_7_author_idx on post_7 (author_id);
