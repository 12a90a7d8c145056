-- zdm: transaction=off
DROP VIEW user_emails;
CREATE VIEW user_emails AS SELECT id, email FROM users;
