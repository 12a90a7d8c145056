comment on table post_7 is 'section 14';
