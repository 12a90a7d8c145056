alter table post_8 add column if not exists body_15 text;
