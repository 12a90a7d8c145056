alter table post_5 add column if not exists body_12 text;
