INSERT INTO greetings VALUES ('grüße'); ALTER TABLE größe DROP COLUMN ä;
