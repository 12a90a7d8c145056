CREATE TABLE outbox (id bigint PRIMARY KEY, payload jsonb NOT NULL);
