#!/usr/bin/env bats
# A database restart in the middle of a migration is not a failed
# migration: zdm-hook connects again (within --connect-retries), takes the
# lock again, sees what was committed and finishes (exit 0); a server that
# does not come back is exit 4 (unreachable), never 1. The tests restart a
# PostgreSQL of this file's own, not the suite's (made once: initdb is
# slow); each test starts with it up and a fresh database in it.

load helpers

setup_file() {
	OWN=$("$ZDM_ROOT/scripts/pg-sandbox.sh" start)
	eval "$OWN"
	export SB=$ZDM_SANDBOX
}

teardown_file() {
	"$ZDM_ROOT/scripts/pg-sandbox.sh" stop "$SB"
}

setup() {
	# up again after a test that left it down
	"$ZDM_ROOT/scripts/pg-sandbox.sh" up "$SB"
	zdm_setup_db
	mig V1__a.sql "create table a (id int primary key);"
	mig V2__slow.sql "insert into a values (2);
select pg_sleep(3);"
	mig V3__c.sql "insert into a values (3);"
}

teardown() {
	zdm_teardown_db
}

# restart_during MODE DOWN: restart the server once V2 runs, staying down
# DOWN seconds, while zdm-hook migrate runs in the foreground (run).
restart_during() {
	(wait_backends '%pg_sleep(3)%' 1 100 active && "$ZDM_ROOT/scripts/pg-sandbox.sh" restart "$SB" "$1" "$2") &
	RESTARTER=$!
	run hook migrate --dir "$M" "${@:3}"
	wait "$RESTARTER"
}

applied_once() {
	run q "select string_agg(id::text, ',' order by id) from a"
	assert_output "2,3"
	run q "select string_agg(version || ':' || success, ',' order by installed_rank) from zdm_schema_history"
	assert_output "1:true,2:true,3:true"
}

@test "restart: pg_ctl restart -m fast during a migration: reconnect, apply it once, exit 0" {
	restart_during fast 1
	assert_success
	assert_output --regexp 'lost the database session \(.*V2__slow.sql:2:1: terminating connection due to administrator command \(SQLSTATE 57P01\)\); connecting again \(1 of 10\)'
	assert_output --partial "applied 3 migrations"
	applied_once
}

@test "restart: a crash (-m immediate) during a migration: reconnect after recovery, exit 0, one readable message" {
	restart_during immediate 1
	assert_success
	assert_output --regexp 'lost the database session \([^)]*V2__slow.sql: lost the migrate connection: [^)]*\); connecting again'
	# one cause, not libpq's follow-up lines glued on
	refute_output --partial "pipeline mode"
	refute_output --partial "Is the server running"
	applied_once
}

@test "restart: a server that does not come back is exit 4, not 1, within --connect-retries" {
	(wait_backends '%pg_sleep(3)%' 1 100 active && "$ZDM_ROOT/scripts/pg-sandbox.sh" down "$SB") &
	run hook migrate --dir "$M" --connect-retries 2
	wait
	assert_failure 4
	assert_output --partial "connecting again (1 of 2)"
	assert_output --regexp 'error: lost the database session \(.*\); connecting again failed: cannot connect to the database: connection to server at "127.0.0.1", port [0-9]+ failed: Connection refused'
	refute_output --partial "a migration failed"
	# the termination log has the same one message
	run cat "$T/termination-log"
	assert_output --partial "cannot connect to the database"
}

@test "restart: --connect-retries 0 does not reconnect: exit 4, and the next run finishes" {
	restart_during fast 0 --connect-retries 0
	assert_failure 4
	refute_output --partial "connecting again"
	run hook migrate --dir "$M"
	assert_success
	applied_once
}

@test "restart: --peer-timeout sets the server's keepalives and tcp_user_timeout on zdm's session" {
	mig V4__ka.sql "create table ka as select current_setting('tcp_keepalives_idle') i, current_setting('tcp_keepalives_interval') v,
  current_setting('tcp_keepalives_count') c, current_setting('tcp_user_timeout') u;"
	sed -i 's/pg_sleep(3)/pg_sleep(0)/' "$M/V2__slow.sql"
	run hook migrate --dir "$M" --peer-timeout 40s
	assert_success
	run q "select i, v, c, u from ka"
	assert_output "10|5|3|20000"
}

@test "restart: --peer-timeout below 5s is exit 2 with a hint; --help lists it" {
	run hook migrate --dir "$M" --peer-timeout 2s
	assert_failure 2
	assert_output --partial "error: --peer-timeout 2000 ms is too short"
	assert_output --partial "hint: give it 5s or more"
	run q "select count(*) from pg_class where relname = 'a'"
	assert_output "0"
	run hook migrate --help
	assert_output --partial "--peer-timeout DURATION"
	assert_output --partial "ZDM_PEER_TIMEOUT"
}
