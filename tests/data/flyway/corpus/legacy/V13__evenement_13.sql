alter table région add column c13 text;
comment on column région.c13 is 'donnée n°13 à vérifier';
