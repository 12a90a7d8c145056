alter table ${schema}.product add column search tsvector generated always as (to_tsvector('simple', name)) stored;
create index product_search_idx on ${schema}.product using gin (search);
