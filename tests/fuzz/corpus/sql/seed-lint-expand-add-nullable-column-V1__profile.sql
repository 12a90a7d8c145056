ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ADD COLUMN IF NOT EXISTS avatar_url varchar(2048);
ALTER TABLE public.users ADD settings jsonb;
ALTER TABLE ONLY users ADD COLUMN locale text COLLATE "C";
