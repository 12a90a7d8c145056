alter table région add column c18 text default 'été 18';
