#!/usr/bin/env bats
# Recipes: declarative expand/contract migrations (docs/recipes.md).
# Every recipe against a real PostgreSQL: what its expand, backfill and
# contract do to the catalog and the data, writes of old and new code in
# between, several recipes in flight, kills at the worst instants, and
# the messages for malformed recipe files.

load helpers

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

users() {
	mig V1__users.sql "CREATE TABLE users (id bigserial PRIMARY KEY, full_name text NOT NULL DEFAULT 'anon', amount integer);
INSERT INTO users (full_name, amount) SELECT 'u' || g, g FROM generate_series(1, 3000) g;
ANALYZE users;"
}
migrate() { "$ZDM_HOOK" migrate --dir "$M" --release shop "$@"; }
# a completed rollout of app $1 in the deployment log (the post phase)
rolled_out() {
	"$ZDM_HOOK" run --phase post --dir "$M" --release shop --app-version "$1" >/dev/null 2>&1
}
state() { q "select state || ' ' || case when backfilled then 't' else 'f' end || ' ' || contract_step from zdm_schema_history_recipes where version = '$1'"; }
cols() { q "select string_agg(column_name || ':' || is_nullable || ':' || coalesce(column_default, '-'), ' ' order by ordinal_position) from information_schema.columns where table_name = '$1'"; }
# big_recipe KEY: V2__big.sql, a change-type whose up waits on advisory
# lock KEY for ids above 1500: its backfill (batches of 100) commits its
# first batches, then stays inside one while KEY is held
big_recipe() {
	mig V2__big.sql "-- zdm: recipe=change-type table=users column=amount to=amount_big type=bigint contract-after=2.0.0 batch-size=100
-- zdm: up
amount::bigint + coalesce(length(CASE WHEN id > 1500 THEN pg_advisory_xact_lock_shared($1)::text END), 0)
-- zdm: down
amount_big::integer"
}
# kill_migrate HOLDER READY INSIDE [FLAG...]: a session runs HOLDER (SQL
# ending in a long pg_sleep) until the query READY counts 1; migrate
# (with FLAGs) runs until the query INSIDE counts 1 and is killed -9
# there; the holder is gone when this returns. With KILL_CONN=1 the
# killed run's sessions end too (a node lost with the pod), before the
# holder goes: otherwise the server finishes what it was sent once it
# gets the lock
kill_migrate() {
	psql -X -q -c "$1" >/dev/null 2>&1 &
	local holder=$! p
	wait_for "$2" 1
	"$ZDM_HOOK" migrate --dir "$M" --lock-timeout 60s "${@:4}" >"$T/log" 2>&1 &
	p=$!
	wait_for "$3" 1
	kill -9 $p
	wait $p 2>/dev/null || true
	[ -z "${KILL_CONN:-}" ] ||
		q "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'zdm-hook%' and pid <> pg_backend_pid()" >/dev/null
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()" >/dev/null
	wait $holder 2>/dev/null || true
	wait_gone
}
# rename_and_amount: V2 renames full_name, V3 makes amount NOT NULL (0
# for NULLs); their backfills join, as do their contracts once due
rename_and_amount() {
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	mig V3__amount.sql "-- zdm: recipe=set-not-null table=users column=amount contract-after=2.0.0
-- zdm: up
coalesce(amount, 0)"
}
# kill_at_table_lock: kill_migrate (KILL_CONN=1) while migrate waits for
# the ACCESS EXCLUSIVE lock on users that a session's ACCESS SHARE holds
users_lock_sql() { echo "select count(*) from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'users' and l.mode = '$1' and $2l.granted"; }
kill_at_table_lock() {
	KILL_CONN=1 kill_migrate "begin; lock table users in access share mode; select pg_sleep(600)" \
		"$(users_lock_sql AccessShareLock '')" "$(users_lock_sql AccessExclusiveLock 'not ')"
}
# kill_in_backfill KEY: kill_migrate inside big_recipe KEY's backfill
kill_in_backfill() {
	kill_migrate "select pg_advisory_lock($1); select pg_sleep(600)" \
		"select count(*) from pg_locks where locktype = 'advisory' and objid = $1 and granted" \
		"select count(*) from pg_locks where locktype = 'advisory' and objid = $1 and not granted"
}

# migrate_validate_held [OPTS]: migrate --dir $M OPTS in the background,
# its output in $T/log. Its backfill waits inside wait_go() (the test's up
# expression calls it) until another session holds what a vacuum holds,
# SHARE UPDATE EXCLUSIVE on users (no conflict with the backfill's
# writes); the run then ends while that lock is still held, so that the
# VALIDATE after the backfill finds the table held. The holder is
# cancelled once the run has ended.
migrate_validate_held() {
	"$ZDM_HOOK" migrate --dir "$M" "$@" >"$T/log" 2>&1 &
	local p=$! sue
	wait_for "select count(*) from pg_stat_activity where wait_event = 'PgSleep' and application_name like 'zdm-hook%'" 1
	psql -X -q -c "begin; lock table users in share update exclusive mode; select pg_sleep(602)" >/dev/null 2>&1 &
	sue=$!
	wait_for "select count(*) from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'users' and l.mode = 'ShareUpdateExclusiveLock' and l.granted" 1
	q "insert into go values (1)"
	wait $p
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(602)%' and pid <> pg_backend_pid()" >/dev/null
	wait $sue 2>/dev/null || true
}

