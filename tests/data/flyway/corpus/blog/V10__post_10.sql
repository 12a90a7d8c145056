create table if not exists post_10 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_10_author_idx on post_10 (author_id);
