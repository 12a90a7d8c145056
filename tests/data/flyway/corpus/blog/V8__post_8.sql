create table if not exists post_8 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_8_author_idx on post_8 (author_id);
