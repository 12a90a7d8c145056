alter table région add column c7 text default 'été 7';
