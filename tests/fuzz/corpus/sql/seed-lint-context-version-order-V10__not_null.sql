-- zdm: phase=contract requires-app=2.0.0
ALTER TABLE accounts ALTER COLUMN owner SET NOT NULL;
