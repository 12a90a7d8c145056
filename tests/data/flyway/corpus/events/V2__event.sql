create table event (
  id bigint generated always as identity,
  at timestamptz not null,
  sev severity not null,
  msg text,
  primary key (id, at)
) partition by range (at);
