Alter Table WIDGETS Drop Column NAME;
create index widgets_id on widgets (id);
