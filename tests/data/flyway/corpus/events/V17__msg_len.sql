alter table event add column msg_len int generated always as (length(msg)) stored;
