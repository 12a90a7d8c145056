-- index sur la colonne numéro 16
create index région_c15_idx on région (c15);
