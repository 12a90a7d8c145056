create table café (nom text);
comment on table café is 'déjà vu ½';
