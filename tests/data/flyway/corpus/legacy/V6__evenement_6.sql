alter table région add column c6 text default 'été 6';
