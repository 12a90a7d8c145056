alter table région add column c15 text default 'été 15';
