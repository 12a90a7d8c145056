#!/usr/bin/env bats
# zdm-hook stamp: one deployment log row, completed in place.

load helpers

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

@test "stamp: --help and bad input" {
	run hook stamp --help
	assert_success
	assert_output --partial "usage: zdm-hook stamp --phase pre|post --status started|succeeded|failed"
	run hook stamp --phase pre
	assert_failure 2
	assert_output --partial "--status is required"
	run hook stamp --status started
	assert_failure 2
	run hook stamp --phase pre --status done
	assert_failure 2
	run hook stamp --phase pre --status started --log-table "x;y"
	assert_failure 2
	assert_output --partial 'invalid deployment log table name "x;y"'
}

@test "stamp: started then succeeded completes the same row in place" {
	run hook stamp --phase pre --status started --release r --revision 3 --app-version 1.2.3
	assert_success
	assert_output --partial "wrote a started stamp for release r"
	sleep 0.1
	run hook stamp --phase pre --status succeeded --release r --revision 3
	assert_success
	assert_output --partial "completed the succeeded stamp"
	run q "select count(*), min(status), bool_and(finished_at > started_at), min(app_version) from schema_deployment_log"
	assert_output "1|succeeded|t|1.2.3"
}

@test "stamp: a failed stamp without a started row inserts a completed one with the error" {
	run hook stamp --phase post --status failed --release r --error "boom" --log-table ops.deploys
	assert_success
	run q "select phase, status, error, finished_at is not null from ops.deploys"
	assert_output "post|failed|boom|t"
}

@test "stamp: records the database's migration version" {
	mig V7__t.sql "create table t (id int);"
	hook migrate --dir "$M"
	run hook stamp --phase pre --status succeeded --release r
	run q "select migration_version from schema_deployment_log"
	assert_output "7"
}

@test "stamp: many runners creating the log table at once all succeed" {
	for i in $(seq 1 8); do
		"$ZDM_HOOK" stamp --phase pre --status started --release "r$i" >"$T/s$i" 2>&1 &
	done
	fails=0
	for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ] || { cat "$T"/s*; false; }
	run q "select count(*) from schema_deployment_log"
	assert_output "8"
}
