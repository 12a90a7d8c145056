#!/usr/bin/env bats
# Scenario h: the migrate Job's pod is evicted (the Eviction API, as a
# node drain does) in the middle of a backfill. The API server gives the
# pod the DisruptionTarget condition and deletes it with its grace period;
# the kubelet sends SIGTERM; zdm-hook commits the batch it is in and
# stops; the Job's podFailurePolicy ignores the failure (backoffLimit 0
# notwithstanding) and starts a new pod, which resumes the backfill after
# the last key done, and the release succeeds.
load e2e_helpers

setup() { [ -n "${ZDM_KUBECTL:-}" ] || skip "run through tests/e2e/run.sh"; }
teardown() {
	watch_stop
	[ -z "${HELM_PID:-}" ] || kill "$HELM_PID" 2>/dev/null || true
	e2e_teardown
}

# backfill_started: some rows done, not all.
backfill_started() {
	local n
	n=$(q "select count(*) from items where b is not null" 2>/dev/null) || return 1
	[ "${n:-0}" -gt 0 ] && [ "$n" -lt 400 ]
}
# running_pod: the migrate Job's pod that is running now.
running_pod() {
	POD=$(k -n "$NS" get pods -l job-name=demo-zdm-migrate --field-selector status.phase=Running \
		-o jsonpath='{.items[0].metadata.name}' 2>/dev/null)
	[ -n "$POD" ]
}

evict_case() {
	local v=$1 C="$BATS_TEST_TMPDIR/chart"
	need_helm "$v"
	e2e_setup "e$v"
	chart_copy "$C"
	run helmv "$v" install demo "$C" -n "$NS" --wait --timeout 120s
	assert_success

	# 400 rows, each costing the UPDATE 25 ms, 100 ms batches with 100 ms
	# between them: a backfill of about 20 s, time enough to see it start
	# and evict its pod on a busy machine.
	printf 'CREATE TABLE items (id bigint PRIMARY KEY, a int NOT NULL, b int);\nINSERT INTO items SELECT g, g, NULL FROM generate_series(1, 400) g;\n' \
		>"$C/migrations/V4__items.sql"
	printf -- '-- zdm: backfill table=items batch-size=5 batch-time=100ms delay=100ms\nUPDATE items SET b = a WHERE b IS NULL AND pg_sleep(0.025)::text = %s;\n' "''" \
		>"$C/migrations/V4.1__backfill_items.sql"
	local wp="$BATS_TEST_TMPDIR/watch-pods" out="$BATS_TEST_TMPDIR/helm.out"
	watch_start "$wp" pods
	helmv "$v" upgrade demo "$C" -n "$NS" --wait --timeout 180s >"$out" 2>&1 &
	HELM_PID=$!
	until_ok 120 backfill_started
	until_ok 30 running_pod
	local first=$POD
	k -n "$NS" create --raw "/api/v1/namespaces/$NS/pods/$first/eviction" -f - <<EOF
{"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "$first", "namespace": "$NS"}}
EOF
	local rc=0
	wait "$HELM_PID" || rc=$?
	HELM_PID=
	watch_stop
	cat "$out"
	echo "pods:"; cat "$wp"
	[ "$rc" = 0 ]
	# every row backfilled, each migration applied once
	[ "$(q "select count(*) from items where b is distinct from a")" = 0 ]
	[ "$(q "select count(*) from zdm_schema_history where version in ('4', '4.1') and success")" = 2 ]
	# a second pod of the same Job took over and resumed where the first stopped
	local pods
	pods=$(awk '$1 == "ADDED" && $2 ~ /^demo-zdm-migrate-/ {print $2}' "$wp" | sort -u)
	[ "$(wc -l <<<"$pods")" = 2 ]
	grep -qx "$first" <<<"$pods"
	run k -n "$NS" logs -l job-name=demo-zdm-migrate --tail=-1
	assert_output --partial "resuming after key"
	run k -n "$NS" get job demo-zdm-migrate -o jsonpath='{.status.succeeded}'
	assert_output 1
}

@test "evict: helm 3 — an evicted migrate pod is replaced, resumes the backfill, the release succeeds" {
	evict_case 3
}

@test "evict: helm 4 — an evicted migrate pod is replaced, resumes the backfill, the release succeeds" {
	evict_case 4
}

@test "evict: helm 4 from source — an evicted migrate pod is replaced, resumes the backfill, the release succeeds" {
	evict_case src
}
