#!/usr/bin/env bash
# bench-migrate.sh — zdm-hook migrate against dbmate, measured in one run on
# one throwaway PostgreSQL (scripts/pg-sandbox.sh), each figure on a fresh
# database:
#
#   1. wall time of a no-op run (everything applied), median of NOOP_RUNS
#   2. wall time to apply N small migrations, median of APPLY_RUNS
#   3. peak RSS of that apply run (GNU time %M), the highest of the runs
#   4. RACERS concurrent runners on one fresh database with the N
#      migrations: how many exit 0, how many fail, and whether every
#      migration ended up applied exactly once (history rows + objects)
#
# Prints a table with zdm/dbmate ratios against the targets (no-op <= 0.5,
# apply <= 0.7, peak RSS <= 0.25) and writes the figures to
# $ZDM_BUILD/bench/migrate.csv. Figures are printed, never asserted: the
# exit status is 0 whenever the benchmark ran, whatever the ratios; it is
# non-zero only when it could not run (no dbmate, no PostgreSQL, a tool that
# failed to apply the migrations on its own).
#
# dbmate is the npm package @dbmate/linux-x64 (its Linux binary), unpacked
# under $ZDM_BUILD/bench/dbmate/ once and reused; nothing else is fetched.
#
# Environment (defaults in brackets):
#   ZDM_BUILD [build]                  where zdm-hook is and results go
#   ZDM_DBMATE_NPM [@dbmate/linux-x64@2.36.0]  the npm package spec
#   BENCH_MIGRATIONS [200]  BENCH_NOOP_RUNS [20]  BENCH_APPLY_RUNS [7]
#   BENCH_RACERS [8]
#   BENCH_PGDIR [/dev/shm if writable, else $TMPDIR]  where the cluster's data goes
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${ZDM_BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
out=$build/bench
zdm=$build/zdm-hook
dbmate_spec=${ZDM_DBMATE_NPM:-@dbmate/linux-x64@2.36.0}
dbmate_dir=$out/dbmate
dbmate=$dbmate_dir/bin/dbmate
csv=$out/migrate.csv

N=${BENCH_MIGRATIONS:-200}
NOOP_RUNS=${BENCH_NOOP_RUNS:-20}
APPLY_RUNS=${BENCH_APPLY_RUNS:-7}
RACERS=${BENCH_RACERS:-8}
TOOL_TIMEOUT=120 # seconds; a run that takes longer is killed (and fails)

# targets: zdm/dbmate must be at most this
T_NOOP=0.5 T_APPLY=0.7 T_RSS=0.25

die() {
	echo "bench-migrate: error: $*" >&2
	exit 2
}
note() { echo "bench-migrate: $*" >&2; }

for v in BENCH_MIGRATIONS:$N BENCH_NOOP_RUNS:$NOOP_RUNS BENCH_APPLY_RUNS:$APPLY_RUNS BENCH_RACERS:$RACERS; do
	[[ ${v#*:} =~ ^[1-9][0-9]*$ ]] || die "${v%%:*} must be a positive integer (got \"${v#*:}\")"
done
[ -x "$zdm" ] || die "$zdm not found; run make first"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing: apt-get install time"
for t in psql npm tar timeout awk sort mkfifo; do
	command -v "$t" >/dev/null || die "$t is missing (run scripts/deps.sh)"
done
# Nothing from the caller's environment may steer either tool.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(ZDM_|DBMATE_|DATABASE_URL$)' || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-bench.XXXXXX")
sandbox=
race_pids=()
cleanup() {
	local p
	for p in "${race_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${race_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "$sandbox" ]; then
		"$root/scripts/pg-sandbox.sh" stop "$sandbox" || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dbmate, from npm, under the build directory --------------------------
# shellcheck source=bench/npm-bin.sh
. "$root/bench/npm-bin.sh"
dbmate_want=${dbmate_spec##*@}
npm_bin "$dbmate_spec" "$dbmate_dir" bin/dbmate "$tmp"

# --- migrations, PostgreSQL ----------------------------------------------
bench/gen-migrations.sh "$N" "$tmp/zdm" "$tmp/dbmate"
# its own directory: the cluster runs as "postgres" when we are root, and
# cannot enter the private $tmp. In memory (/dev/shm) when there is one:
# fsync is off anyway, and on a shared VM the disk's latency for creating
# files (a CREATE TABLE with a serial key makes five) otherwise moves both
# tools' apply times by a factor of two from one minute to the next, the
# same for both, drowning what the tools themselves do. BENCH_PGDIR=/tmp
# measures on disk.
pgparent=${BENCH_PGDIR:-}
if [ -z "$pgparent" ]; then
	pgparent=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && pgparent=/dev/shm
fi
[ -d "$pgparent" ] || die "BENCH_PGDIR=$pgparent is not a directory"
sandbox=$(mktemp -d "$pgparent/zdm-bench-pg.XXXXXX")
pgfs=$(stat -f -c %T "$sandbox" 2>/dev/null || echo "?")
[ "$pgfs" = tmpfs ] && pgwhere="data in memory" || pgwhere="data on disk ($pgfs)"
pgenv=$(scripts/pg-sandbox.sh start "$sandbox") || die "could not start a throwaway PostgreSQL"
eval "$pgenv"
unset ZDM_SANDBOX
url_of() { echo "postgres://postgres@127.0.0.1:$PGPORT/$1?sslmode=disable"; }
sql() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
newdb() { sql -d postgres -c "CREATE DATABASE $1" >/dev/null; }
pg_version=$(sql -d postgres -c 'SHOW server_version' | awk '{print $1}')
# Both tools run from an empty directory: dbmate reads ./.env when present.
mkdir -p "$tmp/cwd"
cd "$tmp/cwd"

# The command line of one run of TOOL on database DB, into the array `cmd`,
# and its URL into `url`, which callers put into DATABASE_URL (dbmate reads
# it there; zdm gets it as --database-url). Measured runs start the tool
# directly, since a wrapper's fork+exec would be part of the no-op figure;
# the others go through `timeout`.
tool_cmd() {
	url=$(url_of "$2")
	case $1 in
	zdm) cmd=("$zdm" migrate --dir "$tmp/zdm" --database-url "$url") ;;
	dbmate) cmd=("$dbmate" --migrations-dir "$tmp/dbmate" --no-dump-schema migrate) ;;
	esac
}
# now_us: wall clock in microseconds
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
# history_count TOOL DB: successful history rows
history_count() {
	case $1 in
	zdm) sql -d "$2" -c "SELECT count(*) FROM zdm_schema_history WHERE success AND type = 'SQL'" ;;
	dbmate) sql -d "$2" -c "SELECT count(*) FROM schema_migrations" ;;
	esac
}
# apply_once TOOL DB: apply everything, outside any measurement; must work
apply_once() {
	local cmd url
	tool_cmd "$1" "$2"
	DATABASE_URL=$url timeout "$TOOL_TIMEOUT" "${cmd[@]}" >"$tmp/setup.$1.log" 2>&1 || {
		tail -n 20 "$tmp/setup.$1.log" >&2
		die "$1 failed to apply the $N migrations on database $2"
	}
	local n
	n=$(history_count "$1" "$2")
	[ "$n" = "$N" ] || die "$1 recorded $n of $N migrations on database $2"
}
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# which libpq the measured zdm-hook links (the Makefile's LIBPQ)
if ldd "$zdm" 2>/dev/null | grep -q 'libpq\.so'; then zdm_libpq="system libpq"; else zdm_libpq="static libpq"; fi
started=$(now_us)
note "zdm-hook $("$zdm" --version | awk '{print $NF}') ($zdm_libpq) vs dbmate $dbmate_want, PostgreSQL $pg_version ($pgwhere), $N migrations"

# --- 1. no-op run ---------------------------------------------------------
note "no-op: $NOOP_RUNS runs of each tool"
for tool in zdm dbmate; do
	newdb "noop_$tool"
	apply_once "$tool" "noop_$tool"
done
: >"$tmp/noop.zdm" && : >"$tmp/noop.dbmate"
for ((r = 0; r <= NOOP_RUNS; r++)); do # run 0 warms the page cache
	for tool in zdm dbmate; do
		tool_cmd "$tool" "noop_$tool"
		t0=$(now_us)
		DATABASE_URL=$url "${cmd[@]}" >/dev/null 2>&1 || die "$tool failed a no-op run (rc $?)"
		t1=$(now_us)
		((r == 0)) || echo "$((t1 - t0))" >>"$tmp/noop.$tool"
	done
done

# --- 2./3. apply N migrations, peak RSS -------------------------------------
note "apply: $APPLY_RUNS runs of each tool, each on a fresh database"
for tool in zdm dbmate; do : >"$tmp/apply.$tool" && : >"$tmp/rss.$tool"; done
for ((r = 1; r <= APPLY_RUNS; r++)); do
	order="zdm dbmate"
	((r % 2)) || order="dbmate zdm" # alternate who goes first
	for tool in $order; do
		db="apply_${tool}_$r"
		newdb "$db"
		tool_cmd "$tool" "$db"
		t0=$(now_us)
		DATABASE_URL=$url /usr/bin/time -f %M -o "$tmp/rss" "${cmd[@]}" >"$tmp/apply.log" 2>&1 || {
			tail -n 20 "$tmp/apply.log" >&2
			die "$tool failed to apply the $N migrations (run $r)"
		}
		t1=$(now_us)
		echo "$((t1 - t0))" >>"$tmp/apply.$tool"
		tail -n 1 "$tmp/rss" >>"$tmp/rss.$tool"
		n=$(history_count "$tool" "$db")
		[ "$n" = "$N" ] || die "$tool recorded $n of $N migrations (run $r)"
		sql -d postgres -c "DROP DATABASE $db" >/dev/null
	done
done

# --- 4. the race ------------------------------------------------------------
# check_objects DB: "ok", or what is wrong with the objects the N migrations
# create (see gen-migrations.sh: migration n works on table t<ceil(n/4)>)
check_objects() {
	local want_tab=$(((N + 3) / 4)) want_col=$(((N + 2) / 4)) want_ins=$(((N + 1) / 4)) want_idx=$((N / 4))
	local tab col idx ins10 bad
	tab=$(sql -d "$1" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+\$'")
	col=$(sql -d "$1" -c "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name ~ '^t[0-9]+\$' AND column_name = 'created_at'")
	idx=$(sql -d "$1" -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname ~ '^t[0-9]+_name_idx\$'")
	# the tables an insert migration filled must hold exactly 10 rows each
	# (20 would be a double application), counted in one query
	ins10=$(sql -d "$1" -c "SELECT count(*) FROM generate_series(1, $want_ins) AS k
		WHERE CASE WHEN to_regclass('public.t' || k) IS NULL THEN false
		ELSE (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', 't' || k),
			false, true, '')))[1]::text::int = 10 END") || ins10=0
	bad=$((want_ins - ins10))
	local why=()
	[ "$tab" = "$want_tab" ] || why+=("$tab/$want_tab tables")
	[ "$col" = "$want_col" ] || why+=("$col/$want_col columns")
	[ "$idx" = "$want_idx" ] || why+=("$idx/$want_idx indexes")
	((bad == 0)) || why+=("$bad tables without exactly 10 rows")
	if ((${#why[@]})); then (IFS=,; echo "${why[*]}"); else echo ok; fi
}

# race TOOL: RACERS runners of TOOL at once on a fresh database; sets
# race_ok race_fail race_hist race_distinct race_objects race_ms, and the
# failed runners' errors into $tmp/race.TOOL.errors
race() {
	local tool=$1 db="race_$1" fifo="$tmp/go.$1" i rc gofd cmd url t0 t1
	newdb "$db"
	tool_cmd "$tool" "$db"
	# A barrier: every runner blocks reading one line from a FIFO, then all
	# are released at once.
	mkfifo "$fifo"
	exec {gofd}<>"$fifo"
	race_pids=()
	for ((i = 1; i <= RACERS; i++)); do
		(
			exec {gofd}>&-
			read -r _ <"$fifo"
			export DATABASE_URL=$url
			exec timeout "$TOOL_TIMEOUT" "${cmd[@]}"
		) >"$tmp/race.$tool.$i.log" 2>&1 &
		race_pids+=($!)
	done
	sleep 0.3
	t0=$(now_us)
	printf '%*s' "$RACERS" '' | tr ' ' '\n' >&"$gofd"
	race_ok=0 race_fail=0
	for i in "${!race_pids[@]}"; do
		rc=0
		wait "${race_pids[$i]}" || rc=$?
		echo "$rc" >"$tmp/race.$tool.$((i + 1)).rc"
		if ((rc == 0)); then race_ok=$((race_ok + 1)); else race_fail=$((race_fail + 1)); fi
	done
	t1=$(now_us)
	race_pids=()
	exec {gofd}>&-
	rm -f "$fifo"
	race_ms=$(((t1 - t0) / 1000))
	case $tool in
	zdm) race_hist=$(sql -d "$db" -c "SELECT count(*) FROM zdm_schema_history WHERE success AND type = 'SQL'" 2>/dev/null || echo 0)
	     race_distinct=$(sql -d "$db" -c "SELECT count(DISTINCT version) FROM zdm_schema_history WHERE success AND type = 'SQL'" 2>/dev/null || echo 0) ;;
	dbmate) race_hist=$(sql -d "$db" -c "SELECT count(*) FROM schema_migrations" 2>/dev/null || echo 0)
	        race_distinct=$(sql -d "$db" -c "SELECT count(DISTINCT version) FROM schema_migrations" 2>/dev/null || echo 0) ;;
	esac
	race_objects=$(check_objects "$db")
	# the distinct errors of the failed runners, most frequent first
	for ((i = 1; i <= RACERS; i++)); do
		[ "$(cat "$tmp/race.$tool.$i.rc")" = 0 ] && continue
		grep -iE 'error|fatal|panic' "$tmp/race.$tool.$i.log" | tail -n 1 |
			sed -E 's/^[0-9T:.-]+Z //; s/\bt[0-9]+(_name_idx)?\b/t<k>\1/g; s/[0-9]{4}_[a-z_]+t<k>\.sql/<file>/g; s/V[0-9]+__[a-z_]+\.sql/<file>/g' ||
			echo "exit $(cat "$tmp/race.$tool.$i.rc"), no error line"
	done | sort | uniq -c | sort -rn | head -n 5 >"$tmp/race.$tool.errors"
}
note "race: $RACERS concurrent runners of each tool"
race zdm
z_ok=$race_ok z_fail=$race_fail z_hist=$race_hist z_dist=$race_distinct z_obj=$race_objects z_rms=$race_ms
race dbmate
d_ok=$race_ok d_fail=$race_fail d_hist=$race_hist d_dist=$race_distinct d_obj=$race_objects d_rms=$race_ms

# --- report -------------------------------------------------------------
z_noop=$(median <"$tmp/noop.zdm") d_noop=$(median <"$tmp/noop.dbmate")
z_apply=$(median <"$tmp/apply.zdm") d_apply=$(median <"$tmp/apply.dbmate")
z_rss=$(sort -n "$tmp/rss.zdm" | tail -n 1) d_rss=$(sort -n "$tmp/rss.dbmate" | tail -n 1)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t ? "meets target" : "MISSES target")}'; }
ms() { awk -v us="$1" -v d="$2" 'BEGIN {printf "%.*f ms", d, us / 1000}'; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MB", kb / 1024}'; }
once() { # HISTORY_ROWS DISTINCT_VERSIONS OBJECTS_CHECK: yes, or NO (why)
	local hist=$1 dist=$2 obj=$3 why=()
	[ "$hist" = "$N" ] || why+=("$hist history rows")
	[ "$dist" = "$N" ] || why+=("$dist distinct versions")
	[ "$obj" = ok ] || why+=("$obj")
	if ((${#why[@]})); then (IFS=';'; echo "NO (${why[*]})"); else echo yes; fi
}
r_noop=$(ratio "$z_noop" "$d_noop") r_apply=$(ratio "$z_apply" "$d_apply") r_rss=$(ratio "$z_rss" "$d_rss")
v_noop=$(verdict "$r_noop" $T_NOOP) v_apply=$(verdict "$r_apply" $T_APPLY) v_rss=$(verdict "$r_rss" $T_RSS)
z_once=$(once "$z_hist" "$z_dist" "$z_obj") d_once=$(once "$d_hist" "$d_dist" "$d_obj")
total_s=$(awk -v us="$(($(now_us) - started))" 'BEGIN {printf "%.0f", us / 1e6}')

echo "migrate: zdm-hook $("$zdm" --version | awk '{print $NF}') ($zdm_libpq) vs dbmate $dbmate_want" \
	"on PostgreSQL $pg_version ($pgwhere), $N migrations, $(nproc) CPUs (${total_s}s)"
fmt='%-30s %10s %10s %10s %8s  %s\n' fmt2='%-30s %10s %10s\n'
# shellcheck disable=SC2059
{
	printf "$fmt" figure zdm dbmate zdm/dbmate target verdict
	printf "$fmt" "no-op run (median of $NOOP_RUNS)" "$(ms "$z_noop" 1)" "$(ms "$d_noop" 1)" "$r_noop" "<= $T_NOOP" "$v_noop"
	printf "$fmt" "apply $N (median of $APPLY_RUNS)" "$(ms "$z_apply" 0)" "$(ms "$d_apply" 0)" "$r_apply" "<= $T_APPLY" "$v_apply"
	printf "$fmt" "peak RSS, apply $N" "$(mb "$z_rss")" "$(mb "$d_rss")" "$r_rss" "<= $T_RSS" "$v_rss"
	printf "$fmt2" "race: $RACERS runners, exit 0" "$z_ok/$RACERS" "$d_ok/$RACERS"
	printf "$fmt2" "race: failed runners" "$z_fail" "$d_fail"
	printf "$fmt2" "race: history rows (want $N)" "$z_hist" "$d_hist"
	printf "$fmt2" "race: wall time" "$z_rms ms" "$d_rms ms"
}
printf '%-30s %s\n' "race: applied exactly once" "zdm: $z_once; dbmate: $d_once"
for tool in zdm dbmate; do
	if [ -s "$tmp/race.$tool.errors" ]; then
		echo "race: $tool errors (count, last error line of each failed runner):"
		sed 's/^/  /' "$tmp/race.$tool.errors"
	fi
done

mkdir -p "$out"
{
	echo "figure,unit,zdm,dbmate,ratio,target,verdict"
	echo "noop_median,us,$z_noop,$d_noop,$r_noop,$T_NOOP,$v_noop"
	echo "apply_${N}_median,us,$z_apply,$d_apply,$r_apply,$T_APPLY,$v_apply"
	echo "apply_${N}_peak_rss,KiB,$z_rss,$d_rss,$r_rss,$T_RSS,$v_rss"
	echo "race_${RACERS}_exit0,runners,$z_ok,$d_ok,,,"
	echo "race_${RACERS}_failed,runners,$z_fail,$d_fail,,,"
	echo "race_${RACERS}_history_rows,rows,$z_hist,$d_hist,,,"
	echo "race_${RACERS}_distinct_versions,rows,$z_dist,$d_dist,,,"
	echo "race_${RACERS}_applied_once,bool,$([ "$z_once" = yes ] && echo 1 || echo 0),$([ "$d_once" = yes ] && echo 1 || echo 0),,,"
	echo "race_${RACERS}_wall,ms,$z_rms,$d_rms,,,"
} >"$csv"
echo "figures written to ${csv#"$root"/}"
