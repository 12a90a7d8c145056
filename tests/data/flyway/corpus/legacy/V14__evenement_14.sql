alter table région add column c14 text default 'été 14';
