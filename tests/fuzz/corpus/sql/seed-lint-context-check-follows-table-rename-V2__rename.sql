-- zdm: phase=contract requires-app=2.0.0
ALTER TABLE people RENAME TO persons;
ALTER TABLE persons ALTER COLUMN email SET NOT NULL;
