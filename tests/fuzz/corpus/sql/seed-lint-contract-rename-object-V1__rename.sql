ALTER SEQUENCE invoice_no RENAME TO invoice_number;
ALTER FUNCTION full_name(users) RENAME TO display_name;
ALTER TYPE mood RENAME TO feeling;
