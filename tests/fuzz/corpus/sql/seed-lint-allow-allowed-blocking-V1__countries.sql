-- zdm: allow=index-not-concurrent reason="lookup table with 40 rows"
CREATE INDEX countries_name_idx ON countries (name);
