#!/usr/bin/env bats
# Scenarios b, c, d, e and g: one release's life with each Helm (3.17,
# 4.1, and Helm 4 built from source) against the real API server:
#   b  an upgrade with a new migration: the migrate Job completes before
#      the Deployment's pod template changes (from a watch's resourceVersions)
#   g  before-hook-creation: that upgrade's Job replaced the previous one
#   c  a failing migration: the upgrade fails, the release is marked
#      failed, the Deployment is unchanged, the error is where users look
#   d  --atomic (Helm 3) / --rollback-on-failure (Helm 4) after a failed
#      migration, then `helm rollback`: the post-rollback Job runs each
#      time, and after the rollback to app 1.0.0 a contract that waits for
#      app 2.0.0 is deferred again (a rollback reopens the window)
#   e  a no-op upgrade applies nothing (its wall time is bench-e2e.sh's)
#   g  the TTL controller removes the finished Jobs (short TTL via values)
load e2e_helpers

setup() { [ -n "${ZDM_KUBECTL:-}" ] || skip "run through tests/e2e/run.sh"; }
teardown() {
	watch_stop
	e2e_teardown
}

# applied VERSION: how many successful history rows VERSION has.
applied() { q "select count(*) from zdm_schema_history where version = '$1' and success"; }
# post_rows REVISION: app versions of that revision's succeeded post rows.
# A rollback runs the hooks rendered for the revision it goes back to, so
# its post row carries that revision's number and app version.
post_rows() { q "select string_agg(app_version, ',' order by id) from schema_deployment_log where revision = $1 and phase = 'post' and status = 'succeeded'"; }
last_rev() { helmv "$v" history demo -n "$NS" --max 1 -o json | jq -r '.[0].revision'; }
dep_gen() { k -n "$NS" get deployment demo-chart-example -o jsonpath='{.metadata.generation}'; }
jobs_gone() { [ -z "$(k -n "$NS" get jobs -o name)" ]; }

