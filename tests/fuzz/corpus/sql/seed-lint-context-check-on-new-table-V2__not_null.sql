-- zdm: phase=contract requires-app=1.1.0
ALTER TABLE tasks ALTER COLUMN title SET NOT NULL;
ALTER TABLE tasks ALTER COLUMN done SET NOT NULL;
