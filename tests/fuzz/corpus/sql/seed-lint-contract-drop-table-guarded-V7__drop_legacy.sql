-- zdm: phase=contract requires-app=3.1.0
-- the app stopped reading legacy_events in 3.1.0
DROP TABLE legacy_events;
