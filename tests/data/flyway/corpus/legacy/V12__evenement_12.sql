-- index sur la colonne numéro 12
create index région_c11_idx on région (c11);
