alter table event rename column msg to message;
