#!/usr/bin/env bats
# The rest of a Flyway project's configuration (issue 11): --placeholder,
# per-script .sql.conf sidecars, locations/outOfOrder/validateOnMigrate,
# mixed=true under lint, B files under zdm-hook lint, since: errors.

load helpers
bats_require_minimum_version 1.5.0

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

# --- --placeholder NAME=VALUE --------------------------------------------

@test "flyway config: --placeholder is repeatable and beats the environment, zdm.yaml and flyway.conf" {
	mig V1__t.sql $'create table ${tbl} (id int);\ncomment on table ${tbl} is \'${note}\';'
	printf 'flyway.placeholders.tbl=from_conf\nflyway.placeholders.note=conf\n' >"$M/flyway.conf"
	printf 'placeholders:\n  tbl: from_yaml\n' >"$M/zdm.yaml"
	# lint sees the replaced text: the flag's table name
	run hook lint --dir "$M" --placeholder tbl=from_flag --output json
	assert_success
	# status loads the files with the flag too (no undefined placeholder)
	ZDM_PLACEHOLDER_TBL=from_env run hook status --dir "$M" --placeholder note=x --placeholder tbl=t2
	assert_success
	ZDM_PLACEHOLDER_TBL=from_env ZDM_PLACEHOLDER_NOTE=env run hook migrate --dir "$M" \
		--placeholder tbl=from_flag --placeholder 'note=a=b' --placeholder tbl=last_flag
	assert_success
	run q "select obj_description('last_flag'::regclass)"
	assert_output "a=b"
	# the environment beats zdm.yaml which beats flyway.conf
	q "drop table last_flag; drop table zdm_schema_history;"
	ZDM_PLACEHOLDER_TBL=from_env run hook migrate --dir "$M"
	assert_success
	run q "select obj_description('from_env'::regclass)"
	assert_output "conf"
	q "drop table from_env; drop table zdm_schema_history;"
	run hook run --phase pre --dir "$M" --placeholder note=
	assert_success
	run q "select coalesce(obj_description('from_yaml'::regclass), 'empty')"
	assert_output "empty"
}

@test "flyway config: a malformed --placeholder is exit 2 naming the flag and the fix, nothing applied" {
	mig V1__t.sql 'create table ${tbl} (id int);'
	for bad in novalue =x ''; do
		run hook migrate --dir "$M" --placeholder "$bad"
		assert_failure 2
		assert_output --partial "--placeholder: \"$bad\" is not NAME=VALUE"
		assert_output --partial "write the name, \"=\" and the value"
	done
	run hook lint --dir "$M" --placeholder
	assert_failure 2
	assert_output --partial 'option "--placeholder" needs a value (NAME=VALUE)'
	run q "select to_regclass('zdm_schema_history') is null"
	assert_output "t"
	# an undefined one names the flag among the ways to define it
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'V1__t.sql:1: no value provided for placeholder ${tbl}'
	assert_output --partial "--placeholder tbl=..."
	run hook migrate --help
	assert_success
	assert_output --partial "--placeholder NAME=VALUE"
	assert_output --partial "(repeatable)"
}
