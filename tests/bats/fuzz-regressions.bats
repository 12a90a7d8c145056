#!/usr/bin/env bats
# Inputs the fuzzers (tests/fuzz/) found crashing, each run through the
# real command that reads it. A memory error a release build survives
# (a use-after-free that happens to print the right output) must still
# fail here: the command runs under valgrind, or as it is in an
# AddressSanitizer build (make asan), which aborts on the first one.
# Each crashing input is also in its fuzzer's corpus (tests/fuzz/corpus/),
# which the fuzz step of tests/run.sh replays.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	T="$BATS_TEST_TMPDIR/dir with space's"
	mkdir -p "$T/migrations"
	M="$T/migrations"
}

teardown() { zdm_teardown_db; }

# checked CMD ARG...: run CMD so that an invalid memory access or a leak
# makes it fail (exit 99 from valgrind, or the sanitizer's abort).
checked() {
	if ldd "$1" 2>/dev/null | grep -q libasan; then
		"$@"
	else
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--suppressions="$ZDM_ROOT/tests/valgrind.supp" --error-exitcode=99 "$@"
	fi
}

require_checker() {
	ldd "$ZDM_HOOK" 2>/dev/null | grep -q libasan && return 0
	command -v valgrind >/dev/null ||
		skip "neither an AddressSanitizer build nor valgrind (scripts/deps.sh installs it)"
}

@test "fuzz: a backfill UPDATE that names no table is exit 2 naming the token, not a crash" {
	require_checker
	mig V1__bf.sql $'-- zdm: backfill table=users\nUPDATE # SET a = 1 WHERE b IS NULL;'
	run checked "$ZDM_HOOK" lint --dir "$M"
	assert_failure 2
	assert_output --partial 'V1__bf.sql:2:8: the backfill UPDATE names no table: "#" is not a table name'
	assert_output --partial "hint: write: UPDATE users SET ... WHERE"
	mig V1__bf.sql $'-- zdm: backfill table=users\nUPDATE ONLY \'users\' SET a = 1 WHERE b IS NULL;'
	run checked "$ZDM_HOOK" lint --dir "$M"
	assert_failure 2
	assert_output --partial "V1__bf.sql:2:13: the backfill UPDATE names no table: \"'users'\""
}

@test "fuzz: migrate refuses a backfill UPDATE that names no table before touching the database" {
	require_checker
	zdm_setup_db
	mig V1__t.sql "create table users (id int primary key, a int, b int);"
	mig V2__bf.sql $'-- zdm: backfill table=users\nUPDATE # SET a = 1 WHERE b IS NULL;'
	run checked "$ZDM_HOOK" migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__bf.sql:2:8: the backfill UPDATE names no table"
	run q "select count(*) from pg_tables where tablename in ('users', 'zdm_schema_history')"
	assert_output 0
}

@test "fuzz: render --mode wave on a migration Job whose annotations are null" {
	require_checker
	printf '%s\n' 'apiVersion: batch/v1' 'kind: Job' 'metadata:' '  name: m' '  annotations:' \
		'  labels:' '    app.kubernetes.io/name: zdm' '    app.kubernetes.io/component: migrate' \
		>"$T/job.yaml"
	run --separate-stderr checked "$ZDM_BUILD/helm-zdm" render --chart "$ZDM_ROOT/chart-example" \
		--release r --namespace n --mode wave <"$T/job.yaml"
	assert_success
	[ "$output" = 'apiVersion: batch/v1
kind: Job
metadata:
  name: m
  annotations:
    argocd.argoproj.io/sync-wave: "-5"
    argocd.argoproj.io/sync-options: "Force=true,Replace=true"
  labels:
    app.kubernetes.io/name: zdm
    app.kubernetes.io/component: migrate' ]
	# the same in flow style, and with ~ for null
	printf '%s\n' '{apiVersion: batch/v1, kind: Job, metadata: {name: m, annotations: ~,' \
		'  labels: {app.kubernetes.io/name: zdm, app.kubernetes.io/component: migrate}},' \
		'  spec: {template: {spec: {containers: [{name: zdm-hook}]}}}}' >"$T/job.yaml"
	run --separate-stderr checked "$ZDM_BUILD/helm-zdm" render --chart "$ZDM_ROOT/chart-example" \
		--release r --namespace n --mode wave <"$T/job.yaml"
	assert_success
	assert_line '    argocd.argoproj.io/sync-options: "Force=true,Replace=true"'
	assert_line '  activeDeadlineSeconds: 240'
}

@test "fuzz: a re-emitted plain scalar holding a line break is quoted, without a \"!\" tag" {
	printf '%s\n' 'apiVersion: batch/v1' 'kind: Job' 'metadata:' '  name: m' '  annotations:' \
		'    helm.sh/hook: pre-install' '    description: a long' '' '      plain text' \
		'  labels:' '    app.kubernetes.io/name: zdm' '    app.kubernetes.io/component: migrate' \
		>"$T/job.yaml"
	run --separate-stderr "$ZDM_BUILD/helm-zdm" render --chart "$ZDM_ROOT/chart-example" \
		--release r --namespace n --mode wave <"$T/job.yaml"
	assert_success
	assert_line "    description: 'a long"
	refute_output --partial "! '"
	# and it reads back as the same string
	python3 -c 'import sys, yaml; d = yaml.safe_load(sys.stdin); assert d["metadata"]["annotations"]["description"] == "a long\nplain text", d' <<<"$output"
}

@test "fuzz: a re-emitted null mapping key stays null, not the empty string" {
	printf '%s\n' 'apiVersion: batch/v1' 'kind: Job' 'metadata:' '  name: m' '  annotations:' \
		'    helm.sh/hook: pre-install' '    ?' '    : x' \
		'  labels:' '    app.kubernetes.io/name: zdm' '    app.kubernetes.io/component: migrate' \
		>"$T/job.yaml"
	run --separate-stderr "$ZDM_BUILD/helm-zdm" render --chart "$ZDM_ROOT/chart-example" \
		--release r --namespace n --mode wave <"$T/job.yaml"
	assert_success
	assert_line "    ~: x"
	python3 -c 'import sys, yaml; d = yaml.safe_load(sys.stdin); assert d["metadata"]["annotations"][None] == "x", d' <<<"$output"
}

@test "fuzz: two spellings of the null key are a duplicate key, not two keys" {
	# render re-emits null keys as ~: two of them made a stream that does not load
	printf '%s\n' 'apiVersion: batch/v1' 'kind: Job' 'metadata:' '  name: m' '  annotations:' \
		'    ? ~' '    ?' '  labels:' '    app.kubernetes.io/name: zdm' \
		'    app.kubernetes.io/component: migrate' >"$T/job.yaml"
	run --separate-stderr "$ZDM_BUILD/helm-zdm" render --chart "$ZDM_ROOT/chart-example" \
		--release r --namespace n --mode wave <"$T/job.yaml"
	assert_failure 2
	[[ "$stderr" == *'stdin: document 1 (line 7, column 6): duplicate key "null" (first at line 6)'* ]]
	printf 'tables:\n  null: {absent: true}\n  ~: {absent: true}\n' >"$T/assertions.yaml"
	run hook assert --file "$T/assertions.yaml" --database-url postgres://127.0.0.1:1/x
	assert_failure 2
	assert_output --partial 'assertions.yaml:3:3: duplicate key "~" (first at line 2)'
}
