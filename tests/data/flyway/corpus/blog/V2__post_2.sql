create table if not exists post_2 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_2_author_idx on post_2 (author_id);
