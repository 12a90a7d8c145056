create or replace view latest_posts as select id, title from post_2 order by id desc limit 10;
