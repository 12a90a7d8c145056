#!/usr/bin/env bats
# Scenario i: one database shared by three releases at once —
#   demo  (chart-example) in namespace 1, history table zdm_schema_history
#   other (a second chart) in namespace 1, history table other_schema_history
#   demo  (chart-example) in namespace 2: the same release name, the same
#         history table as namespace 1's demo
# installed concurrently, then upgraded concurrently with a new migration
# each: every release succeeds, and every migration is in its history
# table exactly once (the migration lock serialises the two demos).
load e2e_helpers

setup() { [ -n "${ZDM_KUBECTL:-}" ] || skip "run through tests/e2e/run.sh"; }
teardown() {
	[ -z "${NS2:-}" ] || k delete namespace "$NS2" --wait=false >/dev/null 2>&1 || true
	e2e_teardown
}

# concurrently V VERB: `helm VERB` of the three releases at once; fails
# unless all three succeed.
concurrently() {
	local v=$1 verb=$2 pids=() rc=0 p
	helmv "$v" "$verb" demo "$A" -n "$NS" --wait --timeout 150s >"$BATS_TEST_TMPDIR/demo1.out" 2>&1 &
	pids+=($!)
	helmv "$v" "$verb" other "$B" -n "$NS" --wait --timeout 150s >"$BATS_TEST_TMPDIR/other.out" 2>&1 &
	pids+=($!)
	helmv "$v" "$verb" demo "$A" -n "$NS2" --wait --timeout 150s >"$BATS_TEST_TMPDIR/demo2.out" 2>&1 &
	pids+=($!)
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	tail -n 5 "$BATS_TEST_TMPDIR"/*.out
	return "$rc"
}

# once TABLE VERSIONS: each of VERSIONS has exactly one row in TABLE, all
# successful, and TABLE has no other versioned row.
once() {
	run q "select string_agg(version || ':' || n, ',' order by version) from
		(select version collate \"C\" version, count(*) n from $1 where version is not null and success group by 1) x"
	assert_output "$2"
	[ "$(q "select count(*) from $1 where not success")" = 0 ]
}

multi_case() {
	local v=$1
	need_helm "$v"
	e2e_setup "m$v"
	NS2="$NS-b"
	k create namespace "$NS2" >/dev/null
	k label namespace "$NS2" pod-security.kubernetes.io/enforce=restricted >/dev/null
	k -n "$NS2" create secret generic chart-example-db \
		--from-literal=DATABASE_URL="postgresql://$PGUSER@127.0.0.1:$PGPORT/$PGDATABASE" >/dev/null
	A="$BATS_TEST_TMPDIR/a" B="$BATS_TEST_TMPDIR/b"
	chart_copy "$A"
	# the second chart: its own name, table, history table; no assertions
	chart_copy "$B"
	sed -i 's/^name: chart-example$/name: other-example/' "$B/Chart.yaml"
	rm -f "$B"/migrations/*.sql "$B/zdm/assertions.yaml"
	sed -i 's/^  historyTable: zdm_schema_history$/  historyTable: other_schema_history/' "$B/values.yaml"
	grep -q '^  historyTable: other_schema_history$' "$B/values.yaml"
	printf 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);\n' \
		>"$B/migrations/V1__create_orders.sql"

	concurrently "$v" install
	once zdm_schema_history "1:1,2:1"
	once other_schema_history "1:1"

	printf 'ALTER TABLE users ADD COLUMN nickname text;\n' >"$A/migrations/V4__add_nickname.sql"
	printf 'ALTER TABLE orders ADD COLUMN note text;\n' >"$B/migrations/V2__add_note.sql"
	concurrently "$v" upgrade
	once zdm_schema_history "1:1,2:1,4:1"
	once other_schema_history "1:1,2:1"
	# each release ran its own Jobs: pre and post rows for every release
	run q "select string_agg(r, ' ' order by r collate \"C\") from (select distinct namespace || '/' || release r
		from schema_deployment_log where revision = 2 and phase = 'post' and status = 'succeeded') x"
	assert_output "$(printf '%s\n' "$NS/demo" "$NS/other" "$NS2/demo" | LC_ALL=C sort | paste -sd ' ')"
}

@test "multi: helm 3 — two charts and a same-name release in two namespaces, concurrently, each migration once" {
	multi_case 3
}

@test "multi: helm 4 — two charts and a same-name release in two namespaces, concurrently, each migration once" {
	multi_case 4
}

@test "multi: helm 4 from source — two charts and a same-name release in two namespaces, concurrently, each migration once" {
	multi_case src
}
