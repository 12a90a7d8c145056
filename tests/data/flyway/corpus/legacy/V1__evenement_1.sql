-- création des tables de référence
create table région (id int primary key, libellé text not null);
