alter table région add column c11 text default 'été 11';