lifecycle() {
	local v=$1 C="$BATS_TEST_TMPDIR/chart" FAILFLAG=--rollback-on-failure
	[ "$v" = 3 ] && FAILFLAG=--atomic
	need_helm "$v"
	e2e_setup "u$v"
	chart_copy "$C"
	local H=(-n "$NS" --wait --timeout 120s)

	echo "# rev 1: install"
	run helmv "$v" install demo "$C" "${H[@]}"
	assert_success
	local uid1 gen1
	uid1=$(job_uid demo-zdm-migrate)
	gen1=$(dep_gen)
	[ -n "$uid1" ] && [ "$gen1" = 1 ]

	echo "# b, g: rev 2, a new migration and a new pod template"
	printf 'ALTER TABLE users ADD COLUMN nickname text;\n' >"$C/migrations/V4__add_nickname.sql"
	local wj="$BATS_TEST_TMPDIR/watch-jobs" wd="$BATS_TEST_TMPDIR/watch-deployments"
	watch_start "$wj" jobs
	watch_start "$wd" deployments
	run helmv "$v" upgrade demo "$C" "${H[@]}" --set-string podAnnotations.rev=2
	watch_stop
	assert_success
	[ "$(applied 4)" = 1 ]
	echo "jobs:"; cat "$wj"; echo "deployments:"; cat "$wd"
	local uid2 job_done tpl_changed old_gone
	uid2=$(job_uid demo-zdm-migrate)
	# g: before-hook-creation deleted the previous Job before creating this one
	[ -n "$uid2" ] && [ "$uid2" != "$uid1" ]
	old_gone=$(awk -v u="$uid1" '$1 == "DELETED" && $3 == u {print $4; exit}' "$wj")
	[ -n "$old_gone" ]
	# b: this Job's completion comes before the Deployment's generation 2
	job_done=$(awk -v u="$uid2" '$3 == u && $6 == "1" {print $4; exit}' "$wj")
	tpl_changed=$(awk '$5 == "2" {print $4; exit}' "$wd")
	[ -n "$job_done" ] && [ -n "$tpl_changed" ]
	[ "$old_gone" -lt "$job_done" ] && [ "$job_done" -lt "$tpl_changed" ]
	[ "$(dep_gen)" = 2 ]

	echo "# c: rev 3, a failing migration"
	printf 'ALTER TABLE no_such_table ADD COLUMN x int;\n' >"$C/migrations/V5__broken.sql"
	run helmv "$v" upgrade demo "$C" "${H[@]}" --set-string podAnnotations.rev=3
	assert_failure
	if [ "$v" != 3 ]; then
		# Helm 4 prints the failed hook's log (hook-output-log-policy)
		assert_output --partial 'no_such_table'
	fi
	run helmv "$v" history demo -n "$NS" -o json
	[ "$(jq -r '.[-1] | "\(.revision) \(.status)"' <<<"$output")" = "3 failed" ]
	[ "$(dep_gen)" = 2 ]
	[ "$(applied 5)" = 0 ]
	# the pod's termination message, as kubectl describe shows it
	run k -n "$NS" describe pod -l job-name=demo-zdm-migrate
	assert_output --regexp 'Message:.*no_such_table'

	echo "# d: rev 4 fails again, $FAILFLAG rolls back to rev 2 as rev 5"
	run helmv "$v" upgrade demo "$C" "${H[@]}" --set-string podAnnotations.rev=4 "$FAILFLAG"
	assert_failure
	[ "$(last_rev)" = 5 ]
	run helmv "$v" status demo -n "$NS" -o json
	[ "$(jq -r '.info.status' <<<"$output")" = deployed ]
	[ "$(dep_gen)" = 2 ]
	# the post-rollback Job ran: rev 2's hooks, a second post row for rev 2
	[ "$(post_rows 2)" = 1.0.0,1.0.0 ]

	echo "# d: rev 6, app 2.0.0 with a contract that waits for it"
	rm "$C/migrations/V5__broken.sql"
	printf -- '-- zdm: phase=contract requires-app=2.0.0\nALTER TABLE users DROP COLUMN nickname;\n' \
		>"$C/migrations/V6__drop_nickname.sql"
	run helmv "$v" upgrade demo "$C" "${H[@]}" --set-string podAnnotations.rev=6 --set zdm.appVersion=2.0.0
	assert_success
	[ "$(post_rows 6)" = 2.0.0 ]
	echo "# d: helm rollback to rev 1 (app 1.0.0) as rev 7"
	run helmv "$v" rollback demo 1 "${H[@]}"
	assert_success
	[ "$(post_rows 1)" = 1.0.0,1.0.0 ]

	echo "# e, g: rev 8, app 2.0.0 again, nothing to apply; a 5 s TTL"
	local rows
	rows=$(q "select count(*) from zdm_schema_history")
	run helmv "$v" upgrade demo "$C" "${H[@]}" --set-string podAnnotations.rev=6 --set zdm.appVersion=2.0.0 \
		--set zdm.job.ttlSecondsAfterFinished=5
	assert_success
	# the rollback to 1.0.0 completed after 2.0.0's rollout: V6 waits again
	[ "$(applied 6)" = 0 ]
	[ "$(q "select count(*) from zdm_schema_history")" = "$rows" ]
	run q "select contract_deferred from schema_deployment_log where revision = 8 and phase = 'pre' and status = 'succeeded'"
	assert_output --partial 2.0.0
	# the TTL controller deletes both finished Jobs
	until_ok 90 jobs_gone
}

@test "upgrade: helm 3 — migrate before the rollout, a failed migration, --atomic, rollback, no-op, TTL" {
	lifecycle 3
}

@test "upgrade: helm 4 — migrate before the rollout, a failed migration, --rollback-on-failure, rollback, no-op, TTL" {
	lifecycle 4
}

@test "upgrade: helm 4 from source — migrate before the rollout, a failed migration, --rollback-on-failure, rollback, no-op, TTL" {
	lifecycle src
}
