-- zdm: transaction=off
CREATE TABLE lookup (id int PRIMARY KEY, name text);
CLUSTER lookup USING lookup_pkey;
VACUUM FULL lookup;
