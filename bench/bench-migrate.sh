#!/usr/bin/env bash
# bench-migrate.sh — zdm-hook migrate against its peers, measured in one run
# on one throwaway PostgreSQL (scripts/pg-sandbox.sh), each figure on a
# fresh database:
#
#   1. wall time of a no-op run (everything applied), median of NOOP_RUNS
#   2. wall time to apply N small migrations, median of APPLY_RUNS
#   3. peak RSS of that apply run (GNU time %M), the highest of the runs
#   4. RACERS concurrent runners on one fresh database with the N
#      migrations: how many exit 0, how many fail, and whether every
#      migration ended up applied exactly once (history rows + objects)
#
# The peers: dbmate, and the Go ones — golang-migrate, goose and Atlas's
# community CLI. Prints a table with zdm/peer ratios against the targets
# (no-op <= 0.5, apply <= 0.7, peak RSS <= 0.25) and writes the figures to
# $ZDM_BUILD/bench/migrate.csv. Figures are printed, never asserted: the
# exit status is 0 whenever the benchmark ran, whatever the ratios; it is
# non-zero only when it could not run (no dbmate, no PostgreSQL, a tool that
# failed to apply the migrations on its own).
#
# dbmate is the npm package @dbmate/linux-x64 (its Linux binary), unpacked
# under $ZDM_BUILD/bench/dbmate/ once and reused. The Go peers are built by
# tests/tools/build.sh from the Go module proxy at the versions that
# bench/peers/TOOL/go.mod pins, into ~/.cache/zdm/tools/ (once, minutes);
# without Go they are left out with a note, and dbmate still runs.
#
# Environment (defaults in brackets):
#   ZDM_BUILD [build]                  where zdm-hook is and results go
#   ZDM_DBMATE_NPM [@dbmate/linux-x64@2.36.0]  the npm package spec
#   BENCH_MIGRATE_PEERS [dbmate migrate goose atlas]  the peers, any of these
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
read -r -a peers <<<"${BENCH_MIGRATE_PEERS:-dbmate migrate goose atlas}"
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

