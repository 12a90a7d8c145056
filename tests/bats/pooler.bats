#!/usr/bin/env bats
# A real PgBouncer in front of the suite's PostgreSQL. Transaction pooling
# would split zdm's lock, its prepared statements and its migrations over
# different server sessions: zdm-hook refuses it (exit 2) before it locks
# or changes anything. Session pooling keeps one server session per client
# and works, also with concurrent runners.

load helpers

setup() {
	command -v pgbouncer >/dev/null || skip "pgbouncer is not installed (scripts/deps.sh installs it)"
	zdm_setup_db
	BDIR=""
}

teardown() {
	zdm_stop_bouncer
	zdm_teardown_db
}

# via_bouncer ARGS: zdm-hook through PgBouncer
via_bouncer() {
	PGPORT=$BPORT "$ZDM_HOOK" "$@"
}

@test "pooler: PgBouncer in transaction mode is refused with exit 2; nothing locked, nothing changed" {
	zdm_start_bouncer transaction 40
	mig V1__a.sql "create table a (id int);"
	run via_bouncer migrate --dir "$M"
	assert_failure 2
	assert_output --regexp "error: postgres@127\.0\.0\.1:$BPORT/$PGDATABASE does not keep one server session: it goes through a transaction-pooling proxy"
	assert_output --partial "nothing was locked or changed"
	assert_output --partial "hint: connect zdm-hook to PostgreSQL directly, or through a pool in session mode"
	run q "select count(*) from pg_locks where locktype = 'advisory'"
	assert_output "0"
	run q "select count(*) from pg_class where relname in ('a', 'zdm_schema_history')"
	assert_output "0"
	# a direct connection applies the same directory
	run hook migrate --dir "$M"
	assert_success
}

@test "pooler: transaction mode is refused also while other clients use the pool" {
	zdm_start_bouncer transaction 40
	mig V1__a.sql "create table a (id int);"
	# four other clients keep server connections busy and idle in turn
	local others=()
	for i in 1 2 3 4; do
		PGPORT=$BPORT psql -X -q -c "select pg_sleep(0.05)" -c "select pg_sleep(0.05)" -c "select pg_sleep(0.05)" >/dev/null 2>&1 &
		others+=($!)
	done
	run via_bouncer migrate --dir "$M"
	assert_failure 2
	assert_output --partial "transaction-pooling proxy"
	wait "${others[@]}"
	run q "select count(*) from pg_class where relname = 'a'"
	assert_output "0"
}

@test "pooler: session mode, 6 concurrent runners: each migration applied once, all exit 0" {
	zdm_start_bouncer session 40
	for i in $(seq -w 1 20); do
		mig "V${i}__m.sql" "create table t$i (id int); insert into applied values ($i);"
	done
	mig V00__applied.sql "create table applied (v int not null);"
	mig V21__idx.sql $'-- zdm: transaction=off\ncreate index concurrently t01_id on t01 (id);'
	for r in 1 2 3 4 5 6; do
		via_bouncer migrate --dir "$M" >"$T/runner$r.log" 2>&1 &
		pids+=($!)
	done
	for r in 0 1 2 3 4 5; do
		wait "${pids[$r]}" || { cat "$T/runner$((r + 1)).log"; false; }
	done
	run q "select count(*), count(distinct v) from applied"
	assert_output "20|20"
	run q "select count(*), count(distinct version), bool_and(success) from zdm_schema_history"
	assert_output "22|22|t"
	run q "select indisvalid from pg_index where indexrelid = 't01_id'::regclass"
	assert_output "t"
}

@test "pooler: nothing pending through a transaction pool is still the fast no-op (no lock needed)" {
	mig V1__a.sql "create table a (id int);"
	hook migrate --dir "$M" --quiet
	zdm_start_bouncer transaction 40
	run via_bouncer migrate --dir "$M"
	assert_success
	assert_output --partial "nothing to apply"
}
