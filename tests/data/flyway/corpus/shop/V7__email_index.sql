create unique index customer_email_idx on ${schema}.customer (lower(email));
