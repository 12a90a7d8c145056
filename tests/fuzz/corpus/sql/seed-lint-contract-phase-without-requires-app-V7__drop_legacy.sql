-- zdm: phase=contract
DROP TABLE legacy_events;
