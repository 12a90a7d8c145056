#!/usr/bin/env bats
# The benchmarks against the Go peers, in their smallest mode: that the
# harness works — the peers build (tests/tools/build.sh, from the Go module
# proxy at the pinned versions, cached in ~/.cache/zdm/tools), every tool
# migrates on the benchmark's throwaway PostgreSQL (scripts/pg-sandbox.sh),
# and the ratio lines come out. No figure is judged: speed belongs in
# `make bench`. Each benchmark writes into a build directory of its own
# here, so the figures of a real `make bench` under build/bench stay.

load helpers

# Cold builds: golang-migrate and goose take a minute or two, pgroll about
# 5 min and Atlas about 20 (SQLite's C code): make test builds the first
# two and uses the others only when they are built already (make bench
# builds them), unless ZDM_TEST_BUILD_PEERS=1 asks for every build here.
setup_file() {
	if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
		export ZDM_NO_GO=1
		return 0
	fi
	local slow
	for slow in atlas pgroll; do
		if [ "${ZDM_TEST_BUILD_PEERS:-0}" = 1 ] ||
			"$ZDM_ROOT/tests/tools/build.sh" --cached "$slow" >/dev/null; then
			export "ZDM_HAVE_$slow=1"
		fi
	done
}

need_go() {
	[ -z "${ZDM_NO_GO:-}" ] || skip "no Go toolchain to build the peers (tests/tools/build.sh needs Go >= 1.22)"
}

# a build directory with this build's binaries, for the benchmark's output
bench_build() {
	B="$BATS_TEST_TMPDIR/build"
	mkdir -p "$B"
	ln -s "$ZDM_BUILD/zdm-hook" "$B/zdm-hook"
	ln -s "$ZDM_BUILD/zdm-loadgen" "$B/zdm-loadgen"
}

@test "bench-migrate: golang-migrate, goose (and atlas when built) measured beside zdm, ratios printed" {
	need_go
	bench_build
	local peers="migrate goose" names="golang-migrate goose" n=2
	if [ -n "${ZDM_HAVE_atlas:-}" ]; then
		peers+=" atlas" names+=" atlas" n=3
	fi
	run env ZDM_BUILD="$B" BENCH_MIGRATE_PEERS="$peers" BENCH_MIGRATIONS=4 \
		BENCH_NOOP_RUNS=1 BENCH_APPLY_RUNS=1 BENCH_RACERS=2 "$ZDM_ROOT/bench/bench-migrate.sh"
	assert_success
	assert_output --regexp "migrate: zdm-hook .* vs golang-migrate v[0-9.]+, goose v[0-9.]+.* on PostgreSQL"
	assert_line --regexp "^figure +zdm +${names// / +}\$"
	assert_line --regexp "^ratio zdm/peer +target +${names// / +} +verdict\$"
	local cols
	cols=$(printf ' +[0-9]+\\.[0-9]{2}%.0s' $(seq "$n"))
	for fig in "no-op run +<= 0.5" "apply 4 +<= 0.7" "peak RSS +<= 0.25"; do
		assert_line --regexp "^$fig$cols +(meets|MISSES) target"
	done
	assert_line --regexp "^race: history rows \(want 4\) +4$(printf ' +[0-9]+%.0s' $(seq "$n"))\$"
	assert_line --regexp '^race: applied exactly once +zdm: yes$'
	# every peer applied everything on its own (apply_once checks it) and
	# the figures went to the CSV, one row per figure and peer
	[ "$(grep -c '^apply_4_median,us,' "$B/bench/migrate.csv")" = "$n" ]
	grep -q '^noop_median,us,[0-9]*,goose,[0-9]*,' "$B/bench/migrate.csv"
}

@test "bench-pgroll: the same rename and SET NOT NULL by zdm and pgroll, ratios printed" {
	need_go
	[ -n "${ZDM_HAVE_pgroll:-}" ] ||
		skip "pgroll is not built yet (about 5 min cold): make bench-pgroll, tests/tools/build.sh pgroll, or ZDM_TEST_BUILD_PEERS=1 builds it"
	bench_build
	run env ZDM_BUILD="$B" ZDM_BENCH_ROWS=1000 BENCH_PGROLL_RUNS=2 BENCH_PGROLL_CLIENTS=1 \
		BENCH_PGROLL_BASELINE=1 BENCH_PGROLL_BOTH=1 BENCH_PGROLL_SETTLE=1 \
		BENCH_PGROLL_WRITES=200 BENCH_PGROLL_COST_ROUNDS=2 "$ZDM_ROOT/bench/bench-pgroll.sh"
	assert_success
	assert_output --regexp "pgroll: zdm-hook .* vs pgroll v[0-9.]+ on PostgreSQL .*, 1000 rows"
	assert_line "figures: the median of 2 runs of each tool (client errors: their sum)"
	assert_line --regexp '^  run 1: [0-9]+\.[0-9]{2}, [0-9]+\.[0-9]{2}, ([0-9]+\.[0-9]{2}|-), [0-9]+\.[0-9]{2}$'
	assert_line --regexp '^  run 2: '
	assert_line --regexp '^  2 pgroll +5 contract '
	[ -s "$B/bench/pgroll/run-2/zdm/requests.v1.csv" ]
	assert_line --regexp '^figure +zdm +pgroll +zdm/pgroll +target +verdict$'
	# zdm lets no request fail; pgroll's count is a figure
	assert_line --regexp '^client errors \(of [0-9]+ / [0-9]+ requests\) +0 +[0-9]+ +([0-9]+\.[0-9]{2}|0/0) +zdm 0 +meets target$'
	assert_line --regexp '^app p99 during the migration +[0-9.]+ ms +[0-9.]+ ms +[0-9]+\.[0-9]{2} +<= 1 '
	assert_line --regexp '^expand-to-ready \(backfill included\) +[0-9]+ ms +[0-9]+ ms +[0-9]+\.[0-9]{2} +<= 0.5 '
	assert_line --regexp '^write overhead, both shapes live +[0-9.]+x +[0-9.]+x +[0-9]+\.[0-9]{2} +<= 1 '
	assert_line --regexp '^  write p50 under the load \(phase 3/1\) +[0-9.]+x +[0-9.]+x +[0-9]+\.[0-9]{2} +\(context\)$'
	assert_line --regexp "^write overhead: server time of a write .* median of 2 rounds' quotients, 300 writes a measurement; the times' medians: zdm \\([0-9.]+ us, [0-9.]+ us\\) / [0-9.]+ us, pgroll \\([0-9.]+ us, [0-9.]+ us\\) / [0-9.]+ us$"
	# each round timed each tool's writes before the expand (app 1.x),
	# after it (app 1.x and 2.x) and before it again, every time a
	# positive number; the tools took turns going first
	[ "$(awk -F'\t' '$3 + 0 > 0 && $4 + 0 > 0 && $5 + 0 > 0 && $6 + 0 > 0' "$B/bench/pgroll/write-cost/times.tsv" | wc -l)" = 4 ]
	[ "$(cut -f1,2 "$B/bench/pgroll/write-cost/times.tsv" | tr '\t' : | paste -sd' ')" = "zdm:1 pgroll:1 pgroll:2 zdm:2" ]
	assert_line --regexp '^contract +[0-9]+ ms +[0-9]+ ms +[0-9]+\.[0-9]{2} +<= 1 '
	# both tools reached the same final table (the one zdm's migrations
	# and pgroll's operations are written to reach)
	assert_line --regexp '^same final table, no trigger left +yes +yes'
	[ "$(wc -l <"$B/bench/pgroll.csv")" = 9 ]
}
