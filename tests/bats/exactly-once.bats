#!/usr/bin/env bats
# Exactly once, whatever the instant: zdm-hook killed with SIGKILL again
# and again, without a pause, at random moments and inside a CREATE INDEX
# CONCURRENTLY file and a backfill. Every database must end with each
# migration applied once (its DML run once), the history agreeing, and
# the schema equal to that of an uninterrupted run.

load helpers

setup() {
	zdm_setup_db
	BLOCKER=""
	# V1 bulk DML, V2 DDL and slow DML, V3 five CONCURRENTLY builds, V4 DDL and
	# DML, V5 a batched backfill, V6 a table from a query and DML: the
	# audit table counts how often each DML ran.
	mig V1__big.sql "create table big (id bigint primary key, a int not null, c text);
insert into big select g, g % 100 from generate_series(1, 60000) g;"
	mig V2__audit.sql "create table audit (id bigint generated always as identity primary key, note text not null);
insert into audit (note) values ('v2');
create table filler (g int not null);
insert into filler select generate_series(1, 400000);"
	mig V3__idx.sql "-- zdm: transaction=off
create index concurrently big_a on big (a);
create index concurrently big_a_id on big (a, id);
create index concurrently big_c on big (c);
create index concurrently big_id_a on big (id, a);
create index concurrently big_a2 on big ((a * 2));"
	mig V4__col.sql "alter table audit add column at timestamptz;
insert into audit (note) values ('v4');"
	mig V5__fill.sql $'-- zdm: backfill table=big batch-size=5000\nupdate big set c = \'x\' || a where c is null;'
	mig V6__t6.sql "create table t6 (g int primary key);
insert into t6 select g from generate_series(1, 50000) g;
insert into audit (note) values ('v6');"
}

teardown() {
	[ -z "$BLOCKER" ] || kill "$BLOCKER" 2>/dev/null || true
	zdm_teardown_db
	psql -q -X -d postgres -c "drop database if exists \"${PGDATABASE}_clean\"" >/dev/null 2>&1 || true
}

# converged DB: a run finishes the work, one more has nothing to do, and
# the database is what an uninterrupted run makes of the same files.
converged() {
	local db=$1
	run env PGDATABASE="$db" "$ZDM_HOOK" migrate --dir "$M"
	assert_success
	run env PGDATABASE="$db" "$ZDM_HOOK" migrate --dir "$M"
	assert_success
	assert_output --partial "nothing to apply"
	run env PGDATABASE="$db" psql -X -At -v ON_ERROR_STOP=1 -c "
		select (select string_agg(note, ',' order by note) from audit),
		       (select count(*) from big), (select count(*) from big where c is distinct from 'x' || a),
		       (select count(*) from t6) + (select count(*) from filler),
		       (select count(*) from pg_index where not indisvalid),
		       (select count(distinct version) from zdm_schema_history where success),
		       (select count(*) from zdm_schema_history h where not success and not exists
		          (select 1 from zdm_schema_history s where s.version = h.version and s.success))"
	# each DML once, every row filled, no invalid index, six versions
	# applied, no version failed for good
	assert_output "v2,v4,v6|60000|0|450000|0|6|0"
	schema "$db" >"$T/$db.schema"
	diff -u "$T/clean.schema" "$T/$db.schema"
}

# schema DB: pg_dump -s without comments and the session's random
# \restrict key
schema() {
	pg_dump -s -d "$1" | grep -Ev '^(--|\\(un)?restrict )'
}

clean_schema() {
	local clean="${PGDATABASE}_clean"
	psql -q -X -d postgres -c "create database \"$clean\"" >/dev/null
	PGDATABASE=$clean "$ZDM_HOOK" migrate --dir "$M" --quiet
	schema "$clean" >"$T/clean.schema"
}

# start_runner DB: zdm-hook migrate on DB in the background (pid in $RUNNER)
start_runner() {
	PGDATABASE=$1 "$ZDM_HOOK" migrate --dir "$M" --quiet >>"$T/runs.log" 2>&1 &
	RUNNER=$!
}

