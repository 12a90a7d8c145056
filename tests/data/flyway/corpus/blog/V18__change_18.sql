alter table post_2 add column if not exists body_18 text;