((${#peers[@]})) || die "BENCH_MIGRATE_PEERS names no peer"
for p in "${peers[@]}"; do
	case $p in dbmate | migrate | goose | atlas) ;; *) die "unknown peer \"$p\" in BENCH_MIGRATE_PEERS (dbmate migrate goose atlas)" ;; esac
done
for v in BENCH_MIGRATIONS:$N BENCH_NOOP_RUNS:$NOOP_RUNS BENCH_APPLY_RUNS:$APPLY_RUNS BENCH_RACERS:$RACERS; do
	[[ ${v#*:} =~ ^[1-9][0-9]*$ ]] || die "${v%%:*} must be a positive integer (got \"${v#*:}\")"
done
[ -x "$zdm" ] || die "$zdm not found; run make first"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing: apt-get install time"
for t in psql tar timeout awk sort mkfifo; do
	command -v "$t" >/dev/null || die "$t is missing (run scripts/deps.sh)"
done
has_peer() { [[ " ${peers[*]} " == *" $1 "* ]]; }
! has_peer dbmate || command -v npm >/dev/null || die "npm is missing (run scripts/deps.sh)"
# Nothing from the caller's environment may steer a tool.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(ZDM_|DBMATE_|GOOSE_|ATLAS_|DATABASE_URL$)' || true)
export ATLAS_NO_UPDATE_NOTIFIER=1 # else atlas asks the network for news, waiting up to 500 ms

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

# --- the peers --------------------------------------------------------------
# dbmate from npm, under the build directory; the Go peers built pinned
declare -A bin ver label=([zdm]=zdm [dbmate]=dbmate [migrate]=golang-migrate [goose]=goose [atlas]=atlas)
if has_peer dbmate; then
	# shellcheck source=bench/npm-bin.sh
	. "$root/bench/npm-bin.sh"
	npm_bin "$dbmate_spec" "$dbmate_dir" bin/dbmate "$tmp"
	bin[dbmate]=$dbmate ver[dbmate]=${dbmate_spec##*@}
fi
kept=()
for p in "${peers[@]}"; do
	case $p in
	dbmate) kept+=("$p") ;;
	*)
		rc=0
		b=$("$root/tests/tools/build.sh" "$p" 2>"$tmp/build.$p.log") || rc=$?
		if ((rc == 2)); then
			note "$(tail -n 1 "$tmp/build.$p.log"); ${label[$p]} left out"
			continue
		elif ((rc != 0)); then
			tail -n 20 "$tmp/build.$p.log" >&2
			die "could not build ${label[$p]} (tests/tools/build.sh $p)"
		fi
		bin[$p]=$b
		ver[$p]=$(awk '$1 == "require" && $3 ~ /^v/ {print $3; exit}' "$root/bench/peers/$p/go.mod")
		kept+=("$p")
		;;
	esac
done
peers=("${kept[@]}")
((${#peers[@]})) || die "no peer left to measure against"
tools=(zdm "${peers[@]}")

# --- migrations, PostgreSQL ----------------------------------------------
bench/gen-migrations.sh "$N" "$tmp/zdm" "$tmp/dbmate" migrate="$tmp/migrate" goose="$tmp/goose" atlas="$tmp/atlas"
if has_peer atlas; then
	"${bin[atlas]}" migrate hash --dir "file://$tmp/atlas" >"$tmp/atlas-hash.log" 2>&1 ||
		{ cat "$tmp/atlas-hash.log" >&2; die "atlas migrate hash failed"; }
fi
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
# Every tool runs from an empty directory: dbmate and goose read ./.env.
mkdir -p "$tmp/cwd"
cd "$tmp/cwd"

# The command line of one run of TOOL on database DB, into the array `cmd`,
# and its URL into `url`, which callers put into DATABASE_URL (dbmate reads
# it there; the others get it on the command line). Measured runs start the
# tool directly, since a wrapper's fork+exec would be part of the no-op
# figure; the others go through `timeout`.
tool_cmd() {
	url=$(url_of "$2")
	case $1 in
	zdm) cmd=("$zdm" migrate --dir "$tmp/zdm" --database-url "$url") ;;
	dbmate) cmd=("${bin[dbmate]}" --migrations-dir "$tmp/dbmate" --no-dump-schema migrate) ;;
	migrate) cmd=("${bin[migrate]}" -path "$tmp/migrate" -database "$url" up) ;;
	goose) cmd=("${bin[goose]}" -dir "$tmp/goose" postgres "$url" up) ;;
	atlas) cmd=("${bin[atlas]}" migrate apply --dir "file://$tmp/atlas" --url "$url") ;;
	esac
}
# now_us: wall clock in microseconds
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
# history_count TOOL DB: successful history rows. golang-migrate keeps one
# row, the version reached and a dirty flag: its figure is that version
# while clean (N once all are applied), 0 when dirty.
history_count() {
	case $1 in
	zdm) sql -d "$2" -c "SELECT count(*) FROM zdm_schema_history WHERE success AND type = 'SQL'" ;;
	dbmate) sql -d "$2" -c "SELECT count(*) FROM schema_migrations" ;;
	migrate) sql -d "$2" -c "SELECT coalesce(max(CASE WHEN dirty THEN 0 ELSE version END), 0) FROM schema_migrations" ;;
	goose) sql -d "$2" -c "SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied" ;;
	atlas) sql -d "$2" -c "SELECT count(*) FROM atlas_schema_revisions.atlas_schema_revisions WHERE applied = total AND coalesce(error, '') = ''" ;;
	esac
}
# history_distinct TOOL DB: distinct versions among those rows
history_distinct() {
	case $1 in
	zdm) sql -d "$2" -c "SELECT count(DISTINCT version) FROM zdm_schema_history WHERE success AND type = 'SQL'" ;;
	dbmate) sql -d "$2" -c "SELECT count(DISTINCT version) FROM schema_migrations" ;;
	migrate) history_count "$@" ;;
	goose) sql -d "$2" -c "SELECT count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0 AND is_applied" ;;
	atlas) sql -d "$2" -c "SELECT count(DISTINCT version) FROM atlas_schema_revisions.atlas_schema_revisions WHERE applied = total AND coalesce(error, '') = ''" ;;
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
zdm_ver=$("$zdm" --version | awk '{print $NF}')
vs=""
for p in "${peers[@]}"; do vs+="${vs:+, }${label[$p]} ${ver[$p]}"; done
note "zdm-hook $zdm_ver ($zdm_libpq) vs $vs, PostgreSQL $pg_version ($pgwhere), $N migrations"

# --- 1. no-op run ---------------------------------------------------------
note "no-op: $NOOP_RUNS runs of each tool"
for tool in "${tools[@]}"; do
	newdb "noop_$tool"
	apply_once "$tool" "noop_$tool"
	: >"$tmp/noop.$tool"
