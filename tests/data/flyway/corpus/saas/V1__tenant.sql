create table ${tenantTable} (id uuid primary key default gen_random_uuid(), slug text not null unique, created timestamptz default now());
