create table if not exists post_5 (id serial primary key, author_id int references author (id), title text);
create index if not exists post_5_author_idx on post_5 (author_id);
