#!/usr/bin/env bats
# zdm-hook run --phase pre|post: the Job entrypoint, the deployment log
# and the contract guard of phase=contract files, played on chart-example's
# rename as it was written by hand (tests/data/rename-by-hand).

load helpers

setup() {
	zdm_setup_db
	cp "$ZDM_ROOT"/tests/data/rename-by-hand/migrations/*.sql "$M/"
	A="$ZDM_ROOT/chart-example/zdm/assertions.yaml"
}
teardown() { zdm_teardown_db; }

# pre APP_VERSION REVISION [flags]: the migration Job of one release
pre() {
	local app=$1 rev=$2
	shift 2
	"$ZDM_HOOK" run --phase pre --dir "$M" --assertions "$A" --release shop --namespace prod \
		--app-version "$app" --chart-version 0.1.0 --revision "$rev" --deployed-by helm "$@"
}
# post APP_VERSION REVISION [flags]: the post-upgrade Job
post() {
	local app=$1 rev=$2
	shift 2
	"$ZDM_HOOK" run --phase post --dir "$M" --release shop --namespace prod \
		--app-version "$app" --chart-version 0.1.0 --revision "$rev" "$@"
}
log_rows() {
	q "select phase || ' ' || app_version || ' ' || status || ' ' || coalesce(migration_version, '-')
	     || ' ' || (contract_deferred is not null) from schema_deployment_log order by id"
}
has_full_name() {
	q "select count(*) from information_schema.columns where table_name = 'users' and column_name = 'full_name'"
}

@test "run: --help, unknown option, --phase required and validated" {
	run hook run --help
	assert_success
	assert_output --partial "usage: zdm-hook run --phase pre|post [OPTIONS]"
	assert_output --partial "--contract-in-post"
	run hook run --nope
	assert_failure 2
	run hook run --dir "$M"
	assert_failure 2
	assert_output --partial "--phase is required (pre or post)"
	run hook run --phase middle
	assert_failure 2
	assert_output --partial 'is not one of pre|post'
	run hook run --phase post --dir "$M"
	assert_failure 2
	assert_output --partial "--phase post needs the app version whose rollout completed"
	run hook run --phase pre --dir "$M" --contract-in-post
	assert_failure 2
	run hook run --phase pre --dir "$M" --revision two
	assert_failure 2
	assert_output --partial 'the revision must be a whole number, not "two"'
	run q "select to_regclass('schema_deployment_log') is null"
	assert_output "t"
}

@test "run: the example's expand keeps old and new code working side by side" {
	run pre 1.0.0 1
	assert_success
	# 1.x writes only full_name, 2.x only display_name; both see both
	q "insert into users (full_name, email) values ('Old Writer', 'a@x')" >/dev/null
	q "insert into users (display_name, email) values ('New Writer', 'b@x')" >/dev/null
	q "update users set full_name = 'Old Renamed' where email = 'a@x'" >/dev/null
	q "update users set display_name = 'New Renamed' where email = 'b@x'" >/dev/null
	run q "select email || ':' || full_name || ':' || display_name from users order by email"
	assert_output $'a@x:Old Renamed:Old Renamed\nb@x:New Renamed:New Renamed'
}

@test "run: three releases: V3 is deferred until a rollout of 2.0.0 has completed" {
	# release 1: app 1.0.0 applies V1 and V2, defers the contract V3
	run pre 1.0.0 1
	assert_success
	assert_output --partial "DEFERRED: V3__drop_full_name.sql (phase=contract requires-app=2.0.0) is deferred until a rollout of app 2.0.0 or later has completed; no completed rollout is recorded"
	assert_output --partial "assertions: 23 passed, 0 failed"
	[ "$(has_full_name)" = 1 ]
	run post 1.0.0 1
	assert_success
	# release 2: app 2.0.0 - the latest completed rollout is still 1.0.0
	run pre 2.0.0 2 --strict-contract
	assert_failure 5
	assert_output --partial "the latest completed rollout is of app 1.0.0 (release shop, finished"
	assert_output --partial "hint: --strict-contract makes a deferral fail the run"
	run pre 2.0.0 2
	assert_success
	assert_output --partial "DEFERRED: V3__drop_full_name.sql"
	[ "$(has_full_name)" = 1 ]
	run post 2.0.0 2
	assert_success
	# release 3: app 2.0.1 - 2.0.0 completed, no pod needs full_name
	run pre 2.0.1 3
	assert_success
	assert_output --partial "applied V3__drop_full_name.sql"
	refute_output --partial "DEFERRED"
	[ "$(has_full_name)" = 0 ]
	run log_rows
	assert_output "pre 1.0.0 succeeded 2.1 true
post 1.0.0 succeeded 2.1 false
pre 2.0.0 failed 2.1 true
pre 2.0.0 succeeded 2.1 true
post 2.0.0 succeeded 2.1 false
pre 2.0.1 succeeded 3 false"
	run q "select status, error like '%is deferred until a rollout of app 2.0.0%' from schema_deployment_log where id = 3"
	assert_output "failed|t"
	run q "select count(*) from schema_deployment_log where release = 'shop' and namespace = 'prod' and revision is not null
	         and chart_version = '0.1.0' and finished_at >= started_at and duration_ms >= 0 and tool_version like 'zdm-hook %'"
	assert_output "6"
}

@test "run: a completed rollback to 1.0.0 after 2.0.0 reopens the window" {
	pre 1.0.0 1 && post 1.0.0 1
	pre 2.0.0 2 && post 2.0.0 2
	# rollback: the old version rolled out again and completed
	post 1.0.0 3
	run pre 2.0.1 4
	assert_success
	assert_output --partial "DEFERRED: V3__drop_full_name.sql"
	assert_output --partial "the latest completed rollout is of app 1.0.0"
	[ "$(has_full_name)" = 1 ]
	# rolling forward to 2.0.0 again closes it
	post 2.0.0 5
	run pre 2.0.1 6
	assert_success
	[ "$(has_full_name)" = 0 ]
}

@test "run: post --contract-in-post applies V3 right after the 2.0.0 rollout" {
	pre 1.0.0 1 && post 1.0.0 1
	run pre 2.0.0 2
	assert_output --partial "DEFERRED"
	run post 2.0.0 2 --contract-in-post
	assert_success
	assert_output --partial "applied V3__drop_full_name.sql"
	[ "$(has_full_name)" = 0 ]
	run q "select phase, status, migration_version from schema_deployment_log order by id desc limit 1"
	assert_output "post|succeeded|3"
}

@test "run: the guard only counts rollouts of the same release and namespace" {
	pre 1.0.0 1
	"$ZDM_HOOK" run --phase post --dir "$M" --release other-app --namespace prod --app-version 9.0.0
	run pre 1.0.0 2
	assert_output --partial "no completed rollout is recorded in public.schema_deployment_log for release shop"
	[ "$(has_full_name)" = 1 ]
}

@test "run: --force-contract applies it anyway, loudly, and the log says so" {
	run pre 1.0.0 1 --force-contract
	assert_success
	assert_output --partial "FORCED: applying contract migration V3__drop_full_name.sql"
	[ "$(has_full_name)" = 0 ]
	run q "select contract_forced from schema_deployment_log"
	assert_output "t"
}

@test "run: versions that are not semver compare as strings, with a warning" {
	sed -i 's/requires-app=2.0.0/requires-app=build-10/' "$M/V3__drop_full_name.sql"
	pre build-9 1 && post build-9 1
	run pre build-9 2
	assert_output --partial 'app versions "build-9" and "build-10" are not both semantic versions; compared them as strings'
	assert_output --partial "applied V3"
}

@test "run: migrate honours the guard too" {
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "DEFERRED: V3__drop_full_name.sql"
	run hook migrate --dir "$M" --strict-contract
	assert_failure 5
	[ "$(has_full_name)" = 1 ]
}

@test "run: a failing migration stamps failed with the error and the termination log" {
	printf 'select 1/0;\n' >"$M/V4__bad.sql"
	rm "$M/V3__drop_full_name.sql"
	run pre 1.0.0 1 --termination-log "$T/term"
	assert_failure 1
	run q "select status, error, migration_version from schema_deployment_log"
	assert_output --regexp "^failed\|.*V4__bad.sql:1:1: division by zero \(SQLSTATE 22012\)\|2.1$"
	run cat "$T/term"
	assert_output --partial "zdm-hook run failed (exit 1): "
	assert_output --partial "division by zero"
}

@test "run: a failing assertion stamps failed" {
	printf 'tables:\n  users:\n    columns:\n      nickname: {type: text}\n' >"$T/a.yaml"
	A="$T/a.yaml"
	run pre 1.0.0 1
	assert_failure 1
	assert_output --partial "assertion failed: table \"users\" column \"nickname\" does not exist"
	run q "select status, error from schema_deployment_log"
	assert_output --partial "failed|1 of 2 schema assertions failed; first: $T/a.yaml:4:7: table \"users\" column \"nickname\" does not exist"
}

@test "run: a malformed assertions file is exit 2 before anything is stamped or migrated" {
	printf 'tables:\n  users: [\n' >"$T/a.yaml"
	A="$T/a.yaml"
	run pre 1.0.0 1
	assert_failure 2
	assert_output --partial "$T/a.yaml:3:1: invalid YAML"
	run q "select to_regclass('schema_deployment_log') is null and to_regclass('users') is null"
	assert_output "t"
}

@test "run: kill -9 leaves the pre row started, with no end" {
	printf 'select pg_sleep(30);\n' >"$M/V4__slow.sql"
	rm "$M/V3__drop_full_name.sql"
	pre 1.0.0 1 >"$T/out" 2>&1 &
	p=$!
	wait_backends '%pg_sleep(30)%' 1 50 active || true
	kill -9 $p
	wait $p || true
	run q "select phase, status, finished_at is null, duration_ms is null, error is null from schema_deployment_log"
	assert_output "pre|started|t|t|t"
}

@test "run: one server session stamps, migrates and asserts, and a migration's SET does not reach the stamp or the assertions" {
	rm "$M/V3__drop_full_name.sql"
	# the zdm-hook sessions on this database while V4 runs, then a
	# session-level setting that would hide "users" from the assertions'
	# unqualified check
	cat >"$M/V4__seen.sql" <<-'EOF'
		create table seen as select count(*) as n from pg_stat_activity
		 where datname = current_database() and application_name like 'zdm-hook%';
		select set_config('search_path', 'nowhere', false);
	EOF
	run pre 1.0.0 1
	assert_success
	assert_output --partial "assertions: 23 passed, 0 failed"
	run q "select n from seen"
	assert_output "1"
	run q "select phase, status, migration_version from schema_deployment_log"
	assert_output "pre|succeeded|4"
}

@test "run: values come from ZDM_* variables; unknown ones stay NULL" {
	ZDM_PHASE=pre ZDM_RELEASE=envrel ZDM_APP_VERSION=1.0.0 ZDM_MIGRATIONS_DIR="$M" \
		ZDM_SOURCE_REVISION=abc123 HOSTNAME=pod-7 run hook run
	assert_success
	run q "select release, app_version, source_revision, pod, namespace is null, revision is null, chart_version is null, deployed_by is null from schema_deployment_log"
	assert_output "envrel|1.0.0|abc123|pod-7|t|t|t|t"
}

@test "run: migrate --dry-run says which contract migration it would defer, and why" {
	run hook migrate --dir "$M" --dry-run
	assert_success
	assert_output --partial "would apply V2.1__backfill_display_name.sql (1 statement, a batched backfill)"
	assert_output --partial "would defer V3__drop_full_name.sql (3 statements)"
	assert_output --partial "deferred: V3__drop_full_name.sql (phase=contract requires-app=2.0.0)"
	run q "select to_regclass('users') is null"
	assert_output "t"
}
