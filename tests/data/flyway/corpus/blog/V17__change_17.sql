comment on table post_10 is 'section 17';
