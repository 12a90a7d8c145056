-- index sur la colonne numéro 20
create index région_c19_idx on région (c19);
