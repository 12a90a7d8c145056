-- index sur la colonne numéro 4
create index région_c3_idx on région (c3);
