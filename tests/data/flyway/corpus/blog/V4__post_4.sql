create table if not exists post_4 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_4_author_idx on post_4 (author_id);
