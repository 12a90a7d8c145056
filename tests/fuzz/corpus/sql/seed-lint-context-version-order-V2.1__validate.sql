ALTER TABLE accounts VALIDATE CONSTRAINT accounts_owner_nn;
