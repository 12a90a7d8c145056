#!/usr/bin/env bats
# -- zdm: backfill: keyset batches, each its own transaction, resumable.

load helpers

setup() {
	zdm_setup_db
	mig V1__t.sql "create table users (id bigint primary key, full_name text not null, display_name text);
insert into users select g, 'user ' || g from generate_series(1, 20000) g;"
}
teardown() {
	[ -z "${STANDBY:-}" ] || "$ZDM_ROOT/scripts/pg-sandbox.sh" stop "$STANDBY"
	zdm_teardown_db
}

bf() {   # bf [DIRECTIVE-ARGS]: the V2 backfill file
	mig V2__bf.sql $'-- zdm: backfill table=users '"$1"$'\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;'
}

@test "backfill: batches by the primary key, converges, grows the batch toward batch-time" {
	bf "batch-size=100 batch-time=200ms"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial 'backfilling users in batches by "id" (~20000 rows, first batch 100'
	assert_output --regexp 'done: 20000 rows updated, 20000 of ~20000 keys scanned, [0-9]+ rows/s, batch [0-9]{3,}'
	refute_output --regexp 'batch 100$'
	assert_output --partial "applied V2__bf.sql (backfill of users: 20000 rows"
	run q "select count(*) from users where display_name is distinct from full_name"
	assert_output "0"
	run q "select success, backfill_key from zdm_schema_history where version = '2'"
	assert_output "t|20000"
	# a second run has nothing to do
	run hook migrate --dir "$M"
	assert_output --partial "nothing to apply"
}

@test "backfill: an alias, a schema-qualified table and key= work" {
	mig V1__t.sql "create schema app; create table app.users (code text primary key, uid int unique not null, a text, b text);
insert into app.users select 'c' || g, g, 'x' || g from generate_series(1, 3000) g;"
	mig V2__bf.sql $'-- zdm: backfill table=app.users key=uid batch-size=500\nUPDATE app.users AS u SET b = u.a WHERE u.b IS NULL AND u.a IS NOT NULL;'
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial 'in batches by "uid"'
	# without batch-time=, a batch aims at 50 ms: the longest an app's
	# write to a row it has updated waits for it
	assert_output --partial 'first batch 500, aiming at 50 ms a batch)'
	run q "select count(*) from app.users where b is null"
	assert_output "0"
}

@test "backfill: a file's batches stay whole on a table in key order: its WHERE may pick a row again" {
	# analysed, key in the table's order: a recipe's backfill would split
	# its batches (recipe.bats); a file's WHERE is the author's, and this
	# one would pick a row of the first half again in the second
	mig V1__t.sql "create table c (id bigint primary key, n int not null default 0);
insert into c (id) select generate_series(1, 20000);
analyze c;"
	mig V2__bf.sql $'-- zdm: backfill table=c batch-size=1000\nUPDATE c SET n = n + 1 WHERE n < 5;'
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial 'first batch 1000, aiming at 50 ms a batch)'
	refute_output --partial "every other row"
	run q "select n, count(*) from c group by n"
	assert_output "1|20000"
}

@test "backfill: kill -9 mid-way; the next run resumes after the last committed batch" {
	bf "batch-size=1000 delay=200ms"
	"$ZDM_HOOK" migrate --dir "$M" >"$T/out" 2>&1 &
	p=$!
	for i in $(seq 1 100); do
		[ "$(q "select count(*) from users where display_name is not null")" -ge 3000 ] && break
		sleep 0.1
	done
	kill -9 $p
	wait $p || true
	wait_gone   # a batch the killed run had sent commits (or not) first
	key=$(q "select backfill_key from zdm_schema_history where version = '2'")
	[ -n "$key" ] && [ "$key" -ge 3000 ] && [ "$key" -lt 20000 ]
	run hook status --dir "$M"
	assert_output --regexp '2 +failed'
	bf "batch-size=1000"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "resuming after key $key"
	refute_output --partial "done: 20000 rows updated"
	run q "select count(*) from users where display_name is null"
	assert_output "0"
}

