create table if not exists post_3 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_3_author_idx on post_3 (author_id);
