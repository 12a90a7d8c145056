#!/usr/bin/env bats
# zdm-hook lint, and the same check gating zdm-hook migrate.

load helpers

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

unsafe_dir() {
	mig V1__t.sql "create table t (id int, email text);"
	mig V2__idx.sql "create index t_email_idx on t (email);"
}

@test "lint: --help, --rules, unknown option, bad arguments" {
	run hook lint --help
	assert_success
	assert_output --partial "usage: zdm-hook lint [--dir DIR | FILE...] [OPTIONS]"
	assert_output --partial "text, json, or github"
	run hook lint --rules
	assert_success
	assert_output --partial "index-not-concurrent"
	assert_output --partial "[squawk: require-concurrent-index-creation]"
	assert_output --regexp '[0-9]+ rules$'
	run hook lint --database-url x
	assert_failure 2
	run hook lint --output yaml
	assert_failure 2
	mig V1__t.sql "select 1;"
	run hook lint --dir "$M" "$M/V1__t.sql"
	assert_failure 2
	assert_output --partial "give either --dir or files, not both"
	run hook lint "$T/README.md"
	assert_failure 2
}

@test "lint: the example chart's migrations are clean" {
	run hook lint --dir "$ZDM_ROOT/chart-example/migrations"
	assert_success
	assert_output --partial "0 refusing"
}

@test "lint: the hand-written rename is clean; its contract is allowed by phase" {
	run hook lint --dir "$ZDM_ROOT/tests/data/rename-by-hand/migrations"
	assert_success
	assert_output --partial "V3__drop_full_name.sql:8:19: drop-column:"
	assert_output --partial "allowed (contract): guarded contract"
	assert_output --partial "4 files, 9 statements: 0 refusing, 3 allowed, 0 warnings"
}

@test "lint: an unsafe migration is exit 6 with file:line:col, rule, reason and the safe rewrite" {
	unsafe_dir
	run hook lint --dir "$M"
	assert_failure 6
	assert_output --partial "$M/V2__idx.sql:1:1: index-not-concurrent: creating index \"t_email_idx\" on existing table \"t\" without CONCURRENTLY"
	assert_output --partial "  refusing (blocking)"
	assert_output --partial "  hint: use CREATE INDEX CONCURRENTLY in a file with \"-- zdm: transaction=off\""
	# files on the command line, in version order whatever the argument order
	run hook lint "$M/V2__idx.sql" "$M/V1__t.sql"
	assert_failure 6
	assert_output --partial "2 files, 2 statements: 1 refusing"
	# --since: V2 and older only teach the context
	run hook lint --dir "$M" --since 2
	assert_success
}

@test "lint: --output json and github" {
	unsafe_dir
	run hook lint --dir "$M" --output json
	assert_failure 6
	run jq -r '"\(.files) \(.refusing) \(.findings[0].rule) \(.findings[0].line) \(.findings[0].class) \(.findings[0].status)"' <<<"$output"
	assert_output "2 1 index-not-concurrent 1 blocking refusing"
	run hook lint --dir "$M" --output github
	assert_failure 6
	assert_output --regexp '^::error file=.*/V2__idx.sql,line=1,col=1,title=zdm index-not-concurrent::creating index .*%0Ahint: use CREATE INDEX CONCURRENTLY'
	assert_output --partial "zdm lint: 2 files"
}

@test "lint: migrate refuses an unsafe pending migration before taking the lock, nothing applied" {
	# t exists before the run (a populated database): V2 can block it
	q "create table t (id int, email text);"
	mig V2__idx.sql "create index t_email_idx on t (email);"
	mig V3__u.sql "create table u (id int);"
	run hook migrate --dir "$M"
	assert_failure 6
	assert_output --partial "unsafe migration refused: $M/V2__idx.sql:1:1: index-not-concurrent"
	assert_output --partial "-- zdm: allow=index-not-concurrent reason="
	run q "select to_regclass('u') is null and to_regclass('zdm_schema_history') is null"
	assert_output "t"
	run hook run --phase pre --dir "$M" --app-version 1.0.0
	assert_failure 6
	run q "select status, error like 'unsafe migration refused%' from schema_deployment_log"
	assert_output "failed|t"
}

@test "lint: an allow= with its reason lets it through and is recorded in the history row" {
	mig V1__t.sql "create table t (id int, email text);"
	run hook migrate --dir "$M"
	assert_success
	mig V2__idx.sql $'-- zdm: allow=index-not-concurrent reason="t has 12 rows and no traffic yet"\ncreate index t_email_idx on t (email);'
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "index-not-concurrent: creating index \"t_email_idx\""
	assert_output --partial "allowed: t has 12 rows and no traffic yet"
	run q "select allowed from zdm_schema_history where version = '2'"
	assert_output "index-not-concurrent (line 2): t has 12 rows and no traffic yet"
}

@test "lint: applied migrations are not judged again, only teach the context" {
	mig V1__t.sql "create table t (id int, email text);"
	run hook migrate --dir "$M"
	# the same index, now on a table with live rows: refused as a new file
	mig V2__idx.sql "create index t_email_idx on t (email);"
	run hook migrate --dir "$M"
	assert_failure 6
	# applied with an allow, then the allow is gone: history is history
	mig V2__idx.sql $'-- zdm: allow=index-not-concurrent reason="small"\ncreate index t_email_idx on t (email);'
	hook migrate --dir "$M"
	mig V3__u.sql "create table u (id int);"
	run hook migrate --dir "$M"
	assert_success
}

@test "lint: allow= without a reason, naming no rule, or with nothing after it is exit 2" {
	mig V1__t.sql $'-- zdm: allow=index-not-concurrent\ncreate table t (id int);'
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:1: allow= needs a rule id and a reason"
	mig V1__t.sql $'-- zdm: allow=index-not-concurent reason="typo"\ncreate table t (id int);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:1: allow=index-not-concurent: there is no such lint rule"
	assert_output --partial 'hint: "zdm-hook lint --rules" lists the rule ids'
	mig V1__t.sql $'create table t (id int);\n-- zdm: allow=drop-table reason="x"'
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:2: allow=drop-table is not followed by a statement"
}

@test "lint: an allow that matches nothing is itself refused" {
	mig V1__t.sql $'-- zdm: allow=drop-table reason="old habit"\ncreate table t (id int);'
	run hook lint --dir "$M"
	assert_failure 6
	assert_output --partial "V1__t.sql:1:1: unused-allow:"
}
