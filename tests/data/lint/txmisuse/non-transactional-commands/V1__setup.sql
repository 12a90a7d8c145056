-- zdm: transaction=on
CREATE DATABASE analytics;
ALTER SYSTEM SET work_mem = '64MB';
