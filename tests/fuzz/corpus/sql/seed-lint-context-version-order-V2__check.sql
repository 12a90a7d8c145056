ALTER TABLE accounts ADD CONSTRAINT accounts_owner_nn CHECK (owner IS NOT NULL) NOT VALID;
