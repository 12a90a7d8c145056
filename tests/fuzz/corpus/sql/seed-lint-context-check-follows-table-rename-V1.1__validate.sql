ALTER TABLE people VALIDATE CONSTRAINT people_email_nn;
