#!/usr/bin/env python3
"""Write tests/data/flyway/corpus/: five Flyway-style project histories
(the shapes real projects have) for tests/bats/flyway-corpus.bats.
Run from this directory; the output is committed, this records how it was
made. Each project is a directory of migrations plus, where it has one,
its flyway.conf / flyway.toml."""
import os, shutil

OUT = "corpus"
shutil.rmtree(OUT, ignore_errors=True)


def w(project, name, text, enc="utf-8"):
    d = os.path.join(OUT, project)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(text.encode(enc))


# 1. shop: a long history creating and altering tables; indexes built
# without CONCURRENTLY, later rebuilt with it; foreign keys without NOT
# VALID; R__ views and functions; ${schema} placeholders.
p = "shop"
w(p, "flyway.conf", "flyway.placeholders.schema=shop\nflyway.placeholders.currency=EUR\n")
w(p, "V1__schema.sql", "create schema if not exists ${schema};\n")
w(p, "V2__customers.sql", "create table ${schema}.customer (\n  id bigserial primary key,\n  email varchar(120) not null,\n  created_at timestamptz not null default now()\n);\n")
w(p, "V3__products.sql", "create table ${schema}.product (\n  id bigserial primary key,\n  sku text not null unique,\n  name text not null,\n  price numeric(10,2) not null,\n  currency char(3) not null default '${currency}'\n);\n")
w(p, "V4__orders.sql", "create table ${schema}.orders (\n  id bigserial primary key,\n  customer_id bigint not null references ${schema}.customer (id),\n  placed_at timestamptz not null default now(),\n  status text not null default 'new'\n);\ncreate index orders_customer_idx on ${schema}.orders (customer_id);\n")
w(p, "V5__order_lines.sql", "create table ${schema}.order_line (\n  order_id bigint not null,\n  product_id bigint not null,\n  qty int not null check (qty > 0),\n  primary key (order_id, product_id)\n);\nalter table ${schema}.order_line add constraint order_line_order_fk foreign key (order_id) references ${schema}.orders (id);\nalter table ${schema}.order_line add constraint order_line_product_fk foreign key (product_id) references ${schema}.product (id);\n")
w(p, "V6__customer_name.sql", "alter table ${schema}.customer add column full_name text;\n")
w(p, "V7__email_index.sql", "create unique index customer_email_idx on ${schema}.customer (lower(email));\n")
w(p, "V8__widen_email.sql", "alter table ${schema}.customer alter column email type varchar(255);\n")
w(p, "V9__order_total.sql", "alter table ${schema}.orders add column total numeric(12,2);\nupdate ${schema}.orders set total = 0 where total is null;\nalter table ${schema}.orders alter column total set not null;\n")
w(p, "V10__status_enum.sql", "create type ${schema}.order_status as enum ('new', 'paid', 'shipped', 'cancelled');\nalter table ${schema}.orders alter column status drop default;\nalter table ${schema}.orders alter column status type ${schema}.order_status using status::${schema}.order_status;\nalter table ${schema}.orders alter column status set default 'new';\n")
w(p, "V11__drop_old_index.sql", "drop index ${schema}.orders_customer_idx;\n")
w(p, "V12__orders_customer_placed_idx.sql", "create index concurrently if not exists orders_customer_placed_idx on ${schema}.orders (customer_id, placed_at);\n")
w(p, "V13__rebuild_email_index.sql", "create unique index concurrently if not exists customer_email_uidx on ${schema}.customer (lower(email));\ndrop index concurrently if exists ${schema}.customer_email_idx;\n")
w(p, "V14__address.sql", "create table if not exists ${schema}.address (\n  id bigserial primary key,\n  customer_id bigint not null,\n  line1 text not null,\n  city text not null,\n  country char(2) not null\n);\ncreate index if not exists address_customer_idx on ${schema}.address (customer_id);\n")
w(p, "V15__address_fk.sql", "alter table ${schema}.address add constraint address_customer_fk foreign key (customer_id) references ${schema}.customer (id) on delete cascade;\n")
w(p, "V16__rename_full_name.sql", "alter table ${schema}.customer rename column full_name to display_name;\n")
w(p, "V17__product_stock.sql", "alter table ${schema}.product add column stock int not null default 0;\nalter table ${schema}.product add constraint product_stock_nonneg check (stock >= 0);\n")
w(p, "V18__product_search.sql", "alter table ${schema}.product add column search tsvector generated always as (to_tsvector('simple', name)) stored;\ncreate index product_search_idx on ${schema}.product using gin (search);\n")
w(p, "V19__drop_currency_default.sql", "alter table ${schema}.product alter column currency drop default;\n")
w(p, "V20__payments.sql", "create table ${schema}.payment (\n  id bigserial primary key,\n  order_id bigint not null references ${schema}.orders (id),\n  amount numeric(12,2) not null,\n  paid_at timestamptz\n);\ncreate index payment_order_idx on ${schema}.payment (order_id);\n")
w(p, "V21__payment_not_null.sql", "alter table ${schema}.payment alter column paid_at set not null;\n")
w(p, "V22__vacuum.sql", "vacuum analyze ${schema}.orders;\n")
w(p, "R__order_summary.sql", "create or replace view ${schema}.order_summary as\nselect o.id, o.customer_id, o.status, o.total, count(l.*) as lines\nfrom ${schema}.orders o left join ${schema}.order_line l on l.order_id = o.id\ngroup by o.id;\n")
w(p, "R__price_fn.sql", "create or replace function ${schema}.price_with_vat(p numeric) returns numeric\nlanguage sql immutable as $$ select round(p * 1.2, 2) $$;\n")

