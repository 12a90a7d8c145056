alter table région add column c17 text;
comment on column région.c17 is 'donnée n°17 à vérifier';
