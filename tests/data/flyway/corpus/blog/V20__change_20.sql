comment on table post_4 is 'section 20';
