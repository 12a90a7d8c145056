alter table région add column c10 text default 'été 10';