@test "recipe rename-column: expand, backfill, both apps' writes in step, contract after the rollout" {
	users
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0 batch-size=500"
	run migrate
	assert_success
	assert_output --partial "applied V2__rename.sql"
	assert_output --partial "backfill of users: 3000 rows"
	assert_output --partial "V2__rename.sql: its NOT NULL check validated after the backfill"
	assert_output --partial "DEFERRED: the contract of V2__rename.sql (recipe=rename-column contract-after=2.0.0)"
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(q "select count(*) from users where display_name is distinct from full_name")" = 0 ]
	# the version is applied once, with the recipe file's checksum
	[ "$(q "select count(*) from zdm_schema_history where version = '2' and success")" = 1 ]
	# old app (full_name) and new app (display_name), inserts and updates
	q "insert into users (full_name) values ('old-insert')"
	q "insert into users (display_name) values ('new-insert')"
	q "update users set full_name = 'old-update' where id = 1"
	q "update users set display_name = 'new-update' where id = 2"
	run q "select id, full_name, display_name from users where id in (1, 2) or full_name like '%insert' order by id"
	assert_output "1|old-update|old-update
2|new-update|new-update
3001|old-insert|old-insert
3002|new-insert|new-insert"
	# NOT NULL is carried by a check until the contract, added NOT VALID
	# and validated once the backfill made it true (no app waits for that)
	run q "insert into users (display_name, full_name) values (null, null)"
	assert_failure
	[ "$(q "select convalidated from pg_constraint where conname = 'zdm_2_nn'")" = t ]
	# nothing pending, contract deferred: still a fast no-op for Argo CD
	run migrate
	assert_success
	assert_output --partial "DEFERRED"
	[ "$(cols users)" != "" ]
	rolled_out 1.0.0
	run migrate
	assert_output --partial "DEFERRED"
	assert_output --partial "the latest completed rollout is of app 1.0.0"
	rolled_out 2.0.0
	run migrate
	assert_success
	assert_output --partial "contracted V2__rename.sql (recipe=rename-column on users: 7 steps"
	[ "$(state 2)" = "contracted t 7" ]
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) amount:YES:- display_name:NO:'anon'::text"
	[ "$(q "select count(*) from pg_trigger where tgname = 'zdm_sync'")" = 0 ]
	[ "$(q "select count(*) from pg_proc where proname like 'zdm_sync%'")" = 0 ]
	[ "$(q "select count(*) from pg_constraint where conname like 'zdm\\_%\\_nn'")" = 0 ]
}

