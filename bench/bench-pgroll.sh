#!/usr/bin/env bash
# bench-pgroll.sh — zdm against pgroll doing the same change on the same
# table under the same load, one tool after the other on one throwaway
# PostgreSQL (scripts/pg-sandbox.sh), each on a fresh database:
#
#   the users table of tests/rollout (ROWS pre-existing rows, seeded by
#   tests/rollout/seed.sql) with a nullable nickname; release 2.0.0 renames
#   full_name to display_name and makes nickname NOT NULL (missing ones
#   become 'none'). zdm does it with two recipes, rename-column and
#   set-not-null (bench/pgroll/zdm/, docs/recipes.md, run with the hook
#   Jobs' commands: `zdm-hook run --phase pre|post`); pgroll with one
#   migration of two operations (bench/pgroll/pgroll/, `pgroll start`,
#   `pgroll complete`).
#
#   The load is build/zdm-loadgen (tests/rollout/): CLIENTS clients of app
#   1.x (tests/rollout/v1.sql: full_name) and, once the expand is ready,
#   CLIENTS of app 2.x (bench/pgroll/v2.sql: display_name, and a nickname
#   on every write), each a process of its own; under pgroll each sets
#   search_path to its version's schema (public_01_create_users,
#   public_02_rename_set_not_null), as pgroll requires.
#
#   phases: 1 baseline (v1), 2 expand (zdm: run pre 2.0.0, the contract
#   deferred; pgroll: start), 3 both shapes live (v1 + v2), 4 v1 gone (zdm:
#   run post 2.0.0), 5 contract (zdm: run pre 2.0.1; pgroll: complete),
#   6 after (v2).
#
# The pair runs BENCH_PGROLL_RUNS times (zdm first in odd runs, pgroll
# first in even ones, each on a fresh database); each figure is the median
# of the runs (client errors: their sum), and a line per run gives that
# run's ratios: one run's p99 and expand ratios swing by half on a 2-core
# machine.
#
# Prints zdm/pgroll ratios: client errors (whole run), app p99 during the
# migration (requests started during phases 2 and 5), expand-to-ready time
# (phase 2, backfill included), write overhead while both shapes are live
# (the server time of a write then over before the expand, measured apart
# from the load, below; the write p50 of phase 3 over phase 1 is printed
# beside it), contract time (phase 5), and whether each ended with the
# same final table. Targets,
# printed, never asserted: 0 errors for zdm; every ratio <= 1, the expand
# (backfill) <= 0.5. Writes $ZDM_BUILD/bench/pgroll.csv and the raw results
# (request logs, phases, every command's output) under
# $ZDM_BUILD/bench/pgroll/. Exit 0 whenever the benchmark ran, non-zero
# only when it could not (no Go to build pgroll: 2; no PostgreSQL; a
# migration step that failed on its own).
#
# pgroll is built by tests/tools/build.sh from the Go module proxy at the
# version bench/peers/pgroll/go.mod pins, into ~/.cache/zdm/tools/.
#
# Environment (defaults in brackets):
#   ZDM_BUILD [build]              ZDM_BENCH_ROWS [1000000]
#   BENCH_PGROLL_RUNS [5]          BENCH_PGROLL_CLIENTS [8] (per app version)
#   BENCH_PGROLL_RATE [50] (requests/s per client)
#   BENCH_PGROLL_BASELINE [5] BENCH_PGROLL_BOTH [10] BENCH_PGROLL_SETTLE [3]
#     (seconds: v1 alone before the expand; both versions; v2 alone after)
#   BENCH_PGROLL_WRITES [20000] BENCH_PGROLL_COST_ROUNDS [7] (the write
#     overhead: updates per measurement, half as many inserts; rounds)
#   BENCH_PGDIR [$TMPDIR]          where the cluster's data goes
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${ZDM_BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
out=$build/bench
res=$out/pgroll
csv=$out/pgroll.csv
hook=$build/zdm-hook
loadgen=$build/zdm-loadgen
here=$root/bench/pgroll

ROWS=${ZDM_BENCH_ROWS:-1000000}
RUNS=${BENCH_PGROLL_RUNS:-5}
CLIENTS=${BENCH_PGROLL_CLIENTS:-8}
RATE=${BENCH_PGROLL_RATE:-50}
BASELINE=${BENCH_PGROLL_BASELINE:-5}
BOTH=${BENCH_PGROLL_BOTH:-10}
SETTLE=${BENCH_PGROLL_SETTLE:-3}
WRITES=${BENCH_PGROLL_WRITES:-20000}
COST_REPS=${BENCH_PGROLL_COST_ROUNDS:-7}

# targets: zdm/pgroll at most this (errors: zdm's count)
T_RATIO=1 T_EXPAND=0.5 T_ERRORS=0

die() {
	echo "bench-pgroll: error: $*" >&2
	exit 2
}
note() { echo "bench-pgroll: $*" >&2; }

for v in ZDM_BENCH_ROWS:$ROWS BENCH_PGROLL_RUNS:$RUNS BENCH_PGROLL_CLIENTS:$CLIENTS BENCH_PGROLL_RATE:$RATE \
	BENCH_PGROLL_BASELINE:$BASELINE BENCH_PGROLL_BOTH:$BOTH BENCH_PGROLL_SETTLE:$SETTLE \
	BENCH_PGROLL_WRITES:$WRITES BENCH_PGROLL_COST_ROUNDS:$COST_REPS; do
	[[ ${v#*:} =~ ^[1-9][0-9]*$ ]] || die "${v%%:*} must be a positive integer (got \"${v#*:}\")"
done
((CLIENTS <= 64)) || die "BENCH_PGROLL_CLIENTS must be at most 64"
((RUNS <= 20)) || die "BENCH_PGROLL_RUNS must be at most 20"
((WRITES >= 2)) || die "BENCH_PGROLL_WRITES must be at least 2"
for t in "$hook" "$loadgen"; do
	[ -x "$t" ] || die "$t not found; run make first"
done
for t in psql awk sort; do
	command -v "$t" >/dev/null || die "$t is missing (run scripts/deps.sh)"
done
# Nothing from the caller's environment may steer either tool.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(ZDM_|PGROLL_|PGDATABASE$|PGOPTIONS$|DATABASE_URL$)' || true)

# --- pgroll, built pinned --------------------------------------------------
rc=0
pgroll=$("$root/tests/tools/build.sh" pgroll) || rc=$?
((rc == 0)) || { echo "bench-pgroll: error: could not build pgroll (tests/tools/build.sh pgroll, exit $rc)" >&2; exit "$rc"; }
pgroll_ver=$(awk '$1 == "require" && $3 ~ /^v/ {print $3; exit}' "$root/bench/peers/pgroll/go.mod")

sandbox='' lg_pids=()
cleanup() {
	local p
	for p in "${lg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${lg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "$sandbox" ]; then
		"$root/scripts/pg-sandbox.sh" stop "$sandbox" || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pgparent=${BENCH_PGDIR:-${TMPDIR:-/tmp}}
[ -d "$pgparent" ] || die "BENCH_PGDIR=$pgparent is not a directory"
sandbox=$(mktemp -d "$pgparent/zdm-bench-pg.XXXXXX")
pgenv=$(scripts/pg-sandbox.sh start "$sandbox") || die "could not start a throwaway PostgreSQL"
eval "$pgenv"
unset ZDM_SANDBOX
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
pg_version=$(sql -d postgres -c 'SHOW server_version' | awk '{print $1}')
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }
started=$(now_ms)
rm -rf "$res"
mkdir -p "$res"

# --- one tool's run ----------------------------------------------------------
# step DIR NAME CMD...: run a migration step, its output in DIR/NAME.log,
# its wall time in DIR/summary.txt; a failing step stops the benchmark
step() {
	local d=$1 name=$2 t0 t1 rc=0
	shift 2
	t0=$(now_ms)
	"$@" >"$d/$name.log" 2>&1 || rc=$?
	t1=$(now_ms)
	echo "${name}_ms $((t1 - t0))" >>"$d/summary.txt"
	if ((rc != 0)); then
		tail -n 20 "$d/$name.log" >&2
		die "$(basename "$d"): step $name failed (exit $rc, see $d/$name.log)"
	fi
}
# job DIR PHASE APP REVISION MIGRATIONS: the hook Job of one release, as
# tests/rollout/run-scenario.sh runs it
job() {
	"$hook" run --phase "$2" --dir "$5" --release shop --namespace bench \
		--app-version "$3" --revision "$4" --chart-version 0.1.0 \
		--deployed-by bench-pgroll --database-url "$url"
}
phase_name='' phase_start=''
# phase DIR NAME: close the current phase and start NAME ("" closes only)
phase() {
	local t
	t=$(now_ms)
	[ -z "$phase_name" ] || printf '%s\t%s\t%s\n' "$phase_name" "$phase_start" "$t" >>"$1/phases.tsv"
	phase_name=$2 phase_start=$t
}
# lg_start DIR VERSION MIX CONNINFO: CLIENTS clients of one app version,
# their sessions named as the chart's pods name them (shop/1.0.0,
# shop/2.0.0: what zdm's contract guard reads in pg_stat_activity)
lg_start() {
	printf '%s=%s\n' "$2" "$CLIENTS" >"$1/control.$2"
	"$loadgen" --conninfo "$4" --mix "$2=$3" --app-name "$2=shop/${2#v}.0.0" \
		--clients "$2=$CLIENTS" --max-clients "$CLIENTS" \
		--rate "$RATE" --ids "$ROWS" --duration 3600s --control "$1/control.$2" \
		--out "$1/requests.$2.csv" 2>>"$1/loadgen.$2.log" &
	lg_pids+=($!)
	eval "lg_$2=$!"
}
# lg_stop DIR VERSION: stop one app version's clients
lg_stop() {
	local pid rc=0
	eval "pid=\$lg_$2"
	echo stop >"$1/control.$2.tmp" && mv -f "$1/control.$2.tmp" "$1/control.$2"
	wait "$pid" || rc=$?
	((rc == 0)) || { tail -n 5 "$1/loadgen.$2.log" >&2; die "$(basename "$1"): zdm-loadgen $2 failed (exit $rc)"; }
}

# the search_path of app 1.x's and 2.x's sessions under each tool: pgroll's
# version schemas, as pgroll requires; zdm's apps use the table itself
# (the server's default search_path)
s2=public_$(basename "$here/pgroll/02_"*.yaml .yaml)
declare -A sp1=([zdm]='' [pgroll]=public_01_create_users) sp2=([zdm]='' [pgroll]=$s2)
db_url() { echo "postgres://postgres@127.0.0.1:$PGPORT/$1?sslmode=disable"; }
# setup TOOL DIR DB: database DB created at release 1.0.0 by TOOL with ROWS
# rows of tests/rollout/seed.sql; sets url (the database's URL) for the
# steps that follow
setup() {
	local tool=$1 d=$2 db=$3
	sql -d postgres -c "CREATE DATABASE $db" >/dev/null
	url=$(db_url "$db")
	case $tool in
	zdm)
		mkdir -p "$d/release-1.0.0" "$d/release-2.0.x"
		cp "$here"/zdm/V1__*.sql "$d/release-1.0.0/"
		cp "$here"/zdm/*.sql "$d/release-2.0.x/"
		step "$d" setup-pre job "$d" pre 1.0.0 1 "$d/release-1.0.0"
		PGDATABASE=$db sql -v rows="$ROWS" -f tests/rollout/seed.sql >/dev/null
		step "$d" setup-post job "$d" post 1.0.0 1 "$d/release-1.0.0"
		;;
	pgroll)
		step "$d" setup-init "$pgroll" init --postgres-url "$url"
		step "$d" setup-create "$pgroll" start --postgres-url "$url" --complete "$here/pgroll/01_create_users.yaml"
		PGDATABASE=$db sql -v rows="$ROWS" -f tests/rollout/seed.sql >/dev/null
		;;
	esac
}
# expand TOOL DIR: release 2.0.0's expand on the database of url (zdm: the
# pre Job, its contracts deferred; pgroll: start), backfill included
expand() {
	case $1 in
	zdm) step "$2" expand job "$2" pre 2.0.0 2 "$2/release-2.0.x" ;;
	pgroll) step "$2" expand "$pgroll" start --postgres-url "$url" "$here/pgroll/02_rename_set_not_null.yaml" ;;
	esac
}

# run TOOL RUN: the whole scenario with TOOL on a fresh database, results
# in $res/run-RUN/TOOL
run() {
	local tool=$1 d=$res/run-$2/$1 db=bench_$1 c1 c2
	mkdir -p "$d"
	: >"$d/phases.tsv" && : >"$d/summary.txt"
	note "run $2 of $RUNS, $tool: setup, $ROWS rows"
	setup "$tool" "$d" "$db"
	# every run starts from a checkpoint: the one the seed's WAL (and the
	# runs before) would bring on otherwise falls in one tool's expand or
	# the other's, by chance
	sql -d postgres -c CHECKPOINT
	c1="dbname=$db" c2="dbname=$db"
	[ -z "${sp1[$tool]}" ] || c1+=" options='-c search_path=${sp1[$tool]}'" c2+=" options='-c search_path=${sp2[$tool]}'"
	phase_name=''
	lg_start "$d" v1 "$root/tests/rollout/v1.sql" "$c1"
	sleep 0.5
	phase "$d" "1 baseline (v1)"
	sleep "$BASELINE"
	note "$tool: expand"
	phase "$d" "2 expand"
	expand "$tool" "$d"
	phase "$d" "3 both shapes live"
	lg_start "$d" v2 "$here/v2.sql" "$c2"
	sleep "$BOTH"
	phase "$d" "4 v1 gone"
	lg_stop "$d" v1
	[ "$tool" != zdm ] || step "$d" post-2.0.0 job "$d" post 2.0.0 2 "$d/release-2.0.x"
	sleep 1
	note "$tool: contract"
	phase "$d" "5 contract"
	case $tool in
	zdm) step "$d" contract job "$d" pre 2.0.1 3 "$d/release-2.0.x" ;;
	pgroll) step "$d" contract "$pgroll" complete --postgres-url "$url" ;;
	esac
	phase "$d" "6 after (v2)"
	sleep "$SETTLE"
	phase "$d" ""
	lg_stop "$d" v2
	lg_pids=()
	# the final table: what both tools must end with
	sql -d "$db" -c "SELECT string_agg(attname || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped" >"$d/final-columns.txt"
	sql -d "$db" -c "SELECT count(*) FROM public.users WHERE display_name IS NULL OR nickname IS NULL" >"$d/final-nulls.txt"
	sql -d "$db" -c "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.users'::regclass AND NOT tgisinternal" >"$d/final-triggers.txt"
	"$loadgen" report --csv <(cat "$d/requests.v1.csv"; tail -n +2 "$d/requests.v2.csv") --phases "$d/phases.tsv" \
		--label "$tool" >"$d/report.txt" 2>&1 || true
	sql -d postgres -c "DROP DATABASE $db" >/dev/null
}

note "zdm-hook $("$hook" --version | awk '{print $NF}') vs pgroll $pgroll_ver, PostgreSQL $pg_version," \
	"$ROWS rows, $CLIENTS clients per app version at $RATE req/s"
# which tool goes first alternates, so neither always meets the cluster
# as the other left it (its WAL, its autovacuums still running)
for ((r = 1; r <= RUNS; r++)); do
	if ((r % 2)); then
		run zdm "$r" && run pgroll "$r"
	else
		run pgroll "$r" && run zdm "$r"
	fi
done

# --- write cost, both shapes live, without the load ---------------------------
# What each tool's way of keeping both shapes (zdm: one trigger; pgroll: two
# triggers and its version schemas' views) adds to a write, measured on the
# server, away from the load: under the load a write's p50 is 0.5-0.7 ms of
# round trip and CPU queueing, and what the triggers add (microseconds) is
# lost in the differences between runs. Two databases per tool, set up as
# above with ROWS rows: cost_TOOL_before stays at release 1.0.0,
# cost_TOOL_live has release 2.0.0's expand (both shapes live; the
# backfill's dead rows vacuumed away, so what is timed is the triggers, not
# the pruning). A measurement times WRITES updates of the first WRITES rows,
# in a scattered order, and WRITES/2 inserts (the load's 2:1 mix; rows that
# stay in shared_buffers, as an app's working set does: updates scattered
# over the whole table time the copies into the buffer cache, not the
# triggers), one app version's statements through its search_path, in one
# DO block whose transaction is rolled back, after a VACUUM that clears the
# last one's dead rows, so every measurement starts from the same table. A
# round times, for each tool, app 1.x's writes before, then app 1.x's and
# app 2.x's writes live, then app 1.x's before again, back to back: the
# quotient of a round, the live mean over the two befores' mean, compares
# measurements seconds apart, and a VM that speeds up or slows down during
# the round moves both sides alike; the tools take turns going first
# (COST_REPS rounds).
# wtime DB SEARCH_PATH APP: microseconds per write of APP (v1, v2) on DB
wtime() {
	local db=$1 sp=$2 app=$3 upd ins hot=$((WRITES < ROWS ? WRITES : ROWS))
	if [ "$app" = v1 ]; then
		upd="full_name = 'w' || i"
		ins="(full_name, email) VALUES ('w' || i, 'wcost' || i || '@example.com')"
	else
		upd="display_name = 'w' || i, nickname = 'w' || i"
		ins="(display_name, email, nickname) VALUES ('w' || i, 'wcost' || i || '@example.com', 'w' || i)"
	fi
	sql -d "$db" <<-SQL
		VACUUM public.users;
		${sp:+SET search_path TO $sp;}
		BEGIN;
		DO \$\$
		DECLARE t0 timestamptz := clock_timestamp();
		BEGIN
			FOR i IN 1..$WRITES LOOP
				UPDATE users SET $upd WHERE id = (i::bigint * 7919) % $hot + 1;
				IF i % 2 = 0 THEN INSERT INTO users $ins; END IF;
			END LOOP;
			PERFORM set_config('zdm_bench.us', round((extract(epoch FROM clock_timestamp() - t0) * 1e6
				/ ($WRITES + $WRITES / 2))::numeric, 2)::text, true);
		END
		\$\$;
		SELECT current_setting('zdm_bench.us');
		ROLLBACK;
	SQL
}
# write_cost: the measurements into $res/write-cost/times.tsv (tool round
# before-v1 live-v1 live-v2 before-v1-again, microseconds per write), each database's
# commands' output under $res/write-cost/TOOL-STATE/
write_cost() {
	local d=$res/write-cost t r st order
	: >"$d/times.tsv"
	for t in zdm pgroll; do
		for st in before live; do
			mkdir -p "$d/$t-$st" && : >"$d/$t-$st/summary.txt"
			setup "$t" "$d/$t-$st" "cost_${t}_$st"
		done
		url=$(db_url "cost_${t}_live")
		expand "$t" "$d/$t-live"
		sql -d "cost_${t}_live" -c "VACUUM ANALYZE public.users"
	done
	for ((r = 1; r <= COST_REPS; r++)); do
		if ((r % 2)); then order="zdm pgroll"; else order="pgroll zdm"; fi
		for t in $order; do
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$r" "$(wtime "cost_${t}_before" "${sp1[$t]}" v1)" \
				"$(wtime "cost_${t}_live" "${sp1[$t]}" v1)" "$(wtime "cost_${t}_live" "${sp2[$t]}" v2)" \
				"$(wtime "cost_${t}_before" "${sp1[$t]}" v1)" >>"$d/times.tsv"
		done
	done
	for t in zdm pgroll; do
		for st in before live; do sql -d postgres -c "DROP DATABASE cost_${t}_$st" >/dev/null; done
	done
}
note "write cost, both shapes live: $COST_REPS rounds of $WRITES updates and $((WRITES / 2)) inserts per app version and tool"
mkdir -p "$res/write-cost"
write_cost

# --- figures -------------------------------------------------------------------
# Every function below takes K: one run's results of one tool, run-R/TOOL.
# reqs K PHASE_PREFIX...: the request rows (t_start_ms,app_version,op,
# latency_us,ok,...) that started in those phases, both versions
reqs() {
	local d=$res/$1
	shift
	awk -F'\t' -v ps="$*" 'BEGIN {n = split(ps, p, " ")}
		{for (i = 1; i <= n; i++) if (index($1, p[i] " ") == 1) print $2, $3}' "$d/phases.tsv" >"$d/.windows"
	awk -F, 'FNR == NR {s[++w] = $1; e[w] = $2; next}
		FNR > 1 {for (i = 1; i <= w; i++) if ($1 >= s[i] && $1 < e[i]) {print; next}}' \
		FS=' ' "$d/.windows" FS=, "$d/requests.v1.csv" "$d/requests.v2.csv"
}
# nearest-rank percentile P of the numbers on stdin ("" when none)
pct() { sort -n | awk -v p="$1" '{a[NR] = $1} END {if (NR) {k = int(p * NR + 0.999999); if (k < 1) k = 1; print a[k]}}'; }
errors() { cat "$res/$1/requests.v1.csv" "$res/$1/requests.v2.csv" | awk -F, '$5 == "0" {n++} END {print n + 0}'; }
requests() { cat "$res/$1/requests.v1.csv" "$res/$1/requests.v2.csv" | awk -F, '$5 == "0" || $5 == "1" {n++} END {print n + 0}'; }
p99_mig() { reqs "$1" 2 5 | awk -F, '{print $4}' | pct 0.99; }
wp50() { reqs "$1" "$2" | awk -F, '$3 == "update" || $3 == "insert" {print $4}' | pct 0.5; }
summ() { awk -v k="$2" '$1 == k {print $2; exit}' "$res/$1/summary.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b <= 0) print "-"; else printf "%.2f", a / b}'; }
le() { awk -v r="$1" -v t="$2" 'BEGIN {if (r == "-") print "-"; else print (r <= t ? "meets target" : "MISSES target")}'; }
ms() { awk -v us="$1" 'BEGIN {if (us == "") print "-"; else printf "%.2f ms", us / 1000}'; }

# median of the numbers on stdin ("" when none; the lower middle one)
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]}'; }
# med FIGURE TOOL: the median over the runs of FIGURE[run-R/TOOL] (a run
# without the figure, "" or "-", left out)
med() {
	local -n fig=$1
	local r
	for ((r = 1; r <= RUNS; r++)); do echo "${fig[run-$r/$2]}"; done | grep -Ev '^-?$' | median
}
declare -A err req p99 exp con wover w1 w3 cols shape final_ok
want_cols="id not null, email not null, created_at not null, nickname not null, display_name not null"
want=$(tr ',' '\n' <<<"$want_cols" | sed 's/^ *//' | sort | paste -sd, -)
for t in zdm pgroll; do
	shape[$t]=yes err[$t]=0 req[$t]=0
	for ((r = 1; r <= RUNS; r++)); do
		k=run-$r/$t
		err[$t]=$((err[$t] + $(errors "$k"))) req[$t]=$((req[$t] + $(requests "$k")))
		p99[$k]=$(p99_mig "$k")
		exp[$k]=$(summ "$k" expand_ms) con[$k]=$(summ "$k" contract_ms)
		w1[$k]=$(wp50 "$k" 1) w3[$k]=$(wp50 "$k" 3)
		wover[$k]=$(ratio "${w3[$k]}" "${w1[$k]}")
		cols[$k]=$(cat "$res/$k/final-columns.txt")
		# the same columns in any order, no NULL left, no trigger left
		got=$(tr ',' '\n' <"$res/$k/final-columns.txt" | sed 's/^ *//' | sort | paste -sd, -)
		if [ "$got" = "$want" ] && [ "$(cat "$res/$k/final-nulls.txt")" = 0 ] && [ "$(cat "$res/$k/final-triggers.txt")" = 0 ]; then
			final_ok[$k]=1
		else
			final_ok[$k]=0 shape[$t]="NO"
		fi
	done
	p99[$t]=$(med p99 "$t") exp[$t]=$(med exp "$t") con[$t]=$(med con "$t")
	wover[$t]=$(med wover "$t") w1[$t]=$(med w1 "$t") w3[$t]=$(med w3 "$t")
done
r_p99=$(ratio "${p99[zdm]}" "${p99[pgroll]}")
r_exp=$(ratio "${exp[zdm]}" "${exp[pgroll]}")
r_wo=$(ratio "${wover[zdm]}" "${wover[pgroll]}")
# write cost: per tool, the median over the rounds of the quotient live
# over before (a round's live time: the mean of its v1 and v2 writes; its
# before time: the mean of its two), and the medians of those times,
# printed beside it
declare -A wc_before wc_v1 wc_v2 wcost
# wc_median TOOL COLUMN: the median of one column of times.tsv for TOOL
wc_median() { awk -F'\t' -v t="$1" -v c="$2" '$1 == t {print $c}' "$res/write-cost/times.tsv" | median; }
for t in zdm pgroll; do
	wc_before[$t]=$(awk -F'\t' -v t="$t" '$1 == t {printf "%.2f\n", ($3 + $6) / 2}' "$res/write-cost/times.tsv" | median)
	wc_v1[$t]=$(wc_median "$t" 4)
	wc_v2[$t]=$(wc_median "$t" 5)
	wcost[$t]=$(awk -F'\t' -v t="$t" '$1 == t && $3 + $6 > 0 {printf "%.4f\n", ($4 + $5) / ($3 + $6)}' "$res/write-cost/times.tsv" |
		median | awk '{if ($1 != "") printf "%.2f", $1}')
done
r_wc=$(ratio "${wcost[zdm]}" "${wcost[pgroll]}")
r_con=$(ratio "${con[zdm]}" "${con[pgroll]}")
if [ "${err[pgroll]}" = 0 ]; then
	if [ "${err[zdm]}" = 0 ]; then r_err="0/0"; else r_err="inf"; fi
else
	r_err=$(ratio "${err[zdm]}" "${err[pgroll]}")
fi
if [ "${err[zdm]}" = "$T_ERRORS" ]; then v_err="meets target"; else v_err="MISSES target"; fi
total_s=$((($(now_ms) - started) / 1000))
echo "pgroll: zdm-hook $("$hook" --version | awk '{print $NF}') vs pgroll $pgroll_ver on PostgreSQL $pg_version," \
	"$ROWS rows, $CLIENTS clients per app version at $RATE req/s, $(nproc) CPUs (${total_s}s)"
echo "figures: the median of $RUNS run$([ "$RUNS" = 1 ] || echo s) of each tool (client errors: their sum)"
echo "change: rename full_name -> display_name, nickname SET NOT NULL ('none' for missing ones)"
fmt='%-40s %12s %12s %10s %8s  %s\n'
# shellcheck disable=SC2059
{
	printf "$fmt" figure zdm pgroll zdm/pgroll target verdict
	printf "$fmt" "client errors (of ${req[zdm]} / ${req[pgroll]} requests)" "${err[zdm]}" "${err[pgroll]}" "$r_err" "zdm 0" "$v_err"
	printf "$fmt" "app p99 during the migration" "$(ms "${p99[zdm]}")" "$(ms "${p99[pgroll]}")" "$r_p99" "<= $T_RATIO" "$(le "$r_p99" $T_RATIO)"
	printf "$fmt" "expand-to-ready (backfill included)" "${exp[zdm]} ms" "${exp[pgroll]} ms" "$r_exp" "<= $T_EXPAND" "$(le "$r_exp" $T_EXPAND)"
	printf "$fmt" "write overhead, both shapes live" "${wcost[zdm]}x" "${wcost[pgroll]}x" "$r_wc" "<= $T_RATIO" "$(le "$r_wc" $T_RATIO)"
	printf "$fmt" "  write p50 under the load (phase 3/1)" "${wover[zdm]}x" "${wover[pgroll]}x" "$r_wo" "" "(context)"
	printf "$fmt" "contract" "${con[zdm]} ms" "${con[pgroll]} ms" "$r_con" "<= $T_RATIO" "$(le "$r_con" $T_RATIO)"
	printf "$fmt" "same final table, no trigger left" "${shape[zdm]}" "${shape[pgroll]}" "" "" ""
}
us() { awk -v us="$1" 'BEGIN {if (us == "") print "-"; else printf "%.1f us", us}'; }
echo "write overhead: server time of a write while both shapes are live (app 1.x's, app 2.x's) over app 1.x's" \
	"before the expand (measured before and after them), no load, median of $COST_REPS rounds' quotients," \
	"$((WRITES + WRITES / 2)) writes a measurement;" \
	"the times' medians:" \
	"zdm ($(us "${wc_v1[zdm]}"), $(us "${wc_v2[zdm]}")) / $(us "${wc_before[zdm]}")," \
	"pgroll ($(us "${wc_v1[pgroll]}"), $(us "${wc_v2[pgroll]}")) / $(us "${wc_before[pgroll]}")"
echo "write p50 under the load: updates and inserts in phase 3 over phase 1:" \
	"zdm $(ms "${w3[zdm]}") / $(ms "${w1[zdm]}"), pgroll $(ms "${w3[pgroll]}") / $(ms "${w1[pgroll]}")"
echo "zdm/pgroll per run (p99, expand, write p50 under the load, contract):"
for ((r = 1; r <= RUNS; r++)); do
	z=run-$r/zdm g=run-$r/pgroll
	echo "  run $r: $(ratio "${p99[$z]}" "${p99[$g]}"), $(ratio "${exp[$z]}" "${exp[$g]}")," \
		"$(ratio "${wover[$z]}" "${wover[$g]}"), $(ratio "${con[$z]}" "${con[$g]}")"
done
for t in zdm pgroll; do
	for ((r = 1; r <= RUNS; r++)); do
		k=run-$r/$t
		[ "${final_ok[$k]}" = 1 ] || echo "final table ($t, run $r): ${cols[$k]}; rows with a NULL: $(cat "$res/$k/final-nulls.txt"); triggers: $(cat "$res/$k/final-triggers.txt")"
	done
	if [ "${err[$t]}" != 0 ]; then
		echo "$t errors by kind, all runs:"
		for ((r = 1; r <= RUNS; r++)); do cat "$res/run-$r/$t/requests.v1.csv" "$res/run-$r/$t/requests.v2.csv"; done |
			awk -F, '$5 == "0" {m = $8; gsub(/^"|"$/, "", m); gsub(/""/, "\"", m); n[$2 " " $6 " " $3 ": " m]++}
			END {for (k in n) printf "  %7d x %s\n", n[k], k}' | sort -rn | head -n 5
	fi
done
echo "per phase (requests, errors, p99), both app versions:"
for ((r = 1; r <= RUNS; r++)); do
	for t in zdm pgroll; do
		k=run-$r/$t
		while IFS=$'\t' read -r name s e; do
			awk -F, -v s="$s" -v e="$e" 'FNR > 1 && $1 >= s && $1 < e {print $4, $5}' "$res/$k/requests.v1.csv" "$res/$k/requests.v2.csv" |
				sort -n | awk -v t="$r $t" -v name="$name" -v ms="$((e - s))" '{a[NR] = $1; if ($2 == "0") err++}
					END {k = int(0.99 * NR + 0.999999); if (k < 1) k = 1
					printf "  %-9s %-22s %7d ms %8d req %6d err  p99 %s\n", t, name, ms, NR, err, (NR ? sprintf("%.2f ms", a[k] / 1000) : "-")}'
		done <"$res/$k/phases.tsv"
	done
done

mkdir -p "$out"
{
	echo "figure,unit,zdm,pgroll,ratio,target,verdict"
	echo "client_errors,count,${err[zdm]},${err[pgroll]},$r_err,$T_ERRORS,$v_err"
	echo "requests,count,${req[zdm]},${req[pgroll]},,,"
	echo "p99_during_migration,us,${p99[zdm]},${p99[pgroll]},$r_p99,$T_RATIO,$(le "$r_p99" $T_RATIO)"
	echo "expand_to_ready,ms,${exp[zdm]},${exp[pgroll]},$r_exp,$T_EXPAND,$(le "$r_exp" $T_EXPAND)"
	echo "write_overhead_both_live,ratio,${wcost[zdm]},${wcost[pgroll]},$r_wc,$T_RATIO,$(le "$r_wc" $T_RATIO)"
	echo "write_p50_under_load,ratio,${wover[zdm]},${wover[pgroll]},$r_wo,,"
	echo "contract,ms,${con[zdm]},${con[pgroll]},$r_con,$T_RATIO,$(le "$r_con" $T_RATIO)"
	echo "final_table_same,bool,$([ "${shape[zdm]}" = yes ] && echo 1 || echo 0),$([ "${shape[pgroll]}" = yes ] && echo 1 || echo 0),,,"
} >"$csv"
echo "figures written to ${csv#"$root"/}, raw results under ${res#"$root"/}/"