done
# order R: the tools, rotated by R, so that no tool always goes first
order() {
	local i n=${#tools[@]}
	for ((i = 0; i < n; i++)); do echo "${tools[$(((i + $1) % n))]}"; done
}
for ((r = 0; r <= NOOP_RUNS; r++)); do # run 0 warms the page cache
	for tool in $(order "$r"); do
		tool_cmd "$tool" "noop_$tool"
		t0=$(now_us)
		DATABASE_URL=$url "${cmd[@]}" >/dev/null 2>&1 || die "$tool failed a no-op run (rc $?)"
		t1=$(now_us)
		((r == 0)) || echo "$((t1 - t0))" >>"$tmp/noop.$tool"
	done
done

# --- 2./3. apply N migrations, peak RSS -------------------------------------
note "apply: $APPLY_RUNS runs of each tool, each on a fresh database"
for tool in "${tools[@]}"; do : >"$tmp/apply.$tool" && : >"$tmp/rss.$tool"; done
for ((r = 1; r <= APPLY_RUNS; r++)); do
	for tool in $(order "$r"); do
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
	race_hist=$(history_count "$tool" "$db" 2>/dev/null) || race_hist=0
	race_distinct=$(history_distinct "$tool" "$db" 2>/dev/null) || race_distinct=0
	race_objects=$(check_objects "$db")
	# the distinct errors of the failed runners, most frequent first
	for ((i = 1; i <= RACERS; i++)); do
		[ "$(cat "$tmp/race.$tool.$i.rc")" = 0 ] && continue
		grep -iE 'error|fatal|panic' "$tmp/race.$tool.$i.log" | tail -n 1 |
			sed -E 's/^[0-9T:.-]+Z //; s/^[0-9]{4}\/[0-9]{2}\/[0-9]{2} [0-9:]{8} //; s/\bt[0-9]+(_name_idx)?\b/t<k>\1/g; s/[0-9]{4,5}_[a-z_]+t<k>(\.up)?\.sql/<file>/g; s/V[0-9]+__[a-z_]+\.sql/<file>/g' ||
			echo "exit $(cat "$tmp/race.$tool.$i.rc"), no error line"
	done | sort | uniq -c | sort -rn | head -n 5 >"$tmp/race.$tool.errors"
}
note "race: $RACERS concurrent runners of each tool"
declare -A r_ok r_fail r_hist r_dist r_obj r_ms
for tool in "${tools[@]}"; do
	race "$tool"
	r_ok[$tool]=$race_ok r_fail[$tool]=$race_fail r_hist[$tool]=$race_hist r_dist[$tool]=$race_distinct
	r_obj[$tool]=$race_objects r_ms[$tool]=$race_ms
done

# --- report -------------------------------------------------------------
declare -A noop apply rss
for tool in "${tools[@]}"; do
	noop[$tool]=$(median <"$tmp/noop.$tool") apply[$tool]=$(median <"$tmp/apply.$tool")
	rss[$tool]=$(sort -n "$tmp/rss.$tool" | tail -n 1)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
