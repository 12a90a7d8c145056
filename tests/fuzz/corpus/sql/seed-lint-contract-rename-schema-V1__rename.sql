ALTER SCHEMA billing RENAME TO finance;
ALTER SCHEMA finance OWNER TO finance_owner;
