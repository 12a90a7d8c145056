#!/usr/bin/env bash
# bench-rollout.sh — the zero-downtime proof at full size, on one throwaway
# PostgreSQL (scripts/pg-sandbox.sh), with tests/rollout/run-scenario.sh
# driving build/zdm-loadgen (old and new app versions on their own
# connections, paced) while the migrations run:
#
#   1. rollout: chart-example's rename full_name -> display_name over three
#      releases with zdm-hook run pre/post (expand with the backfill of
#      ROWS pre-existing rows, a rolling switch v1 -> v2 over RAMP, post,
#      contract), and the same rename done the naive way (one RENAME COLUMN
#      with psql while v1 runs, then the switch): errors per phase (target:
#      0 for zdm in every phase; naive is expected to fail) and app p99 per
#      phase against the v1-only baseline (target <= 2x)
#   2. lock queue: a session holds a lock on users (an open transaction that
#      read it) for HOLD while a column is added, by zdm-hook migrate
#      (lock_timeout 1s, retries) and by a plain psql ALTER TABLE: the
#      slowest app request (target for zdm: <= lock_timeout + 250 ms)
#   3. backfill: BACKFILL_ROWS rows backfilled under steady v1 load by zdm
#      (`-- zdm: backfill table=users batch-time=100ms`) and by one UPDATE of
#      the same rows on a copy of the database: app p99 during the backfill
#      against the idle baseline (target for zdm <= 2x), zdm's total time
#      against the single UPDATE's (target <= 1.5x), rows/s of both
#
# Prints the tables, writes the figures to $ZDM_BUILD/bench/rollout.csv and
# each scenario's raw results under $ZDM_BUILD/bench/rollout/, and draws
# docs/rollout.png and docs/lockqueue.png with gnuplot (skipped, with a
# note, when gnuplot is missing; Debian package gnuplot-nox). Figures are
# printed, never asserted: exit 0 whenever the benchmark ran, non-zero only
# when it could not (no PostgreSQL, a scenario step that failed on its own).
#
# Environment (defaults in brackets):
#   ZDM_BUILD [build]
#   BENCH_ROLLOUT_ROWS [1000000]    BENCH_ROLLOUT_CLIENTS [8] (per version)
#   BENCH_ROLLOUT_RATE [50] (requests/s per client)
#   BENCH_ROLLOUT_BASELINE [10s]    BENCH_ROLLOUT_SETTLE [4s]
#   BENCH_ROLLOUT_RAMP [60s]        BENCH_LOCK_HOLD [8s]
#   BENCH_BACKFILL_ROWS [3000000]   BENCH_PLOTS [1] (0: no PNGs)
# The defaults take about 5 minutes on 2 cores; 5000000 backfill rows (the
# issue's figure) add about 45 s.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${ZDM_BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
export ZDM_BUILD=$build
out=$build/bench
res=$out/rollout
csv=$out/rollout.csv
scen=$root/tests/rollout/run-scenario.sh

ROWS=${BENCH_ROLLOUT_ROWS:-1000000}
CLIENTS=${BENCH_ROLLOUT_CLIENTS:-8}
RATE=${BENCH_ROLLOUT_RATE:-50}
BASELINE=${BENCH_ROLLOUT_BASELINE:-10s}
SETTLE=${BENCH_ROLLOUT_SETTLE:-4s}
RAMP=${BENCH_ROLLOUT_RAMP:-60s}
HOLD=${BENCH_LOCK_HOLD:-8s}
BF_ROWS=${BENCH_BACKFILL_ROWS:-3000000}
PLOTS=${BENCH_PLOTS:-1}
LOCK_TIMEOUT_MS=1000

# targets
T_P99=2 T_LOCK_MS=$((LOCK_TIMEOUT_MS + 250)) T_BF_TIME=1.5 T_BF_P99=2

die() { echo "bench-rollout: error: $*" >&2; exit 2; }
note() { echo "bench-rollout: $*" >&2; }