meets() { awk -v r="$1" -v t="$2" 'BEGIN {exit !(r <= t)}'; }
ms() { awk -v us="$1" -v d="$2" 'BEGIN {printf "%.*f ms", d, us / 1000}'; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MB", kb / 1024}'; }
once() { # HISTORY_ROWS DISTINCT_VERSIONS OBJECTS_CHECK: yes, or NO (why)
	local hist=$1 dist=$2 obj=$3 why=()
	[ "$hist" = "$N" ] || why+=("$hist history rows")
	[ "$dist" = "$N" ] || why+=("$dist distinct versions")
	[ "$obj" = ok ] || why+=("$obj")
	if ((${#why[@]})); then (IFS=';'; echo "NO (${why[*]})"); else echo yes; fi
}
total_s=$(awk -v us="$(($(now_us) - started))" 'BEGIN {printf "%.0f", us / 1e6}')

echo "migrate: zdm-hook $zdm_ver ($zdm_libpq) vs $vs" \
	"on PostgreSQL $pg_version ($pgwhere), $N migrations, $(nproc) CPUs (${total_s}s)"
# row LABEL CELL...: a figure for every tool
row() {
	local l=$1
	shift
	printf '%-30s' "$l"
	printf ' %14s' "$@"
	printf '\n'
}
ms1() { ms "$1" 1; }
ms0() { ms "$1" 0; }
of_racers() { printf '%s/%s' "$1" "$RACERS"; }
hdr=()
for t in "${tools[@]}"; do hdr+=("${label[$t]}"); done
row figure "${hdr[@]}"
mapfile -t c < <(for t in "${tools[@]}"; do ms1 "${noop[$t]}"; echo; done)
row "no-op run (median of $NOOP_RUNS)" "${c[@]}"
mapfile -t c < <(for t in "${tools[@]}"; do ms0 "${apply[$t]}"; echo; done)
row "apply $N (median of $APPLY_RUNS)" "${c[@]}"
mapfile -t c < <(for t in "${tools[@]}"; do mb "${rss[$t]}"; echo; done)
row "peak RSS, apply $N" "${c[@]}"
mapfile -t c < <(for t in "${tools[@]}"; do of_racers "${r_ok[$t]}"; echo; done)
row "race: $RACERS runners, exit 0" "${c[@]}"
mapfile -t c < <(for t in "${tools[@]}"; do echo "${r_fail[$t]}"; done)
row "race: failed runners" "${c[@]}"
mapfile -t c < <(for t in "${tools[@]}"; do echo "${r_hist[$t]}"; done)
row "race: history rows (want $N)" "${c[@]}"
mapfile -t c < <(for t in "${tools[@]}"; do echo "${r_ms[$t]} ms"; done)
row "race: wall time" "${c[@]}"
declare -A r_once
for t in "${tools[@]}"; do
	r_once[$t]=$(once "${r_hist[$t]}" "${r_dist[$t]}" "${r_obj[$t]}")
	printf '%-30s %s\n' "race: applied exactly once" "${label[$t]}: ${r_once[$t]}"
done

# the ratios zdm/peer, each against its target
echo
fmt='%-30s %8s'
# shellcheck disable=SC2059
{
	printf "$fmt" "ratio zdm/peer" target
	for p in "${peers[@]}"; do printf ' %14s' "${label[$p]}"; done
	printf '   %s\n' verdict
}
misses=0
declare -A ratios
for fig in noop apply rss; do
	case $fig in
	noop) l="no-op run" t=$T_NOOP ;;
	apply) l="apply $N" t=$T_APPLY ;;
	rss) l="peak RSS" t=$T_RSS ;;
	esac
	miss=()
	# shellcheck disable=SC2059
	printf "$fmt" "$l" "<= $t"
	for p in "${peers[@]}"; do
		eval "z=\${$fig[zdm]} v=\${$fig[$p]}"
		r=$(ratio "$z" "$v")
		ratios[$fig.$p]=$r
		printf ' %14s' "$r"
		meets "$r" "$t" || miss+=("${label[$p]}")
	done
	if ((${#miss[@]})); then
		misses=$((misses + ${#miss[@]}))
		printf '   MISSES target against %s\n' "$(printf '%s\n' "${miss[@]}" | paste -sd, - | sed 's/,/, /g')"
	else
		printf '   meets target\n'
	fi
done
for t in "${tools[@]}"; do
	if [ -s "$tmp/race.$t.errors" ]; then
		echo "race: ${label[$t]} errors (count, last error line of each failed runner):"
		sed 's/^/  /' "$tmp/race.$t.errors"
	fi
done

mkdir -p "$out"
{
	echo "figure,unit,zdm,peer,peer_value,ratio,target,verdict"
	for p in "${peers[@]}"; do
		for fig in noop apply rss; do
			case $fig in
			noop) f=noop_median u=us t=$T_NOOP ;;
			apply) f=apply_${N}_median u=us t=$T_APPLY ;;
			rss) f=apply_${N}_peak_rss u=KiB t=$T_RSS ;;
			esac
			eval "z=\${$fig[zdm]} v=\${$fig[$p]}"
			r=${ratios[$fig.$p]}
			if meets "$r" "$t"; then verdict="meets target"; else verdict="MISSES target"; fi
			echo "$f,$u,$z,${label[$p]},$v,$r,$t,$verdict"
		done
		echo "race_${RACERS}_exit0,runners,${r_ok[zdm]},${label[$p]},${r_ok[$p]},,,"
		echo "race_${RACERS}_failed,runners,${r_fail[zdm]},${label[$p]},${r_fail[$p]},,,"
		echo "race_${RACERS}_history_rows,rows,${r_hist[zdm]},${label[$p]},${r_hist[$p]},,,"
		echo "race_${RACERS}_distinct_versions,rows,${r_dist[zdm]},${label[$p]},${r_dist[$p]},,,"
		echo "race_${RACERS}_applied_once,bool,$([ "${r_once[zdm]}" = yes ] && echo 1 || echo 0),${label[$p]},$([ "${r_once[$p]}" = yes ] && echo 1 || echo 0),,,"
		echo "race_${RACERS}_wall,ms,${r_ms[zdm]},${label[$p]},${r_ms[$p]},,,"
	done
} >"$csv"
echo "figures written to ${csv#"$root"/}"
