DROP TYPE mood;
DROP DOMAIN IF EXISTS email_address;