@test "backfill: rows old code writes ahead of the cursor while it runs converge" {
	hook migrate --dir "$M"
	bf "batch-size=500 delay=300ms"
	"$ZDM_HOOK" migrate --dir "$M" >"$T/out" 2>&1 &
	p=$!
	for i in $(seq 1 100); do
		[ -n "$(q "select backfill_key from zdm_schema_history where version = '2'")" ] && break
		sleep 0.05
	done
	# old code: new rows, and an existing row ahead of the cursor reset to NULL
	q "insert into users select g, 'late ' || g, null from generate_series(20001, 20010) g;
	   update users set display_name = null where id = 19999" >/dev/null
	wait $p
	run q "select count(*) from users where display_name is null"
	assert_output "0"
	# (rows written behind the cursor, or after the backfill ended, are the
	# expand trigger's job: chart-example's V2 installs one before V2.1 runs)
}

@test "backfill: a batch blocked by a row lock retries under lock_timeout" {
	hook migrate --dir "$M"
	bf "batch-size=5000"
	# the row lock is held until zdm has hit it
	psql -X -q -c "begin; select * from users where id = 10 for update; select pg_sleep(60); commit;" >/dev/null 2>&1 &
	holder=$!
	wait_for "select count(*) from pg_stat_activity where query like '%for update%' and backend_xid is not null and pid <> pg_backend_pid()" 1
	"$ZDM_HOOK" migrate --dir "$M" --lock-timeout 200ms --ddl-retries 30 >"$T/out" 2>&1 &
	p=$!
	# until a retry names the holder (the session that looks connects when
	# a batch waits: on a busy machine the first retry may come before it)
	wait_for_line "$T/out" "a batch could not get its locks within the lock_timeout; blocked by pid"
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%for update%' and pid <> pg_backend_pid()" >/dev/null
	wait $holder || true
	wait $p && rc=0 || rc=$?
	run cat "$T/out"
	[ "$rc" -eq 0 ]
	assert_output --partial "a batch could not get its locks within the lock_timeout; blocked by pid"
	run q "select count(*) from users where display_name is null"
	assert_output "0"
}

@test "backfill: --output json emits progress events" {
	bf "batch-size=1000 batch-time=10ms delay=150ms"
	"$ZDM_HOOK" migrate --dir "$M" --output json 2>"$T/err" >/dev/null
	run jq -r 'select(.event == "backfill-progress" or .event == "backfill-done") | "\(.event) \(.rows >= 0) \(.estimate)"' "$T/err"
	assert_line "backfill-done true 20000"
	assert_line --partial "backfill-progress true 20000"
}

@test "backfill: SIGTERM stops between batches, records why, resumes later" {
	bf "batch-size=1000 delay=300ms"
	"$ZDM_HOOK" migrate --dir "$M" >"$T/out" 2>&1 &
	p=$!
	# SIGTERM once a batch has committed (the next is 300 ms away at least)
	for i in $(seq 1 300); do
		[ -n "$(q "select backfill_key from zdm_schema_history where version = '2' and not success")" ] && break
		sleep 0.05
	done
	kill -TERM $p
	wait $p && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	grep -q "interrupted by SIGTERM during the backfill of V2__bf.sql" "$T/out"
	run q "select success, error like 'interrupted by SIGTERM%', backfill_key is not null from zdm_schema_history where version = '2'"
	assert_output "f|t|t"
	run hook migrate --dir "$M" --max-replica-lag 5s
	assert_success
	assert_output --partial "resuming after key"
}

