alter table région add column c9 text;
comment on column région.c9 is 'donnée n°9 à vérifier';
