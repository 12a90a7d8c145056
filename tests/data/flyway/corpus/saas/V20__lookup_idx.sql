create index concurrently res_4_data_idx on res_4 using gin (data);