@test "backfill: --max-replica-lag pauses while a real standby falls behind, goes on when it catches up" {
	# a streaming standby of the suite's PostgreSQL, its replay paused
	STANDBY=$(mktemp -d "${TMPDIR:-/tmp}/zdm-standby.XXXXXX")
	sport=$("$ZDM_ROOT/scripts/pg-sandbox.sh" standby "$ZDM_SANDBOX" "$STANDBY" | sed -n 's/^export PGPORT=//p')
	[ -n "$sport" ]
	# V1 (20000 rows) is applied and replayed before replay pauses: the
	# standby's lag comes from the backfill's own writes, however long V1
	# took on a loaded machine
	hook migrate --dir "$M" >/dev/null
	lsn=$(q "select pg_current_wal_lsn()")
	for _ in $(seq 1 300); do
		[ "$(psql -X -At -p "$sport" -c "select pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
		sleep 0.1
	done
	run psql -X -At -p "$sport" -c "select pg_is_in_recovery(), pg_last_wal_replay_lsn() >= '$lsn', pg_wal_replay_pause()"
	assert_output "t|t|"
	bf "batch-size=200 batch-time=50ms delay=300ms"
	"$ZDM_HOOK" migrate --dir "$M" --max-replica-lag 300ms >"$T/out" 2>&1 &
	p=$!
	wait_for_line "$T/out" "pausing: a standby replays" || true
	cat "$T/out"
	grep -q "V2__bf.sql: pausing: a standby replays [0-9]* ms behind (--max-replica-lag 300 ms)" "$T/out"
	sleep 1
	kill -0 "$p"   # still waiting for the standby
	# paused before the backfill finished (the pause may come before its
	# first batch: then no key is recorded yet)
	run q "select success, coalesce(backfill_key::int, 0) < 20000 from zdm_schema_history where version = '2'"
	assert_output "f|t"
	run q "select count(*) > 0 from users where display_name is null"
	assert_output "t"
	run psql -X -At -p "$sport" -c "select pg_wal_replay_resume()"
	wait "$p"
	cat "$T/out"
	grep -q "done: 20000 rows updated" "$T/out"
	run q "select success from zdm_schema_history where version = '2'"
	assert_output "t"
	# and the standby, replaying again, gets every row
	for _ in $(seq 1 50); do
		[ "$(psql -X -At -p "$sport" -c "select count(*) from users where display_name is null")" = 0 ] && break
		sleep 0.1
	done
	run psql -X -At -p "$sport" -c "select count(*) from users where display_name is null"
	assert_output "0"
}

malformed() {
	mig V2__bf.sql "$1"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "$2"
	run q "select to_regclass('zdm_schema_history') is null"
	assert_output "t"
}

@test "backfill: malformed backfill files are exit 2 with file:line and the fix" {
	malformed $'-- zdm: backfill\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;' "V2__bf.sql:1: backfill needs table=<the table it updates>"
	malformed $'-- zdm: table=users\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;' "V2__bf.sql:1: table= belongs to a backfill"
	malformed $'-- zdm: backfill=yes table=users\nUPDATE users SET x = 1 WHERE x IS NULL;' "V2__bf.sql:1: backfill takes no value"
	malformed $'-- zdm: backfill table=users\nUPDATE users SET display_name = full_name;' "V2__bf.sql:2: a backfill UPDATE needs a WHERE that selects the rows still to do"
	malformed $'-- zdm: backfill table=users\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;\nselect 1;' "V2__bf.sql: a backfill file holds exactly one UPDATE statement, not 2 statements"
	malformed $'-- zdm: backfill table=users\nDELETE FROM users WHERE id < 0;' "V2__bf.sql:2: a backfill file holds one UPDATE statement"
	malformed $'-- zdm: backfill table=accounts\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;' 'V2__bf.sql:2: the UPDATE is of "users", the directive says table=accounts'
	malformed $'-- zdm: backfill table=users\nUPDATE users SET display_name = full_name WHERE display_name IS NULL RETURNING id;' "V2__bf.sql:2: a backfill UPDATE cannot have RETURNING"
	malformed $'-- zdm: backfill table=users transaction=off\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;' "drop transaction=off"
	malformed $'-- zdm: backfill table=users batch-size=0\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;' "batch-size=0: give a number of rows"
	malformed $'-- zdm: backfill table=users batch-time=soon\nUPDATE users SET display_name = full_name WHERE display_name IS NULL;' "batch-time=soon: not a duration"
}

@test "backfill: a table without a single-column primary key needs key=" {
	mig V1__t.sql "create table pairs (a int, b int, c int, primary key (a, b)); insert into pairs values (1, 1, null);"
	mig V2__bf.sql $'-- zdm: backfill table=pairs\nUPDATE pairs SET c = a + b WHERE c IS NULL;'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'V2__bf.sql:1: table "pairs" has no single-column primary key to batch by'
	assert_output --partial "hint: name a unique, indexed column with key="
	mig V2__bf.sql $'-- zdm: backfill table=pairs key=nope\nUPDATE pairs SET c = a + b WHERE c IS NULL;'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'table "pairs" has no column "nope" for key='
}