@test "recipe rename-column: chart-example's recipe ends in the hand-written rename's catalog, NOT NULL kept" {
	# the recipe on one database, tests/data/rename-by-hand on another
	cp "$ZDM_ROOT"/chart-example/migrations/*.sql "$M/"
	run migrate --force-contract
	assert_success
	local hand="${PGDATABASE}_h"
	q "create database \"$hand\""
	run env PGDATABASE="$hand" "$ZDM_HOOK" migrate --dir "$ZDM_ROOT/tests/data/rename-by-hand/migrations" --force-contract
	assert_success
	dump() { pg_dump -s --no-owner -T 'zdm_schema_history*' "$1" | grep -v -e '^--' -e restrict; }
	dump "$PGDATABASE" >"$T/recipe.sql"
	dump "$hand" >"$T/hand.sql"
	q "drop database \"$hand\""
	# the one difference: the hand-written files lose full_name's NOT NULL
	run diff "$T/hand.sql" "$T/recipe.sql"
	assert_failure 1
	run grep '^[<>]' <<<"$output"
	assert_output "$(printf '%s\n' '<     display_name text' '>     display_name text NOT NULL')"
}

@test "recipe change-type: up and down keep both columns in step; the contract drops the old one" {
	users
	mig V2__exact.sql "-- zdm: recipe=change-type table=users column=amount to=amount_exact type=numeric(12,2) contract-after=2.0.0
-- zdm: up
amount::numeric(12,2) / 100
-- zdm: down
round(amount_exact * 100)::integer"
	run migrate
	assert_success
	[ "$(q "select amount_exact from users where id = 250")" = "2.50" ]
	q "update users set amount = 1234 where id = 1"
	q "update users set amount_exact = 7.5 where id = 2"
	q "insert into users (full_name, amount) values ('old', 99)"
	q "insert into users (full_name, amount_exact) values ('new', 0.42)"
	run q "select amount, amount_exact from users where id in (1, 2) or full_name in ('old', 'new') order by id"
	assert_output "1234|12.34
750|7.50
99|0.99
42|0.42"
	run migrate --force-contract
	assert_success
	[ "$(q "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'users'::regclass and attname = 'amount_exact'")" = "numeric(12,2)" ]
	[ "$(q "select count(*) from information_schema.columns where table_name = 'users' and column_name = 'amount'")" = 0 ]
}

@test "recipe set-not-null: old code's NULLs are filled, the contract sets NOT NULL without a scan lock" {
	mig V1__t.sql "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 300) g;"
	mig V2__nn.sql "-- zdm: recipe=set-not-null table=t column=note contract-after=2.0.0
-- zdm: up
coalesce(note, 'none')"
	run migrate
	assert_success
	[ "$(q "select count(*) from t where note is null")" = 0 ]
	[ "$(q "select note from t where id = 3")" = none ]
	q "insert into t values (1000, null)"
	[ "$(q "select note from t where id = 1000")" = none ]
	[ "$(q "select attnotnull from pg_attribute where attrelid = 't'::regclass and attname = 'note'")" = f ]
	# the backfill made the check true: validated in the pre phase
	[ "$(q "select convalidated from pg_constraint where conname = 'zdm_2_nn'")" = t ]
	run migrate --force-contract
	assert_success
	[ "$(q "select attnotnull from pg_attribute where attrelid = 't'::regclass and attname = 'note'")" = t ]
	[ "$(q "select count(*) from pg_constraint where conrelid = 't'::regclass and contype = 'c'")" = 0 ]
	[ "$(q "select count(*) from pg_trigger where tgrelid = 't'::regclass")" = 0 ]
}

@test "recipe set-not-null: without up the check waits NOT VALID for the contract, which validates it" {
	mig V1__t.sql "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 300) g;"
	mig V2__nn.sql "-- zdm: recipe=set-not-null table=t column=note contract-after=2.0.0"
	run migrate
	assert_success
	refute_output --partial "validated after the backfill"
	# no backfill made the check true: the contract validates it
	[ "$(q "select convalidated from pg_constraint where conname = 'zdm_2_nn'")" = f ]
	[ "$(state 2)" = "expanded t 0" ]
	run migrate
	assert_success
	refute_output --partial "backfill"
	run migrate --force-contract
	assert_success
	[ "$(q "select attnotnull from pg_attribute where attrelid = 't'::regclass and attname = 'note'")" = t ]
	run state 2
	assert_output "contracted t 3"
}

@test "recipe add-column without fill: nothing to backfill, contracted; a row an older zdm left unfinished is finished" {
	users
	mig V2__note.sql "-- zdm: recipe=add-column table=users column=note type=text default='x' contract-after=2.0.0"
	run migrate
	assert_success
	refute_output --partial "backfill"
	[ "$(state 2)" = "expanded t 0" ]
	# as zdm 0.1.0 recorded such a recipe: its backfill never done
	q "update zdm_schema_history_recipes set backfilled = false where version = '2'"
	run migrate --force-contract
	assert_success
	refute_output --partial "finishing its backfill"
	assert_output --partial "contracted V2__note.sql"
	[ "$(state 2)" = "contracted t 1" ]
	[ "$(q "select count(*) from users where note = 'x'")" = 3000 ]
}

@test "recipe set-not-null: a row its up leaves NULL is named by the pre phase, which goes on; the contract refuses it" {
	mig V1__t.sql "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 300) g;"
	mig V2__nn.sql "-- zdm: recipe=set-not-null table=t column=note contract-after=2.0.0
-- zdm: up
CASE WHEN id = 3 THEN NULL ELSE coalesce(note, 'none') END"
	run migrate
	assert_success
	assert_output --partial "V2__nn.sql: rows of t have no value for the column that recipe=set-not-null makes NOT NULL"
	assert_output --partial "its contract will fail on them"
	[ "$(q "select convalidated from pg_constraint where conname = 'zdm_2_nn'")" = f ]
	[ "$(state 2)" = "expanded t 0" ]
	run migrate --force-contract
	assert_failure 1
	assert_output --partial 'check constraint "zdm_2_nn" of relation "t" is violated by some row'
	[ "$(q "select attnotnull from pg_attribute where attrelid = 't'::regclass and attname = 'note'")" = f ]
	q "update t set note = 'fixed' where id = 3"
	run migrate --force-contract
	assert_success
	[ "$(q "select attnotnull from pg_attribute where attrelid = 't'::regclass and attname = 'note'")" = t ]
}

@test "recipe: the VALIDATE after the backfill, held up by another session, opens no second session to look it up" {
	# a one-attempt VALIDATE names no blocker (the contract will validate),
	# so it has no observer connect while the apps are busy: a role
	# allowed one connection shows any attempt as a warning
	ROLE="zdm_one_$$"
	psql -q -X -d postgres -c "create role $ROLE login password 'pw' connection limit 1" \
		-c "alter database \"$PGDATABASE\" owner to $ROLE" >/dev/null
	export ZDM_DATABASE_URL="postgresql://$ROLE:pw@$PGHOST:$PGPORT/$PGDATABASE"
	users
	run migrate
	assert_success
	psql -X -q -d "$ZDM_DATABASE_URL" -c "update users set amount = null where id > 1400" \
		-c "create table go (x int)" \
		-c "create function wait_go() returns int language plpgsql as \$\$ begin while not exists (select 1 from go) loop perform pg_sleep(0.05); end loop; return 0; end \$\$"
	mig V2__nn.sql "-- zdm: recipe=set-not-null table=users column=amount contract-after=2.0.0 batch-size=100
-- zdm: up
coalesce(amount, 0) + CASE WHEN id > 1500 THEN wait_go() ELSE 0 END"
	# a lock_timeout long enough that the backfill's batch, inside
	# wait_go, has no observer either
	migrate_validate_held --lock-timeout 30s
	run cat "$T/log"
	assert_output --partial "V2__nn.sql: its NOT NULL check is left for the contract to validate: a vacuum or a schema change holds users"
	# from the end of the backfill on (a machine so slow that the batch
	# inside wait_go ran 8 s would have its long-wait report try before)
	run sed -n '/V2__nn.sql: done: /,$p' "$T/log"
	assert_output --partial "left for the contract"
	refute_output --partial "second session"
	[ "$(q "select convalidated from pg_constraint where conname = 'zdm_2_nn'")" = f ]
}

@test "recipe: the VALIDATE after the backfill does not wait for a vacuum's lock (nor get it cancelled), nor does the next one of the same pass; the contract validates" {
	users
	run migrate
	q "update users set amount = null where id > 1400"
	# the backfill waits (no lock: lock_timeout does not end it) until a
	# row is in go, for ids above 1500
	q "create table go (x int); create function wait_go() returns int language plpgsql as \$\$ begin while not exists (select 1 from go) loop perform pg_sleep(0.05); end loop; return 0; end \$\$"
	mig V2__nn.sql "-- zdm: recipe=set-not-null table=users column=amount contract-after=2.0.0 batch-size=100
-- zdm: up
coalesce(amount, 0) + CASE WHEN id > 1500 THEN wait_go() ELSE 0 END"
	# a second recipe in the same pass, with a NOT NULL check of its own
	mig V2.1__rn.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0 batch-size=100"
	# the run ends while the lock is still held: one short try, no retry
	migrate_validate_held --lock-timeout 5s
	run cat "$T/log"
	assert_output --partial "V2__nn.sql and V2.1__rn.sql: their backfills of users run as one pass"
	assert_output --partial "V2__nn.sql: its NOT NULL check is left for the contract to validate: a vacuum or a schema change holds users"$'\n'
	assert_output --partial "V2.1__rn.sql: its NOT NULL check is left for the contract to validate: a vacuum or a schema change holds users (as the VALIDATE before it found; not waited for again)"
	refute_output --partial "timed out waiting for a lock"
	run q "select string_agg(conname || ':' || convalidated, ',' order by conname) from pg_constraint where conname ~ '^zdm_[0-9_]+_nn$'"
	assert_output "zdm_2_1_nn:false,zdm_2_nn:false"
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(state 2.1)" = "expanded t 0" ]
	run migrate --force-contract
	assert_success
	refute_output --partial "finishing its backfill"
	[ "$(state 2 | cut -d' ' -f1-2)" = "contracted t" ]
	[ "$(state 2.1 | cut -d' ' -f1-2)" = "contracted t" ]
	[ "$(q "select string_agg(attname || ':' || attnotnull, ',' order by attname) from pg_attribute where attrelid = 'users'::regclass and attname in ('amount', 'display_name', 'full_name')")" = "amount:true,display_name:true" ]
}

@test "recipe add-unique: CONCURRENTLY, then the constraint USING INDEX in the same run" {
	users
	mig V2__uniq.sql "-- zdm: recipe=add-unique table=users columns=full_name name=users_full_name_key"
	run migrate
	assert_success
	assert_output --partial "contracted V2__uniq.sql"
	run q "select contype, pg_get_constraintdef(oid) from pg_constraint where conname = 'users_full_name_key'"
	assert_output "u|UNIQUE (full_name)"
	[ "$(state 2)" = "contracted t 1" ]
}

@test "recipe add-foreign-key: NOT VALID, then VALIDATE" {
	users
	mig V2__orders.sql "CREATE TABLE orders (id int PRIMARY KEY, user_id bigint); INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g;"
	mig V3__fk.sql "-- zdm: recipe=add-foreign-key table=orders columns=user_id references=users(id) name=orders_user_fk on-delete=cascade"
	run migrate
	assert_success
	run q "select convalidated, pg_get_constraintdef(oid) from pg_constraint where conname = 'orders_user_fk'"
	assert_output "t|FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"
}

@test "recipe add-column: a computed fill for old code's rows, NOT NULL at the contract" {
	users
	mig V2__slug.sql "-- zdm: recipe=add-column table=users column=slug type=text not-null=true contract-after=2.0.0
-- zdm: fill
lower(full_name) || '-' || id"
	run migrate
	assert_success
	[ "$(q "select slug from users where id = 7")" = "u7-7" ]
	q "insert into users (full_name) values ('Old')"
	[ "$(q "select slug from users where full_name = 'Old'")" = "old-3001" ]
	q "insert into users (full_name, slug) values ('New', 'chosen')"
	[ "$(q "select slug from users where full_name = 'New'")" = chosen ]
	run migrate --force-contract
	assert_success
	[ "$(q "select attnotnull from pg_attribute where attrelid = 'users'::regclass and attname = 'slug'")" = t ]
	[ "$(q "select count(*) from pg_trigger where tgrelid = 'users'::regclass")" = 0 ]
}

@test "recipe drop-column: nothing at expand, the drop waits for the guard" {
	users
	mig V2__drop.sql "-- zdm: recipe=drop-column table=users column=amount contract-after=3.0.0"
	run migrate
	assert_success
	assert_output --partial "DEFERRED"
	[ "$(q "select count(*) from information_schema.columns where table_name = 'users' and column_name = 'amount'")" = 1 ]
	rolled_out 3.0.0
	run migrate
	assert_success
	[ "$(q "select count(*) from information_schema.columns where table_name = 'users' and column_name = 'amount'")" = 0 ]
}

@test "recipe rename-table: old code reads and writes through a view; the contract drops it" {
	users
	migrate >/dev/null 2>&1
	q "create role zdm_app_reader"
	q "grant select on users to zdm_app_reader"
	mig V2__members.sql "-- zdm: recipe=rename-table table=users to=members contract-after=2.0.0"
	run migrate
	assert_success
	[ "$(q "select relkind from pg_class where relname = 'users'")" = v ]
	q "insert into users (full_name) values ('via-view')"
	[ "$(q "select id from members where full_name = 'via-view'")" = 3001 ]
	q "update users set amount = 5 where full_name = 'via-view'"
	[ "$(q "select amount from members where id = 3001")" = 5 ]
	[ "$(q "select has_table_privilege('zdm_app_reader', 'users', 'select')")" = t ]
	run migrate --force-contract
	assert_success
	[ "$(q "select to_regclass('users') is null")" = t ]
	q "drop owned by zdm_app_reader; drop role zdm_app_reader"
}

@test "recipe rename-table: refused on a table with row-level security (the view would bypass it)" {
	users
	migrate >/dev/null 2>&1
	q "alter table users enable row level security"
	mig V2__members.sql "-- zdm: recipe=rename-table table=users to=members contract-after=2.0.0"
	run migrate
	assert_failure 2
	assert_output --partial "V2__members.sql:1: recipe=rename-table: \"public\".\"users\" has row-level security"
	[ "$(q "select to_regclass('members') is null")" = t ]
	[ "$(q "select count(*) from zdm_schema_history where version = '2'")" = 0 ]
}

@test "recipe: a rename in N and a type change of the renamed column in N+1, both in flight" {
	users
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	run migrate
	assert_success
	mig V3__bytes.sql "-- zdm: recipe=change-type table=users column=display_name to=display_bytes type=bytea contract-after=3.0.0
-- zdm: up
convert_to(display_name, 'UTF8')
-- zdm: down
convert_from(display_bytes, 'UTF8')"
	# N's contract has not run (no 2.0.0 rollout): N+1 expands anyway
	run migrate
	assert_success
	assert_output --partial "applied V3__bytes.sql"
	[ "$(q "select count(*) from users where display_bytes is distinct from convert_to(full_name, 'UTF8')")" = 0 ]
	# app 1 writes full_name, app 2 display_name, app 3 display_bytes
	q "update users set full_name = 'one' where id = 1"
	q "update users set display_name = 'two' where id = 2"
	q "update users set display_bytes = convert_to('three', 'UTF8') where id = 3"
	q "insert into users (full_name) values ('ins1')"
	q "insert into users (display_bytes) values (convert_to('ins3', 'UTF8'))"
	run q "select full_name, display_name, convert_from(display_bytes, 'UTF8') from users where id in (1, 2, 3) or id > 3000 order by id"
	assert_output "one|one|one
two|two|two
three|three|three
ins1|ins1|ins1
ins3|ins3|ins3"
	# 3.0.0 rolled out: both guards pass; contracts run in version order
	rolled_out 3.0.0
	run migrate
	assert_success
	assert_output --partial "contracted V2__rename.sql"
	assert_output --partial "contracted V3__bytes.sql"
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) amount:YES:- display_bytes:NO:-"
	[ "$(q "select count(*) from pg_trigger where tgrelid = 'users'::regclass")" = 0 ]
}

@test "recipe: N+1's contract waits for N's on the same table" {
	users
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=5.0.0"
	mig V3__drop.sql "-- zdm: recipe=drop-column table=users column=amount contract-after=2.0.0"
	rolled_out 2.0.0
	run migrate
	assert_success
	assert_output --partial "DEFERRED: the contract of V2__rename.sql"
	assert_output --partial "V3__drop.sql: its contract waits for the earlier recipe on \"public\".\"users\" to contract"
	[ "$(state 3)" = "expanded t 0" ]
}

@test "recipe: on a table in key order a backfill does every other row of a page first; the rest stay on their page" {
	mig V1__t.sql "CREATE TABLE people (id bigserial PRIMARY KEY, full_name text NOT NULL);
INSERT INTO people (full_name) SELECT 'person ' || g FROM generate_series(1, 20000) g;
ANALYZE people;"
	run migrate
	assert_success
	pages=$(q "select relpages from pg_class where relname = 'people'")
	mig V2__rename.sql "-- zdm: recipe=rename-column table=people column=full_name to=display_name contract-after=2.0.0 batch-size=1000"
	run migrate
	assert_success
	assert_output --partial 'aiming at 50 ms a batch; every other row of a page first)'
	[ "$(q "select count(*) from people where display_name is distinct from full_name")" = 0 ]
	# the pages were full: a row whose new version is still in one of
	# them was updated in place (HOT, no index entry), in the room its
	# page's first half left; with whole batches only the rows of a page
	# that two batches share do (a few hundred)
	stayed=$(q "select count(*) from people where (ctid::text::point)[0] < $pages")
	echo "# $stayed of 20000 rows stayed on their page" >&3
	[ "$stayed" -ge 5000 ]
}

@test "recipe: a key out of the table's order, or no statistics, makes whole batches" {
	# u is never analysed (autovacuum off for it, so no autoanalyze
	# between its load and its backfill)
	mig V1__t.sql "CREATE TABLE s (id bigint PRIMARY KEY, v text NOT NULL);
INSERT INTO s SELECT (g * 7919) % 20011, 'v' || g FROM generate_series(1, 20000) g;
ANALYZE s;
CREATE TABLE u (id bigint PRIMARY KEY, v text NOT NULL) WITH (autovacuum_enabled = off);
INSERT INTO u SELECT g, 'v' || g FROM generate_series(1, 20000) g;"
	mig V2__s.sql "-- zdm: recipe=rename-column table=s column=v to=w contract-after=2.0.0 batch-size=1000"
	mig V3__u.sql "-- zdm: recipe=rename-column table=u column=v to=w contract-after=2.0.0 batch-size=1000"
	run migrate
	assert_success
	assert_output --partial 'V2__s.sql: backfilling s in batches by "id" (~20000 rows, first batch 1000, aiming at 50 ms a batch)'
	assert_output --partial 'V3__u.sql: backfilling u in batches by "id" ('
	refute_output --partial "every other row"
	[ "$(q "select (select count(*) from s where w = v) + (select count(*) from u where w = v)")" = 40000 ]
}

@test "recipe: kill -9 in the backfill; the next run finishes it before anything else" {
	users
	big_recipe 4242
	mig V3__after.sql "CREATE TABLE after_big (id int);"
	kill_in_backfill 4242
	[ "$(state 2)" = "expanded f 0" ]
	[ "$(q "select count(*) from users where amount_big is null")" -gt 0 ]
	[ "$(q "select count(*) from users where amount_big is not null")" -ge 1000 ]
	[ "$(q "select to_regclass('after_big') is null")" = t ]
	run migrate
	assert_success
	assert_output --partial "V2__big.sql: finishing its backfill"
	assert_output --partial "resuming after key"
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(q "select count(*) from users where amount_big is distinct from amount")" = 0 ]
	[ "$(q "select count(*) from zdm_schema_history where version = '2'")" = 1 ]
	[ "$(q "select to_regclass('after_big') is not null")" = t ]
}

@test "recipe: consecutive recipes on one table backfill in one pass; one that reads another's column gets its own" {
	users
	run migrate
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	mig V3__label.sql "-- zdm: recipe=add-column table=users column=label type=text not-null=true contract-after=2.0.0
-- zdm: fill
'u-' || amount"
	# reads display_name, which V2's pass writes: a pass of its own
	mig V4__bytes.sql "-- zdm: recipe=change-type table=users column=display_name to=display_bytes type=bytea contract-after=3.0.0
-- zdm: up
convert_to(display_name, 'UTF8')
-- zdm: down
convert_from(display_bytes, 'UTF8')"
	run migrate --dry-run
	assert_success
	assert_output --partial "backfill (in batches, resumable; one pass for the recipes below it too):"
	assert_output --partial 'UPDATE users SET "display_name" = CASE WHEN "display_name" IS NULL THEN "full_name" ELSE "display_name" END,'
	assert_output --partial "backfill: in the one pass of V2__rename.sql (above)"
	run migrate
	assert_success
	assert_output --partial "V2__rename.sql and V3__label.sql: their expands of users run in one transaction"
	assert_output --partial "V2__rename.sql and V3__label.sql: their backfills of users run as one pass over the table"
	assert_output --partial "applied V2__rename.sql and V3__label.sql (one backfill of users: 3000 rows"
	assert_output --partial "applied V4__bytes.sql (backfill of users: 3000 rows"
	refute_output --partial "V4__bytes.sql (its backfill joins"
	[ "$(q "select count(*) from users where display_name is distinct from full_name or label is distinct from 'u-' || amount or display_bytes is distinct from convert_to(full_name, 'UTF8')")" = 0 ]
	for v in 2 3 4; do
		[ "$(state $v)" = "expanded t 0" ]
		[ "$(q "select count(*) || ' ' || bool_and(success) || ' ' || count(backfill_key) from zdm_schema_history where version = '$v'")" = "1 true 1" ]
	done
	# writes of every app version stay in step afterwards
	q "insert into users (full_name, amount) values ('old', 7)"
	run q "select display_name, label, convert_from(display_bytes, 'UTF8') from users where full_name = 'old'"
	assert_output "old|u-7|old"
	rolled_out 3.0.0
	run migrate
	assert_success
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) amount:YES:- label:NO:- display_bytes:NO:-"
}

@test "recipe: kill -9 in a pass of two recipes; the next run resumes both as one pass where it stopped" {
	users
	big_recipe 4243
	mig V3__label.sql "-- zdm: recipe=add-column table=users column=label type=text contract-after=2.0.0 batch-size=100
-- zdm: fill
'u-' || id"
	mig V4__after.sql "CREATE TABLE after_big (id int);"
	kill_in_backfill 4243
	grep -q "their backfills of users run as one pass" "$T/log"
	[ "$(state 2)" = "expanded f 0" ]
	[ "$(state 3)" = "expanded f 0" ]
	# both rows carry the one resume point
	[ "$(q "select count(distinct backfill_key) || ' ' || count(backfill_key) from zdm_schema_history where version in ('2', '3')")" = "1 2" ]
	done_rows=$(q "select count(*) from users where label is not null")
	[ "$done_rows" -ge 1000 ]
	[ "$(q "select count(*) from users where amount_big is not null")" = "$done_rows" ]
	[ "$(q "select to_regclass('after_big') is null")" = t ]
	run migrate
	assert_success
	assert_output --partial "V2__big.sql and the recipes after it: finishing its backfill"
	assert_output --partial "their backfills of users run as one pass over the table"
	assert_output --partial "resuming after key"
	# only the rows the killed run had not done
	assert_output --partial "one backfill of users: $((3000 - done_rows)) rows"
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(state 3)" = "expanded t 0" ]
	[ "$(q "select count(*) from users where amount_big is distinct from amount or label is distinct from 'u-' || id")" = 0 ]
	[ "$(q "select count(*) from zdm_schema_history where version in ('2', '3') and success")" = 2 ]
	[ "$(q "select to_regclass('after_big') is not null")" = t ]
}

@test "recipe: a group's expands are one transaction: the second one's failure leaves none, named by its file" {
	users
	run migrate
	rename_and_amount
	run migrate --dry-run
	assert_success
	assert_output --partial "expand (pre phase, with the version's history row; the expands below run in this transaction too):"
	assert_output --partial "expand (pre phase, with the version's history row, in the transaction of V2__rename.sql's):"
	# one sync function for both, in V2's part; the trigger once, at the end
	[ "$(printf '%s\n' "$output" | grep -c 'CREATE OR REPLACE FUNCTION')" = 1 ]
	[ "$(printf '%s\n' "$output" | grep -c 'CREATE TRIGGER zdm_sync')" = 1 ]
	# V3's check name is taken: its part of the transaction fails
	q "alter table users add constraint zdm_3_nn check (amount > -1)"
	run migrate
	assert_failure 1
	assert_output --partial "their expands of users run in one transaction"
	assert_output --partial "V3__amount.sql"
	assert_output --partial 'constraint "zdm_3_nn" for relation "users" already exists'
	# nothing of V2 stayed either: no column, no trigger, no recipe row
	[ "$(q "select count(*) from information_schema.columns where table_name = 'users' and column_name = 'display_name'")" = 0 ]
	[ "$(q "select count(*) from pg_trigger where tgname = 'zdm_sync'")" = 0 ]
	[ "$(q "select count(*) from zdm_schema_history_recipes")" = 0 ]
	[ "$(q "select count(*) from zdm_schema_history where version = '2'")" = 0 ]
	[ "$(q "select success from zdm_schema_history where version = '3'")" = f ]
	q "alter table users drop constraint zdm_3_nn"
	run migrate
	assert_success
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(state 3)" = "expanded t 0" ]
	# the one function keeps both in step
	q "insert into users (full_name, amount) values ('old', null)"
	[ "$(q "select display_name || ' ' || amount from users where full_name = 'old'")" = "old 0" ]
}

@test "recipe: kill -9 while a group's expands wait for the table's lock; the next run applies both" {
	users
	run migrate
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	mig V3__label.sql "-- zdm: recipe=add-column table=users column=label type=text contract-after=2.0.0
-- zdm: fill
'u-' || id"
	kill_at_table_lock
	grep -q "their expands of users run in one transaction" "$T/log"
	[ "$(q "select count(*) from zdm_schema_history where version in ('2', '3')")" = 0 ]
	[ "$(q "select count(*) from information_schema.columns where table_name = 'users' and column_name in ('display_name', 'label')")" = 0 ]
	run migrate
	assert_success
	assert_output --partial "their expands of users run in one transaction"
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(state 3)" = "expanded t 0" ]
	[ "$(q "select count(*) from users where display_name is distinct from full_name or label is distinct from 'u-' || id")" = 0 ]
}

@test "recipe: a pass killed alone resumes alone when a recipe that could have joined it arrives with the next release" {
	users
	big_recipe 4244
	kill_in_backfill 4244
	[ "$(state 2)" = "expanded f 0" ]
	mig V3__label.sql "-- zdm: recipe=add-column table=users column=label type=text contract-after=2.0.0 batch-size=100
-- zdm: fill
'u-' || id"
	run migrate
	assert_success
	assert_output --partial "V2__big.sql: finishing its backfill"
	refute_output --partial "and the recipes after it"
	assert_output --partial "applied V3__label.sql (backfill of users: 3000 rows"
	[ "$(q "select count(*) from users where amount_big is distinct from amount or label is distinct from 'u-' || id")" = 0 ]
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(state 3)" = "expanded t 0" ]
}

@test "recipe: a row that a joined recipe's NOT NULL check refuses stops the pass, named; fixed, the next run resumes" {
	users
	run migrate
	q "update users set amount = null where id = 2500"
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	mig V3__amount.sql "-- zdm: recipe=set-not-null table=users column=amount contract-after=2.0.0
-- zdm: up
CASE WHEN id = 2500 THEN NULL ELSE coalesce(amount, 0) END"
	run migrate
	assert_failure 1
	assert_output --partial 'violates check constraint "zdm_3_nn"'
	assert_output --partial "the backfill of V2__rename.sql and V3__amount.sql fills a column that must become NOT NULL, and its value is NULL for this row"
	assert_output --partial "hint: make the column's value non-NULL for such rows"
	[ "$(state 2)" = "expanded f 0" ]
	[ "$(state 3)" = "expanded f 0" ]
	q "update users set amount = 7 where id = 2500"
	run migrate
	assert_success
	assert_output --partial "resuming after key"
	[ "$(q "select count(*) from users where display_name is null or amount is null")" = 0 ]
	[ "$(state 3)" = "expanded t 0" ]
}

@test "recipe: due contracts of one table run in one transaction; one whose check is NOT VALID runs alone" {
	users
	run migrate
	rename_and_amount
	# no up: its check stays NOT VALID, its contract scans: not in the group
	mig V4__label.sql "-- zdm: recipe=add-column table=users column=label type=text contract-after=2.0.0
-- zdm: fill
'u-' || id"
	mig V5__amount2.sql "-- zdm: recipe=set-not-null table=users column=label contract-after=3.0.0"
	run migrate
	assert_success
	rolled_out 2.0.0
	run migrate
	assert_success
	assert_output --partial "V2__rename.sql, V3__amount.sql and V4__label.sql: their contracts of users run in one transaction"
	assert_output --partial "contracted V3__amount.sql (recipe=set-not-null on users: 4 steps"
	assert_output --partial "DEFERRED: the contract of V5__amount2.sql"
	# recorded together, each with its own steps
	[ "$(q "select count(distinct xmin::text) || ' ' || count(*) from zdm_schema_history_recipes where version in ('2', '3', '4') and state = 'contracted'")" = "1 3" ]
	[ "$(q "select contract_step = array_length(contract_sql, 1) from zdm_schema_history_recipes where version = '3'")" = t ]
	# V5, still in flight, keeps no column in step: the last of the
	# group's steps dropped the trigger and its function
	[ "$(q "select count(*) from pg_trigger where tgname = 'zdm_sync'")" = 0 ]
	[ "$(q "select count(*) from pg_proc where proname = 'zdm_sync_users'")" = 0 ]
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) amount:NO:- display_name:NO:'anon'::text label:YES:-"
	# new code's writes: no old column to keep in step; V5's check holds
	q "insert into users (display_name, amount, label) values ('new', 1, 'n')"
	rolled_out 3.0.0
	run migrate
	assert_success
	refute_output --partial "run in one transaction"
	assert_output --partial "contracted V5__amount2.sql (recipe=set-not-null on users: 3 steps"
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) amount:NO:- display_name:NO:'anon'::text label:NO:-"
}

@test "recipe: kill -9 while one transaction of contracts waits for the table's lock; the next run does them all" {
	users
	run migrate
	rename_and_amount
	run migrate
	assert_success
	rolled_out 2.0.0
	kill_at_table_lock
	grep -q "their contracts of users run in one transaction" "$T/log"
	# nothing of either stayed, not even their compiled steps
	[ "$(state 2)" = "expanded t 0" ]
	[ "$(state 3)" = "expanded t 0" ]
	[ "$(q "select count(contract_sql) from zdm_schema_history_recipes")" = 0 ]
	[ "$(q "select count(*) from information_schema.columns where table_name = 'users' and column_name = 'full_name'")" = 1 ]
	run migrate
	assert_success
	assert_output --partial "V2__rename.sql and V3__amount.sql: their contracts of users run in one transaction"
	[ "$(state 2)" = "contracted t 6" ]
	[ "$(state 3)" = "contracted t 5" ]
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) amount:NO:- display_name:NO:'anon'::text"
}

@test "recipe: a contract that cannot get the table's lock in time names the session holding it, and retries" {
	users
	rename_and_amount
	run migrate
	assert_success
	rolled_out 2.0.0
	PGAPPNAME=holder psql -X -q -c "begin; lock table users in access share mode; select pg_sleep(600)" >/dev/null 2>&1 &
	local holder=$! p
	wait_for "$(users_lock_sql AccessShareLock '')" 1
	migrate --lock-timeout 300ms >"$T/log" 2>&1 &
	p=$!
	# the holder lets go once the contract has lost a race to it and named
	# it (the session that looks connects only when a statement waits: on
	# a busy machine the first retry may come before it could look)
	wait_for_line "$T/log" "timed out waiting for a lock \\(lock_timeout\\); blocked by pid"
	q "select pg_cancel_backend(pid) from pg_stat_activity where application_name = 'holder'" >/dev/null
	wait $holder 2>/dev/null || true
	wait $p
	run cat "$T/log"
	assert_output --regexp "V2__rename.sql: the contracts of V2__rename.sql and V3__amount.sql \(one transaction\) timed out waiting for a lock \(lock_timeout\); blocked by pid [0-9]+ \(application \"holder\", active, transaction open [0-9:]+\): begin; lock table users in access share mode; select pg_sleep\(600\); retry [0-9]+ of 10 in [0-9]+ ms"
	assert_output --partial "contracted V3__amount.sql"
	[ "$(state 2)" = "contracted t 6" ]
	[ "$(state 3)" = "contracted t 5" ]
}

@test "recipe: the sync trigger does not touch zdm's backfill, also one made before the trigger had a WHEN" {
	users
	# down is not the inverse of up: were the trigger to run for the
	# backfill's writes, amount would change
	mig V2__text.sql "-- zdm: recipe=change-type table=users column=amount to=amount_txt type=text contract-after=2.0.0
-- zdm: up
amount::text
-- zdm: down
amount_txt::integer + 1000000"
	run migrate
	assert_success
	run q "select pg_get_triggerdef(oid) from pg_trigger where tgname = 'zdm_sync'"
	assert_output --partial "WHEN ((current_setting('zdm.sync_off'::text, true) IS DISTINCT FROM 'on'::text))"
	[ "$(q "select prosrc like '%current_setting%' from pg_proc where proname = 'zdm_sync_users'")" = f ]
	[ "$(q "select count(*) from users where amount > 3000 or amount_txt is distinct from amount::text")" = 0 ]
	# the trigger as zdm made it before: no WHEN, the test in the function
	q "drop trigger zdm_sync on users; create trigger zdm_sync before insert or update on users for each row execute function zdm_sync_users()"
	mig V3__label.sql "-- zdm: recipe=add-column table=users column=label type=text contract-after=2.0.0
-- zdm: fill
'u-' || amount_txt"
	run migrate
	assert_success
	[ "$(q "select prosrc like '%current_setting(''zdm.sync_off'', true) = ''on''%' from pg_proc where proname = 'zdm_sync_users'")" = t ]
	[ "$(q "select count(*) from users where amount > 3000 or label is distinct from 'u-' || amount")" = 0 ]
	# and it still syncs the apps' writes
	q "update users set amount_txt = '5' where id = 1"
	[ "$(q "select amount from users where id = 1")" = 1000005 ]
}

@test "recipe: kill -9 in a contract step; the next run resumes at that step" {
	users
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	run migrate
	assert_success
	# a reader holds the table: the contract's ALTERs queue behind it.
	# Step 1 (the VALIDATE, which no reader blocks) commits alone; steps
	# 2 to 7 are catalog changes in one transaction, which the kill undoes
	KILL_CONN=1 kill_migrate "begin; select count(*) from users; select pg_sleep(600)" \
		"select count(*) from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'users' and l.mode = 'AccessShareLock' and l.granted and l.pid <> pg_backend_pid()" \
		"select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query ~ '^(ALTER|DROP) '" \
		--force-contract
	run state 2
	assert_output "contracting t 1"
	[ "$(q "select count(*) from information_schema.columns where table_name = 'users' and column_name = 'full_name'")" = 1 ]
	run migrate --force-contract
	assert_success
	assert_output --partial "resuming its contract at step 2 of 7"
	[ "$(state 2)" = "contracted t 7" ]
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) amount:YES:- display_name:NO:'anon'::text"
}

@test "recipe: --dry-run prints the SQL of every phase and changes nothing" {
	users
	run migrate
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	run migrate --dry-run
	assert_success
	assert_output --partial "would apply V2__rename.sql"
	assert_output --partial 'ALTER TABLE "public"."users" ADD COLUMN "display_name" text;'
	assert_output --partial 'CREATE TRIGGER zdm_sync BEFORE INSERT OR UPDATE ON "public"."users"'
	assert_output --partial 'UPDATE users SET "display_name" = "full_name" WHERE "display_name" IS NULL'
	assert_output --partial "then, once the backfill is done (no app waits for it"
	assert_output --partial 'ALTER TABLE "public"."users" VALIDATE CONSTRAINT "zdm_2_nn";'
	assert_output --partial "contract (once a rollout of app 2.0.0 or later has completed"
	# the VALIDATE alone, the catalog steps after it in one transaction,
	# the trigger's first
	assert_output --partial "$(printf '%s\n' '    BEGIN;' '    1. ALTER TABLE "public"."users" VALIDATE CONSTRAINT "zdm_2_nn";' '    COMMIT;' '    BEGIN;' '    2. DROP TRIGGER IF EXISTS zdm_sync ON "public"."users";' '    3. DROP FUNCTION IF EXISTS "public"."zdm_sync_users"();' '    4. ALTER TABLE "public"."users" ALTER COLUMN "display_name" SET NOT NULL;')"
	assert_output --partial 'DROP COLUMN "full_name";'
	[ "$(q "select count(*) from information_schema.columns where column_name = 'display_name'")" = 0 ]
}

@test "recipe: an index on the renamed column is named, before the contract drops it" {
	users
	migrate >/dev/null 2>&1
	q "create index users_full_name_idx on users (full_name)"
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	run migrate
	assert_success
	assert_output --partial "index users_full_name_idx is on users.full_name, which the contract of 2 drops"
}

@test "recipe: malformed files are exit 2 with file:line, and nothing is touched" {
	users
	run migrate
	bad() {
		rm -f "$M"/V2__*.sql
		printf '%s\n' "$2" >"$M/V2__bad.sql"
		run migrate
		assert_failure 2
		assert_output --partial "$1"
	}
	bad "V2__bad.sql:1: unknown recipe \"rename-colum\"" "-- zdm: recipe=rename-colum table=users"
	bad "V2__bad.sql:1: recipe=rename-column needs to=" "-- zdm: recipe=rename-column table=users column=full_name contract-after=2"
	bad "V2__bad.sql:1: recipe=rename-column needs contract-after=" "-- zdm: recipe=rename-column table=users column=full_name to=x"
	bad "V2__bad.sql:1: recipe=drop-column takes no \"to\"" "-- zdm: recipe=drop-column table=users column=x to=y contract-after=2"
	bad "V2__bad.sql:2: a recipe file holds its directive" "-- zdm: recipe=drop-column table=users column=amount contract-after=2
ALTER TABLE users DROP COLUMN amount;"
	bad "recipe=change-type needs two blocks" "-- zdm: recipe=change-type table=users column=amount to=a2 type=bigint contract-after=2
-- zdm: up
amount::bigint"
	bad "V2__bad.sql:2: the \"up\" block must be one SQL expression, not 2 statements" "-- zdm: recipe=set-not-null table=users column=amount contract-after=2
-- zdm: up
1; DROP TABLE users"
	bad "recipe=rename-column: table users2 does not exist" "-- zdm: recipe=rename-column table=users2 column=a to=b contract-after=2"
	bad "recipe=rename-column: table \"public\".\"users\" has no column nope" "-- zdm: recipe=rename-column table=users column=nope to=b contract-after=2"
	bad "recipe=rename-column: \"public\".\"users\" already has a column amount" "-- zdm: recipe=rename-column table=users column=full_name to=amount contract-after=2"
	bad "table=users;drop is not a plain name" "-- zdm: recipe=drop-column table=users;drop column=amount contract-after=2"
	bad "V2__bad.sql:1: batch-time=500: not a duration (use e.g. 100ms, 1s)" "-- zdm: recipe=rename-column table=users column=full_name to=b contract-after=2 batch-time=500"
	bad "V2__bad.sql:1: batch-size=0: give a number of rows from 1 to 10000000" "-- zdm: recipe=rename-column table=users column=full_name to=b contract-after=2 batch-size=0"
	mv "$M/V2__bad.sql" "$M/R__bad.sql"
	run migrate
	assert_failure 2
	assert_output --partial "R__bad.sql: a recipe is a versioned migration"
	[ "$(q "select count(*) from zdm_schema_history")" = 1 ]
	[ "$(q "select to_regclass('zdm_schema_history_recipes') is null")" = t ]
}

@test "recipe: run --phase post --contract-in-post contracts right after the rollout it waited for" {
	users
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	run "$ZDM_HOOK" run --phase pre --dir "$M" --release shop --app-version 2.0.0
	assert_success
	assert_output --partial "DEFERRED: the contract of V2__rename.sql"
	run q "select contract_deferred is not null from schema_deployment_log where phase = 'pre'"
	assert_output t
	run "$ZDM_HOOK" run --phase post --dir "$M" --release shop --app-version 2.0.0 --contract-in-post
	assert_success
	assert_output --partial "contracted V2__rename.sql"
	[ "$(state 2)" = "contracted t 7" ]
}

@test "recipe: an old app session still connected defers the contract (pg_stat_activity)" {
	users
	mig V2__rename.sql "-- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0"
	run migrate
	rolled_out 2.0.0
	PGAPPNAME=shop/1.0.0 psql -X -q -c "select pg_sleep(600)" >/dev/null 2>&1 &
	holder=$!
	wait_for "select count(*) from pg_stat_activity where application_name = 'shop/1.0.0'" 1
	run migrate
	assert_success
	assert_output --partial "DEFERRED: the contract of V2__rename.sql"
	assert_output --partial "app 1.0.0"
	[ "$(state 2)" = "expanded t 0" ]
	q "select pg_cancel_backend(pid) from pg_stat_activity where application_name = 'shop/1.0.0'" >/dev/null
	wait $holder 2>/dev/null || true
	wait_for "select count(*) from pg_stat_activity where application_name = 'shop/1.0.0'" 0
	run migrate
	assert_success
	assert_output --partial "contracted V2__rename.sql"
}

@test "recipe: every recipe in one directory (tests/data/recipes): expands, the unguarded contract at once, the rest after the rollout" {
	cp "$ZDM_ROOT"/tests/data/recipes/*.sql "$M/"
	run migrate
	assert_success
	run q "select version || ':' || state from zdm_schema_history_recipes order by version::int"
	assert_output "$(printf '%s\n' 2:expanded 3:expanded 4:expanded 5:contracted 6:contracted 7:expanded 8:expanded 9:expanded)"
	# the foreign key was validated before V9 renamed its table
	[ "$(q "select convalidated from pg_constraint where conname = 'orders_user_fk'")" = t ]
	# old code through the view, every column kept in step
	q "insert into users (full_name, email, amount, legacy) values ('old', 'old@example.com', 150, 1)"
	q "insert into orders (user_id) values (201)"
	run q "select display_name, amount_exact, nickname, slug from users where email = 'old@example.com'"
	assert_output "old|1.50|none|user-201"
	[ "$(q "select count(*) from purchases")" = 201 ]
	rolled_out 2.0.0
	run migrate
	assert_success
	run q "select count(*) from zdm_schema_history_recipes where state <> 'contracted'"
	assert_output 0
	run cols users
	assert_output "id:NO:nextval('users_id_seq'::regclass) email:YES:- nickname:NO:- display_name:NO:- amount_exact:YES:- slug:NO:-"
	[ "$(q "select string_agg(relname || relkind::text, ' ' order by relname) from pg_class where relname in ('orders', 'purchases')")" = "purchasesr" ]
	[ "$(q "select count(*) from pg_trigger where tgname = 'zdm_sync'")" = 0 ]
}
