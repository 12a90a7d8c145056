alter table région add column c19 text default 'été 19';
