DROP TABLE legacy_events;
DROP TABLE IF EXISTS public.old_audit, archive.old_audit CASCADE;
