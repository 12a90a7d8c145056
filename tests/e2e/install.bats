#!/usr/bin/env bats
# Scenario a (and f): `helm install` of chart-example against the real API
# server, in a namespace enforcing the restricted Pod Security profile.
# The hook Job runs zdm-hook for real (runc, or the process fallback) and
# must complete before any Deployment exists: proved from the API by a
# watch started before helm, whose event order is the API server's.
load e2e_helpers

setup() { [ -n "${ZDM_KUBECTL:-}" ] || skip "run through tests/e2e/run.sh"; }
teardown() {
	watch_stop
	e2e_teardown
}

install_case() {
	local v=$1
	need_helm "$v"
	e2e_setup "h$v"
	local wj="$BATS_TEST_TMPDIR/watch-jobs" wd="$BATS_TEST_TMPDIR/watch-deployments"
	watch_start "$wj" jobs
	watch_start "$wd" deployments
	run helmv "$v" install demo "$ZDM_ROOT/chart-example" -n "$NS" --wait --timeout 120s
	watch_stop
	assert_success
	# Migrations applied, deployment log written.
	run q "select string_agg(version, ',' order by installed_rank) from zdm_schema_history where success and version is not null"
	assert_output --partial "1,2"
	run q "select count(*) > 0 from schema_deployment_log"
	assert_output t
	# The Job completed (succeeded=1) before the Deployment was created.
	local job_done dep_first
	echo "jobs:"; cat "$wj"; echo "deployments:"; cat "$wd"
	job_done=$(awk '$2 == "demo-zdm-migrate" && $6 == "1" {print $4; exit}' "$wj")
	dep_first=$(awk '$1 == "ADDED" {print $4; exit}' "$wd")
	[ -n "$job_done" ] && [ -n "$dep_first" ] && [ "$job_done" -lt "$dep_first" ]
}

@test "install: helm 3 runs the migrate Job to completion before the Deployment exists (restricted namespace)" {
	install_case 3
}

@test "install: helm 4 runs the migrate Job to completion before the Deployment exists (restricted namespace)" {
	install_case 4
}

@test "install: helm 4 from source runs the migrate Job to completion before the Deployment exists (restricted namespace)" {
	install_case src
}
