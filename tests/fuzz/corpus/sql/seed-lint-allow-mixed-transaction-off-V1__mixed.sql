-- zdm: transaction=off
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
-- zdm: allow=mixed-transaction-off reason="idempotent insert, safe to re-run"
INSERT INTO audit (what) VALUES ('indexed') ON CONFLICT DO NOTHING;