for v in BENCH_ROLLOUT_ROWS:$ROWS BENCH_ROLLOUT_CLIENTS:$CLIENTS BENCH_BACKFILL_ROWS:$BF_ROWS; do
	[[ ${v#*:} =~ ^[1-9][0-9]*$ ]] || die "${v%%:*} must be a positive integer (got \"${v#*:}\")"
done
for t in "$build/zdm-hook" "$build/zdm-loadgen"; do
	[ -x "$t" ] || die "$t not found; run make first"
done
command -v psql >/dev/null || die "psql is missing (run scripts/deps.sh)"
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(ZDM_SANDBOX|PGDATABASE|DATABASE_URL)$' || true)

sandbox=
cleanup() {
	if [ -n "$sandbox" ]; then
		"$root/scripts/pg-sandbox.sh" stop "$sandbox" || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sandbox=$(mktemp -d "${TMPDIR:-/tmp}/zdm-bench-pg.XXXXXX")
pgenv=$(scripts/pg-sandbox.sh start "$sandbox") || die "could not start a throwaway PostgreSQL"
eval "$pgenv"
unset ZDM_SANDBOX
pg_version=$(psql -X -qAt -d postgres -c 'SHOW server_version' | awk '{print $1}')
now_s() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000000)); }
started=$(now_s)
rm -rf "$res"
mkdir -p "$res"

# run NAME SCENARIO MODE [ARGS]: one scenario, its table kept in NAME.txt
run() {
	local name=$1 t0
	shift
	t0=$(now_s)
	note "$name ..."
	"$scen" "$@" --out "$res/$name" --clients "$CLIENTS" --rate "$RATE" --baseline "$BASELINE" \
		--settle "$SETTLE" >"$res/$name.txt" 2>"$res/$name.log" ||
		{ tail -n 20 "$res/$name.log" >&2; die "scenario $name could not run (see $res/$name.log)"; }
	note "$name done in $(($(now_s) - t0)) s"
}
run zdm rollout zdm --rows "$ROWS" --ramp "$RAMP" --label zdm
run naive rollout naive --rows "$ROWS" --ramp "$RAMP" --label naive
run lq-zdm lockqueue zdm --rows 100000 --hold "$HOLD" --lock-timeout "${LOCK_TIMEOUT_MS}ms" --label zdm
run lq-plain lockqueue plain --rows 100000 --hold "$HOLD" --label plain
run backfill backfill --rows "$BF_ROWS"

# --- figures ----------------------------------------------------------------
# field DIR PHASE_PREFIX VERSION COLUMN [LABEL]: a column of a scenario's
# report.csv (4 start, 5 end, 6 requests, 7 errors, 8 p50, 9 p99, 10 max; µs)
field() {
	awk -F, -v p="\"$2" -v v="$3" -v c="$4" -v l="${5:-}" \
		'index($2, p) == 1 && $3 == v && (l == "" || $1 == l) {print $c; exit}' "$res/$1/report.csv"
}
phase_name() { awk -F'\t' -v p="$2" 'index($1, p) == 1 {print $1; exit}' "$res/$1/phases.tsv"; }
summ() { awk -v k="$2" '$1 == k {print $2; exit}' "$res/$1/summary.txt"; }
ms() { awk -v us="$1" 'BEGIN {if (us == "") print "-"; else if (us >= 100000) printf "%.0f", us / 1000; else printf "%.2f", us / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b <= 0) print "-"; else printf "%.2f", a / b}'; }
le() { awk -v r="$1" -v t="$2" 'BEGIN {if (r == "-") print "-"; else print (r <= t ? "meets target" : "MISSES target")}'; }

csv_rows=()
zero() { if [ "$1" = 0 ]; then echo "meets target"; else echo "MISSES target"; fi; }
row() { csv_rows+=("$(IFS=,; echo "$*")"); }

echo "rollout: zdm-hook $("$build/zdm-hook" --version | awk '{print $NF}') on PostgreSQL $pg_version, $(nproc) CPUs;" \
	"$CLIENTS clients per app version at $RATE req/s each"
echo
echo "1. rollout of chart-example's rename: $ROWS pre-existing rows, baseline $BASELINE," \
	"switch v1 -> v2 over $RAMP, $SETTLE after each step"
b_z=$(field zdm "1 " all 9) b_n=$(field naive "1 " all 9)
fmt='%-28s %9s %9s %9s %9s %10s %9s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" "phase (zdm)" requests errors "p50 ms" "p99 ms" "p99/base" "max ms" "verdict"
for p in 1 2 3 4 5; do
	name=$(phase_name zdm "$p ")
	[ -n "$name" ] || continue
	n=$(field zdm "$p " all 6) e=$(field zdm "$p " all 7) p50=$(field zdm "$p " all 8)
	p99=$(field zdm "$p " all 9) mx=$(field zdm "$p " all 10)
	r=$(ratio "$p99" "$b_z")
	if [ "$e" = 0 ]; then v="0 errors: meets target"; else v="$e errors: MISSES target (0)"; fi
	((p == 1)) || v="$v; p99 $(le "$r" $T_P99 | sed 's/target/target (<= 2x)/')"
	# shellcheck disable=SC2059
	printf "$fmt" "$name" "$n" "$e" "$(ms "$p50")" "$(ms "$p99")" "$r" "$(ms "$mx")" "$v"
	row "rollout_phase${p}_requests" requests "$n" "$(field naive "$p " all 6)" "" "" ""
	row "rollout_phase${p}_errors" count "$e" "$(field naive "$p " all 7)" "" 0 "$(zero "$e")"
	if ((p == 1)); then
		row "rollout_phase${p}_p99" us "$p99" "$(field naive "$p " all 9)" "" "" ""
	else
		row "rollout_phase${p}_p99_vs_baseline" ratio "$r" "$(ratio "$(field naive "$p " all 9)" "$b_n")" "" "$T_P99" "$(le "$r" $T_P99)"
	fi
done
# shellcheck disable=SC2059
printf "$fmt" "phase (naive)" requests errors "p50 ms" "p99 ms" "p99/base" "max ms" ""
for p in 1 2 3 4; do
	name=$(phase_name naive "$p ")
	[ -n "$name" ] || continue
	n=$(field naive "$p " all 6) e=$(field naive "$p " all 7) p50=$(field naive "$p " all 8)
	p99=$(field naive "$p " all 9) mx=$(field naive "$p " all 10)
	r=$(ratio "$p99" "$b_n")
	ev=$(field naive "$p " v1 7)
	# shellcheck disable=SC2059
	printf "$fmt" "$name" "$n" "$e" "$(ms "$p50")" "$(ms "$p99")" "$r" "$(ms "$mx")" \
		"$([ -n "$ev" ] && [ "$ev" != 0 ] && echo "v1: $ev errors")"
done
tot_z=$(awk -F, '$3 == "all" {s += $7} END {print s + 0}' "$res/zdm/report.csv")
tot_n=$(awk -F, '$3 == "all" {s += $7} END {print s + 0}' "$res/naive/report.csv")
echo "errors in the whole rollout: zdm $tot_z, naive $tot_n (naive's, by kind:)"
awk -F, 'NR > 1 && $5 == 0 {m = $8; gsub(/^"|"$/, "", m); gsub(/""/, "\"", m); n[$2 " " $6 " " $3 ": " m]++}
	END {for (k in n) printf "  %7d x %s\n", n[k], k}' \
	"$res/naive/requests.csv" | sort -rn | head -n 6
echo "zdm steps: pre 2.0.0 $(summ zdm pre_2.0.0_ms) ms (expand + backfill of $ROWS rows; contract deferred:" \
	"$([ "$(summ zdm contract_deferred_in_2.0.0)" = 1 ] && echo yes || echo no)), post 2.0.0" \
	"$(summ zdm post_2.0.0_ms) ms, pre 2.0.1 $(summ zdm pre_2.0.1_ms) ms (contract)"
row rollout_errors_total count "$tot_z" "$tot_n" "" 0 "$(zero "$tot_z")"
row rollout_pre_2.0.0 ms "$(summ zdm pre_2.0.0_ms)" "" "" "" ""

echo
echo "2. lock queue: a session holds a lock on users for $HOLD while a column is added"
lz_max=$(field lq-zdm "2 " all 10) lp_max=$(field lq-plain "2 " all 10)
lz_n=$(field lq-zdm "2 " all 6) lp_n=$(field lq-plain "2 " all 6)
fmt2='%-34s %14s %14s  %s\n'
# shellcheck disable=SC2059
{
	printf "$fmt2" figure "zdm migrate" "plain ALTER" target
	printf "$fmt2" "slowest app request" "$(ms "$lz_max") ms" "$(ms "$lp_max") ms" \
		"zdm <= $T_LOCK_MS ms: $(awk -v m="$lz_max" -v t="$T_LOCK_MS" 'BEGIN {print (m / 1000 <= t ? "meets target" : "MISSES target")}')"
	printf "$fmt2" "app p99 while the lock is held" "$(ms "$(field lq-zdm "2 " all 9)") ms" "$(ms "$(field lq-plain "2 " all 9)") ms" ""
	printf "$fmt2" "app requests while the lock is held" "$lz_n" "$lp_n" ""
	printf "$fmt2" "app errors" "$(field lq-zdm "2 " all 7)" "$(field lq-plain "2 " all 7)" ""
	printf "$fmt2" "holder stayed after the ALTER" "$(summ lq-zdm holder_after_alter_ms) ms" "$(summ lq-plain holder_after_alter_ms) ms" ""
	printf "$fmt2" "migration wall time" "$(summ lq-zdm migration_ms) ms" "$(summ lq-plain migration_ms) ms" ""
	printf "$fmt2" "lock_timeout retries" "$(summ lq-zdm retries)" "-" ""
}
row lockqueue_max_latency us "$lz_max" "$lp_max" "$(ratio "$lz_max" "$lp_max")" "$((T_LOCK_MS * 1000))" \
	"$(awk -v m="$lz_max" -v t="$T_LOCK_MS" 'BEGIN {print (m / 1000 <= t ? "meets target" : "MISSES target")}')"
row lockqueue_requests_during_hold requests "$lz_n" "$lp_n" "" "" ""
row lockqueue_migration_ms ms "$(summ lq-zdm migration_ms)" "$(summ lq-plain migration_ms)" "" "" ""
row lockqueue_retries count "$(summ lq-zdm retries)" "" "" "" ""

echo
bf=backfill
echo "3. backfill of $BF_ROWS rows under v1 load ($CLIENTS clients at $RATE req/s)"
if [ "$(summ $bf backfill_supported)" = 1 ]; then
	zt=$(summ $bf zdm_backfill_ms) st=$(summ $bf single_backfill_ms)
	idle_z=$(field $bf "1 " all 9 zdm-backfill) idle_s=$(field $bf "1 " all 9 single-update)
	bz=$(field $bf "2 " all 9 zdm-backfill) bs=$(field $bf "2 " all 9 single-update)
	mz=$(field $bf "2 " all 10 zdm-backfill) ms_=$(field $bf "2 " all 10 single-update)
	rt=$(ratio "$zt" "$st") rz=$(ratio "$bz" "$idle_z") rs=$(ratio "$bs" "$idle_s")
	# shellcheck disable=SC2059
	{
		printf "$fmt2" figure "zdm backfill" "one UPDATE" target
		printf "$fmt2" "total time" "$zt ms" "$st ms" "zdm/UPDATE $rt <= $T_BF_TIME: $(le "$rt" $T_BF_TIME)"
		printf "$fmt2" "rows/s" "$(awk -v n="$BF_ROWS" -v t="$zt" 'BEGIN {printf "%.0f", n / t * 1000}')" \
			"$(awk -v n="$BF_ROWS" -v t="$st" 'BEGIN {printf "%.0f", n / t * 1000}')" ""
		printf "$fmt2" "app p99, idle" "$(ms "$idle_z") ms" "$(ms "$idle_s") ms" ""
		printf "$fmt2" "app p99 during the backfill" "$(ms "$bz") ms" "$(ms "$bs") ms" \
			"zdm $rz x idle <= $T_BF_P99: $(le "$rz" $T_BF_P99) (UPDATE: $rs x)"
		printf "$fmt2" "slowest app request during it" "$(ms "$mz") ms" "$(ms "$ms_") ms" ""
		printf "$fmt2" "app errors during it" "$(field $bf "2 " all 7 zdm-backfill)" "$(field $bf "2 " all 7 single-update)" ""
		printf "$fmt2" "rows left without display_name" "$(summ $bf zdm_left)" "$(summ $bf single_left)" ""
	}
	row backfill_time ms "$zt" "$st" "$rt" "$T_BF_TIME" "$(le "$rt" $T_BF_TIME)"
	row backfill_rows_per_s rows/s "$(awk -v n="$BF_ROWS" -v t="$zt" 'BEGIN {printf "%.0f", n / t * 1000}')" \
		"$(awk -v n="$BF_ROWS" -v t="$st" 'BEGIN {printf "%.0f", n / t * 1000}')" "" "" ""
	row backfill_app_p99 us "$bz" "$bs" "" "" ""
	row backfill_app_p99_vs_idle ratio "$rz" "$rs" "" "$T_BF_P99" "$(le "$rz" $T_BF_P99)"
	row backfill_app_max us "$mz" "$ms_" "" "" ""
else
	echo "zdm-hook has no \"-- zdm: backfill\" directive yet: only the single UPDATE ran" \
		"($(summ $bf single_backfill_ms) ms for $BF_ROWS rows)"
	row backfill_time ms "" "$(summ $bf single_backfill_ms)" "" "$T_BF_TIME" "-"
fi
echo "(seeding the $BF_ROWS rows took $(summ $bf seed_ms) ms)"

row rollout_rows rows "$ROWS" "$ROWS" "" "" ""
row backfill_rows rows "$BF_ROWS" "$BF_ROWS" "" "" ""
mkdir -p "$out"
{
	echo "figure,unit,zdm,other,ratio,target,verdict"
	printf '%s\n' "${csv_rows[@]}"
} >"$csv"

echo
if [ "$PLOTS" = 1 ]; then
	if command -v gnuplot >/dev/null; then
		tests/rollout/plot.sh rollout "$root/docs/rollout.png" "$res/zdm" "$res/naive"
		tests/rollout/plot.sh lockqueue "$root/docs/lockqueue.png" "$res/lq-zdm" "$res/lq-plain" "$LOCK_TIMEOUT_MS"
	else
		echo "plots skipped: gnuplot is missing (Debian: apt-get install gnuplot-nox)"
	fi
fi
echo "figures written to ${csv#"$root"/}, raw results under ${res#"$root"/}/ ($(($(now_s) - started)) s)"
