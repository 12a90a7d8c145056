#!/usr/bin/env bats
# zdm-hook status: read-only view of every migration's state.

load helpers

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

@test "status: --help, unknown option" {
	run hook status --help
	assert_success
	assert_output --partial "usage: zdm-hook status [OPTIONS]"
	refute_output --partial "--lock-wait"
	run hook status --lock-wait 1s
	assert_failure 2
	assert_output --partial 'unknown option "--lock-wait"'
}

@test "status: before the first migrate it lists everything pending and creates nothing" {
	mig V1__t.sql "create table t (id int);"
	mig R__v.sql "create view v as select 1;"
	run hook status --dir "$M"
	assert_success
	assert_output --partial "history table public.zdm_schema_history (not created yet), version (none)"
	assert_output --regexp '1 +pending +V1__t.sql'
	assert_output --regexp 'R +pending +R__v.sql'
	assert_output --partial "0 applied, 2 pending"
	run q "select to_regclass('zdm_schema_history') is null"
	assert_output "t"
}

@test "status: applied, pending, changed and missing, in text and JSON" {
	mig V1__a.sql "create table a (id int);"
	mig V2__b.sql "create table b (id int);"
	mig V3__c.sql "create table c (id int);"
	hook migrate --dir "$M"
	mig V2__b.sql "create table b (id bigint);"
	rm "$M/V3__c.sql"
	mig V4__d.sql "create table d (id int);"
	run hook status --dir "$M"
	assert_success
	assert_output --regexp '1 +applied'
	assert_output --regexp '2 +changed'
	assert_output --regexp '3 +missing'
	assert_output --regexp '4 +pending'
	assert_output --partial "problems found: migrate will refuse to run"
	hook status --dir "$M" --output json >"$T/s.json"
	run jq -r '.migrations[] | "\(.version) \(.state)"' "$T/s.json"
	assert_output $'1 applied\n2 changed\n3 missing\n4 pending'
	run jq -r '"\(.version) \(.pending) \(.history_exists)"' "$T/s.json"
	assert_output "3 1 true"
}

@test "status: a failed migration shows its error" {
	mig V1__bad.sql "select 1/0;"
	run hook migrate --dir "$M"
	assert_failure 1
	run hook status --dir "$M"
	assert_output --regexp '1 +failed .*V1__bad.sql +error: .*division by zero'
}
