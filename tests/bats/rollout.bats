#!/usr/bin/env bats
# The zero-downtime proof, short: application versions hammering one
# database (build/zdm-loadgen) while the migrations run
# (tests/rollout/run-scenario.sh; the long version is bench/bench-rollout.sh).
#
# - rollout: chart-example's rename through zdm-hook run pre/post has zero
#   errors in every phase; the same rename as one RENAME COLUMN breaks v1.
# - lock queue: with a session holding a lock on users, zdm-hook migrate
#   keeps app latency near its lock_timeout; a plain ALTER makes every
#   query wait for the holder.

load helpers

setup() {
	: "${PGPORT:?run the suite through tests/run.sh (it starts PostgreSQL)}"
	LOADGEN="$ZDM_BUILD/zdm-loadgen"
	SCEN="$ZDM_ROOT/tests/rollout/run-scenario.sh"
	[ -x "$LOADGEN" ] || skip "build/zdm-loadgen is not built"
	OUT="$BATS_TEST_TMPDIR/out"
	DB="zdm_rollout_t${BATS_SUITE_TEST_NUMBER}_$$"
	unset PGDATABASE ZDM_DATABASE_URL DATABASE_URL
}

# scenario ARGS...: one short scenario on this suite's PostgreSQL
scenario() {
	"$SCEN" "$@" --out "$OUT" --db "$DB" --rows 2000 --clients 3 --rate 40 \
		--baseline 2s --settle 1s
}
# errors PHASE_PREFIX [VERSION]: errors of the phase (all versions by default)
errors() {
	awk -F, -v p="\"$1" -v v="${2:-all}" 'index($2, p) == 1 && $3 == v {print $7}' "$OUT/report.csv"
}
requests() {
	awk -F, -v p="\"$1" -v v="${2:-all}" 'index($2, p) == 1 && $3 == v {print $6}' "$OUT/report.csv"
}
summary() { awk -v k="$1" '$1 == k {print $2}' "$OUT/summary.txt"; }

@test "zdm-loadgen: usage errors, malformed mixes and non-loopback hosts are refused" {
	run "$LOADGEN" --mix v1="$ZDM_ROOT/tests/rollout/v1.sql"
	assert_failure 2
	assert_output --partial "--out FILE is needed"
	printf 'SELECT 1;\n' >"$BATS_TEST_TMPDIR/bad.sql"
	run "$LOADGEN" --mix v1="$BATS_TEST_TMPDIR/bad.sql" --out "$BATS_TEST_TMPDIR/r.csv"
	assert_failure 2
	assert_output --partial 'bad.sql:1: SQL before the first "-- op: NAME" line'
	printf -- '-- op: two\nSELECT 1; SELECT 2\n' >"$BATS_TEST_TMPDIR/bad.sql"
	run "$LOADGEN" --mix v1="$BATS_TEST_TMPDIR/bad.sql" --out "$BATS_TEST_TMPDIR/r.csv"
	assert_failure 2
	assert_output --partial 'holds more than one statement'
	run "$LOADGEN" --mix v1="$ZDM_ROOT/tests/rollout/v1.sql" --out "$BATS_TEST_TMPDIR/r.csv" \
		--conninfo "host=192.0.2.1 connect_timeout=1"
	assert_failure 2
	assert_output --partial 'refusing host "192.0.2.1"'
	PGHOST=example.org run "$LOADGEN" --mix v1="$ZDM_ROOT/tests/rollout/v1.sql" --out "$BATS_TEST_TMPDIR/r.csv"
	assert_failure 2
	assert_output --partial 'refusing host "example.org"'
	run "$LOADGEN" --mix v1="$ZDM_ROOT/tests/rollout/v1.sql" --out "$BATS_TEST_TMPDIR/r.csv" --app-name v2=shop/2.0.0
	assert_failure 2
	assert_output --partial "--app-name v2: no --mix v2=FILE was given"
	run "$LOADGEN" --mix v1="$ZDM_ROOT/tests/rollout/v1.sql" --out "$BATS_TEST_TMPDIR/r.csv" --app-name v1
	assert_failure 2
	assert_output --partial '--app-name wants VERSION=NAME (got "v1")'
	[ ! -e "$BATS_TEST_TMPDIR/r.csv" ]
}

