create table Widgets (Id bigint, Name text);
