-- zdm: phase=contract requires-app=2.0.0
ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK ((email IS NOT NULL)) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
