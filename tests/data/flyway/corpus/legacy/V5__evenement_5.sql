alter table région add column c5 text;
comment on column région.c5 is 'donnée n°5 à vérifier';
