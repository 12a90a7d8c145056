-- index sur la colonne numéro 8
create index région_c7_idx on région (c7);
