-- zdm: transaction=off
DROP DATABASE IF EXISTS legacy_reports;
