ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
ALTER DOMAIN email_address ADD CONSTRAINT email_short CHECK (length(VALUE) < 320) NOT VALID;
ALTER DOMAIN email_address VALIDATE CONSTRAINT email_short;
