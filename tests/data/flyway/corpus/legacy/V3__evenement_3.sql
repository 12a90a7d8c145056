alter table région add column c3 text default 'été 3';