@test "rollout with zdm: zero errors in every phase, old and new app side by side" {
	run scenario rollout zdm --ramp 4s
	assert_success
	for p in 1 2 3 4 5; do
		[ "$(requests "$p ")" -gt 0 ] || fail "phase $p has no requests"
		[ "$(errors "$p ")" = 0 ] || fail "phase $p has $(errors "$p ") errors: $(cat "$OUT/report.txt")"
	done
	# both versions ran during the switch, and the contract waited for it
	[ "$(requests "3 " v1)" -gt 0 ]
	[ "$(requests "3 " v2)" -gt 0 ]
	[ "$(summary contract_deferred_in_2.0.0)" = 1 ]
	[ "$(summary full_name_left)" = 0 ]
	[ "$(summary pre_2.0.0_rc)" = 0 ]
	[ "$(summary pre_2.0.1_rc)" = 0 ]
}

@test "rollout with zdm and an old worker that stays: its session defers the contract until it goes, zero errors" {
	run scenario rollout zdm --ramp 3s --linger 1
	assert_success
	for p in 1 2 3 4 5 6; do
		[ "$(requests "$p ")" -gt 0 ] || fail "phase $p has no requests"
		[ "$(errors "$p ")" = 0 ] || fail "phase $p has $(errors "$p ") errors: $(cat "$OUT/report.txt")"
	done
	# the deployment log allowed the contract in pre 2.0.1; the v1 session
	# (application_name shop/1.0.0) did not, and v1 kept working
	[ "$(requests "5 " v1)" -gt 0 ]
	[ "$(summary contract_deferred_by_sessions)" = 1 ]
	[ "$(summary full_name_left_while_lingering)" = 1 ]
	grep -q 'sessions of release "shop" with an app version older than 2.0.0 are connected' "$OUT/pre-2.0.1.log"
	# gone: the next run contracts
	grep -q "contracted V2__rename_full_name.sql" "$OUT/pre-2.0.1-again.log"
	[ "$(summary full_name_left)" = 0 ]
	[ "$(summary pre_2.0.1_again_rc)" = 0 ]
}

@test "rollout the naive way: RENAME COLUMN while v1 runs makes v1 fail" {
	run scenario rollout naive --ramp 3s
	assert_success
	[ "$(errors "1 ")" = 0 ]
	[ "$(errors "2 " v1)" -gt 0 ]
	assert_output --partial 'column "full_name" does not exist'
	[ "$(errors "4 " v2)" = 0 ]
}

@test "lock queue with zdm: app latency stays near lock_timeout while zdm retries" {
	run scenario lockqueue zdm --hold 4s --lock-timeout 1s
	assert_success
	[ "$(summary column_added)" = 1 ]
	[ "$(summary retries)" -ge 1 ]
	[ "$(errors "2 ")" = 0 ]
	max=$(summary max_latency_ms)
	awk -v m="$max" 'BEGIN {exit !(m < 2000)}' ||
		fail "max app latency $max ms with zdm (want < lock_timeout + 1s): $(cat "$OUT/report.txt")"
	# the migration finished only once the holder had gone
	[ "$(summary migration_ms)" -ge 3000 ]
}

@test "lock queue with a plain ALTER: every query waits for the holder" {
	# held 6 s, and app queries must wait over 3 s of it (zdm's test above:
	# under 2 s): a starved app may issue its first queued query late,
	# so the bound is not "the whole hold"
	run scenario lockqueue plain --hold 6s
	assert_success
	[ "$(summary column_added)" = 1 ]
	max=$(summary max_latency_ms) held=$(summary holder_after_alter_ms)
	awk -v m="$max" 'BEGIN {exit !(m > 3000)}' ||
		fail "max app latency $max ms with a plain ALTER (the holder stayed $held ms after it)"
}