# 2. blog: IF NOT EXISTS everywhere, a B baseline that stands for V1..V10,
# then later versions.
p = "blog"
tables = []
for i in range(1, 11):
    t = f"post_{i}" if i > 1 else "author"
    tables.append(t)
    if i == 1:
        body = "create table if not exists author (id serial primary key, name text not null);\n"
    else:
        body = (f"create table if not exists {t} (id serial primary key, author_id int references author (id), title text);\n"
                f"create index if not exists {t}_author_idx on {t} (author_id);\n")
    w(p, f"V{i}__{t}.sql", body)
base = "create table if not exists author (id serial primary key, name text not null);\n"
for t in tables[1:]:
    base += (f"create table if not exists {t} (id serial primary key, author_id int references author (id), title text);\n"
             f"create index if not exists {t}_author_idx on {t} (author_id);\n")
w(p, "B10__baseline.sql", base)
for i in range(11, 21):
    if i % 3 == 0:
        body = f"alter table post_{(i % 9) + 2} add column if not exists body_{i} text;\n"
    elif i % 3 == 1:
        body = f"create index if not exists post_{(i % 9) + 2}_title_idx on post_{(i % 9) + 2} (title);\n"
    else:
        body = f"comment on table post_{(i % 9) + 2} is 'section {i}';\n"
    w(p, f"V{i}__change_{i}.sql", body)
w(p, "R__latest_posts.sql", "create or replace view latest_posts as select id, title from post_2 order by id desc limit 10;\n")

# 3. legacy: ISO-8859-1 files (French comments and strings), flyway.conf
# with the encoding; one UTF-8-safe ASCII file among them.
p = "legacy"
w(p, "flyway.conf", "# projet historique\nflyway.encoding=ISO-8859-1\nflyway.table=flyway_schema_history\n")
for i in range(1, 21):
    if i == 1:
        body = "-- création des tables de référence\ncreate table région (id int primary key, libellé text not null);\n"
    elif i % 4 == 0:
        body = f"-- index sur la colonne numéro {i}\ncreate index région_c{i - 1}_idx on région (c{i - 1});\n"
    elif i % 4 == 1:
        body = f"comment on column région.c{i - 1} is 'donnée n°{i} à vérifier';\n"
    else:
        body = f"alter table région add column c{i} text default 'été {i}';\n"
    if i % 4 == 1 and i > 1:
        body = f"alter table région add column c{i} text;\ncomment on column région.c{i} is 'donnée n°{i} à vérifier';\n"
    w(p, f"V{i}__événement_{i}.sql".replace("\u00e9", "e"), body, enc="latin-1")
