ALTER TABLE users RENAME TO accounts;
ALTER TABLE billing.invoices SET SCHEMA archive;
ALTER VIEW active_users RENAME TO live_users;
