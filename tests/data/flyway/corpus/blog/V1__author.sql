create table if not exists author (id serial primary key, name text not null);
