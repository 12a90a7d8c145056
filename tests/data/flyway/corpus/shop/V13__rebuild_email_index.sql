create unique index concurrently if not exists customer_email_uidx on ${schema}.customer (lower(email));
drop index concurrently if exists ${schema}.customer_email_idx;
