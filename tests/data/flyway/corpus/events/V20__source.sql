alter table event add column source text not null default 'app';
