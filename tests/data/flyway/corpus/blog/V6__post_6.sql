create table if not exists post_6 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_6_author_idx on post_6 (author_id);