w(p, "R__vue_région.sql".replace("\u00e9", "e"), "create or replace view vue_région as select id, libellé from région; -- été\n", enc="latin-1")

# 4. saas: flyway.toml with placeholders, functions with dollar quotes,
# triggers, DO blocks, R__ functions; a SET + plain DDL file. The
# flyway.toml sits next to the files, so its location is the directory
# itself (a relative location is read from there).
p = "saas"
w(p, "flyway.toml", "[environments.default]\nurl = \"jdbc:postgresql://localhost/saas\"\n\n[flyway]\nenvironment = \"default\"\nlocations = [\"filesystem:.\"]\n\n[flyway.placeholders]\nappUser = \"saas_app\"\ntenantTable = \"tenant\"\n")
w(p, "V1__tenant.sql", "create table ${tenantTable} (id uuid primary key default gen_random_uuid(), slug text not null unique, created timestamptz default now());\n")
w(p, "V2__role.sql", "do $$\nbegin\n  if not exists (select 1 from pg_roles where rolname = '${appUser}') then\n    create role ${appUser} nologin;\n  end if;\nend\n$$;\n")
for i in range(3, 19):
    t = f"res_{i}"
    body = (f"create table {t} (\n  id bigserial primary key,\n  tenant_id uuid not null references ${{tenantTable}} (id),\n  data jsonb not null default '{{}}',\n  updated timestamptz\n);\n"
            f"create index {t}_tenant_idx on {t} (tenant_id);\n"
            f"create trigger {t}_touch before update on {t} for each row execute function touch();\n"
            f"grant select on {t} to ${{appUser}};\n")
    if i == 3:
        body = ("create or replace function touch() returns trigger language plpgsql as $fn$\nbegin\n  new.updated := now(); -- ${tenantTable}; ${appUser}\n  return new;\nend\n$fn$;\n") + body
    w(p, f"V{i}__{t}.sql", body)
w(p, "V19__set_and_alter.sql", "set statement_timeout = '5min';\nalter table res_3 add column note text;\n")
w(p, "V20__lookup_idx.sql", "create index concurrently res_4_data_idx on res_4 using gin (data);\n")
w(p, "R__fn_tenant_count.sql", "create or replace function tenant_count() returns bigint language sql stable as $$ select count(*) from ${tenantTable} $$;\n")
w(p, "R__grants.sql", "grant select on ${tenantTable} to ${appUser};\n")

# 5. events: partitioning, enum types, generated columns, renames and
# drops, a CONCURRENTLY rebuild, a function in an R__ file.
p = "events"
w(p, "V1__types.sql", "create type severity as enum ('debug', 'info', 'warn', 'error');\n")
w(p, "V2__event.sql", "create table event (\n  id bigint generated always as identity,\n  at timestamptz not null,\n  sev severity not null,\n  msg text,\n  primary key (id, at)\n) partition by range (at);\n")
for i, y in enumerate(range(2019, 2031), start=3):
    w(p, f"V{i}__event_{y}.sql", f"create table event_{y} partition of event for values from ('{y}-01-01') to ('{y + 1}-01-01');\n")
w(p, "V15__event_idx.sql", "create index event_at_idx on event (at);\n")
w(p, "V16__sev_value.sql", "alter type severity add value if not exists 'fatal';\n")
w(p, "V17__msg_len.sql", "alter table event add column msg_len int generated always as (length(msg)) stored;\n")
w(p, "V18__rename.sql", "alter table event rename column msg to message;\n")
w(p, "V19__drop_2019.sql", "alter table event detach partition event_2019;\ndrop table event_2019;\n")
w(p, "V20__source.sql", "alter table event add column source text not null default 'app';\n")
w(p, "V21__source_idx.sql", "create index concurrently if not exists event_2024_source_idx on event_2024 (source);\n")
w(p, "R__event_fn.sql", "create or replace function recent_events(n int) returns setof event language plpgsql stable as $body$\nbegin\n  return query select * from event order by at desc limit n;\nend\n$body$;\n")
