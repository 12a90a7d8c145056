CREATE TABLE public.events (id bigint, kind text);
CREATE INDEX events_kind_idx ON events (kind);
CREATE INDEX events_id_idx ON PUBLIC.EVENTS (id);
CREATE TABLE "Audit" (id bigint, at timestamptz);
CREATE INDEX audit_at_idx ON "Audit" (at);
CREATE INDEX audit_at_idx2 ON audit (at);
CREATE TABLE app."Tasks" (id bigint);
CREATE INDEX tasks_id_idx ON "app"."Tasks" (id);