# kill_runner: SIGKILL the runner; true when it was still running
kill_runner() {
	local rc=0
	kill -9 "$RUNNER" 2>/dev/null || rc=1
	wait "$RUNNER" 2>/dev/null || true
	return $rc
}

@test "exactly once: 21 SIGKILLs at random instants, no pause, until each database converges" {
	clean_schema
	local kills=0 runs=0 d=0 db=""
	# a new database whenever one converged (a run finished unkilled);
	# at most 60 runs
	while ((kills < 21 && runs < 60)); do
		if [ -z "$db" ]; then
			d=$((d + 1))
			db="${PGDATABASE}_k$d"
			psql -q -X -d postgres -c "create database \"$db\"" >/dev/null
		fi
		start_runner "$db"
		runs=$((runs + 1))
		sleep "$((RANDOM % 2)).$((RANDOM % 10))"
		if kill_runner; then
			kills=$((kills + 1))
			continue
		fi
		converged "$db"
		psql -q -X -d postgres -c "drop database \"$db\" with (force)" >/dev/null
		db=""
	done
	[ -z "$db" ] || converged "$db"
	echo "# $kills SIGKILLs in $runs runs over $d databases" >&3
	[ "$kills" -ge 21 ]
}

# hold_snapshot: a session whose open REPEATABLE READ snapshot keeps
# every CREATE INDEX CONCURRENTLY waiting; release with end_snapshot.
hold_snapshot() {
	psql -X -q -c "begin isolation level repeatable read; select 1 from big limit 1; select pg_sleep(600)" >/dev/null 2>&1 &
	BLOCKER=$!
	# the snapshot itself, not just the statement: psql sends the three
	# statements as one query, active before its snapshot is taken
	wait_for "select count(*) from pg_stat_activity where query like '%pg_sleep(600)%' and backend_xmin is not null and pid <> pg_backend_pid()" 1 600
}

end_snapshot() {
	q "select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()" >/dev/null
	wait "$BLOCKER" 2>/dev/null || true
	BLOCKER=""
}

# kill_inside PATTERN: start a runner, wait until its statement LIKE
# PATTERN waits for a lock (the test holds it there), SIGKILL it.
kill_inside() {
	local i
	start_runner "$PGDATABASE"
	for ((i = 0; i < 600; i++)); do
		[ "$(q "select count(*) from pg_stat_activity where query like '$1' and wait_event_type = 'Lock' and pid <> pg_backend_pid()")" = 1 ] && break
		sleep 0.1
	done
	((i < 600))
	kill_runner
}

@test "exactly once: SIGKILL inside CREATE INDEX CONCURRENTLY, twice, and inside the backfill" {
	clean_schema
	mkdir "$T/v1-v2"
	cp "$M/V1__big.sql" "$M/V2__audit.sql" "$T/v1-v2/"
	hook migrate --dir "$T/v1-v2" --quiet
	# a row lock (idle in transaction: no snapshot) that stops the backfill
	# at key 45000 for as long as the test wants
	mkfifo "$T/rowlock"
	psql -X -q <"$T/rowlock" >/dev/null 2>&1 &
	exec 5>"$T/rowlock"
	echo "begin; select 1 from big where id = 45000 for update;" >&5
	hold_snapshot
	kill_inside '%create index concurrently big_a on%'
	# the next runner waits for the killed one's session to end, drops the
	# invalid big_a it left and builds it again: killed there too
	kill_inside '%create index concurrently big_a on%'
	end_snapshot
	kill_inside '%update big set c%'
	# killed at the batch that reaches key 45000: the batches before it
	# are committed with their progress
	run q "select success, backfill_key::bigint > 0 from zdm_schema_history where version = '5'"
	assert_output "f|t"
	echo "rollback;" >&5
	exec 5>&-
	converged "$PGDATABASE"
}
