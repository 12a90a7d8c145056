-- zdm: phase=contract requires-app=2.0.0
ALTER TABLE users ALTER email SET NOT NULL;
