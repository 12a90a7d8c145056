CREATE INDEX ON app.users (email);
CREATE TABLE app.tmp (x int);
CREATE INDEX ON app.tmp (x);
CREATE INDEX ON tmp (x);
CREATE TABLE tmp (x int);
CREATE INDEX ON public.tmp (x);
