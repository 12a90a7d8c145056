-- zdm: transaction=off
CREATE DATABASE analytics2;
