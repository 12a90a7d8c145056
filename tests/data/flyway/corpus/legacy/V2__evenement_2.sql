alter table région add column c2 text default 'été 2';
