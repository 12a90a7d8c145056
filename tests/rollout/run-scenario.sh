#!/usr/bin/env bash
# run-scenario.sh — the zero-downtime proof: application versions hammering
# one database (build/zdm-loadgen) while migrations run, with the commands
# the chart's hook Jobs run. One scenario per call:
#
#   rollout zdm       chart-example's rename over three releases: v1 load
#                     (baseline); `zdm-hook run --phase pre` of app 2.0.0
#                     (expand: column, sync trigger, backfill; the contract
#                     is deferred by its guard); rolling switch, v2 clients
#                     up while v1 clients go down; `run --phase post` of
#                     2.0.0; `run --phase pre` of 2.0.1 (the contract runs)
#   rollout naive     the same rename as one `ALTER TABLE users RENAME
#                     COLUMN full_name TO display_name` applied with psql
#                     while v1 runs, then the same switch
#   lockqueue zdm     a session holds a lock on users (an open transaction
#                     that read it) while `zdm-hook migrate` adds a column
#                     (lock_timeout, retries)
#   lockqueue plain   the same with `psql -c 'ALTER TABLE ... ADD COLUMN'`
#   backfill          ROWS pre-existing rows backfilled under v1 load, by
#                     zdm (`-- zdm: backfill table=users batch-time=100ms`)
#                     and by one UPDATE (on a copy of the same database)
#
# Every migration file comes from chart-example/migrations as it is now,
# copied per scenario into a scratch directory: release 1.0.0 gets V1,
# releases 2.0.0 and 2.0.1 get every file (so a V2 split into an expand and
# a backfill file is picked up as it is).
#
# Needs a running loopback PostgreSQL reached through the PG* variables as
# a superuser (tests/run.sh's or scripts/pg-sandbox.sh's): the scenario
# creates its own database(s) and drops them at the end (--keep keeps them).
# Results go to --out DIR: requests.csv (one row per request), phases.tsv,
# events.tsv, report.txt (per phase: requests, errors, p50/p99/max), the
# command logs, summary.txt ("key value" lines); report.csv gets one row per
# phase and version, appended. Exit 0 when the scenario ran (whatever the
# errors it measured), 1 when a step failed that should not (zdm-hook
# failing, the load generator failing), 2 on a usage error.
#
# Options (defaults in brackets):
#   --out DIR              results (required)
#   --label NAME           the scenario's name in the reports [SCENARIO-MODE]
#   --db NAME              database to create [zdm_rollout_PID]
#   --rows N               pre-existing users [10000]
#   --clients N            clients per app version [4]
#   --rate R               requests/s per client [50]
#   --baseline D           v1-only load before the first step [5s]
#   --settle D             load after each step [3s]
#   --ramp D               rolling switch v1 -> v2 [20s]
#   --linger N             rollout zdm: v1 clients that stay after the switch
#                          (an old worker or CronJob) [0]; their sessions
#                          defer the contract of pre 2.0.1 (the connected-
#                          sessions rule), and once they go, a second run of
#                          pre 2.0.1 contracts (phase 6)
#   --hold D               lockqueue: the holder's transaction [5s]
#   --lock-timeout D       zdm's lock_timeout [1s]
#   --keep                 keep the database(s)
# Durations: 500ms, 5s, 2m. Environment: ZDM_BUILD [build].
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${ZDM_BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
hook=$build/zdm-hook
loadgen=$build/zdm-loadgen
migs=$root/chart-example/migrations
# the backfill scenario's expand: the rename as written by hand (its V2 adds
# the column and trigger without the recipe's NOT NULL check, so the seeded
# rows can wait for their display_name)
hand=$root/tests/data/rename-by-hand/migrations
assertions=$root/chart-example/zdm/assertions.yaml

die() { echo "run-scenario: error: $*" >&2; exit 2; }
note() { echo "run-scenario: $*" >&2; }

# to_ms DURATION: milliseconds
to_ms() {
	case $1 in
	*ms) [[ ${1%ms} =~ ^[0-9]+$ ]] && echo $((10#${1%ms})) && return ;;
	*s) [[ ${1%s} =~ ^[0-9]+$ ]] && echo $((10#${1%s} * 1000)) && return ;;
	*m) [[ ${1%m} =~ ^[0-9]+$ ]] && echo $((10#${1%m} * 60000)) && return ;;
	esac
	die "bad duration \"$1\" (want 500ms, 5s, 2m)"
}
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

(($# >= 1)) || die "usage: run-scenario.sh rollout zdm|naive | lockqueue zdm|plain | backfill [--out DIR] [options]"
scenario=$1
shift
mode=
case $scenario in
rollout) mode=${1:-}; [[ $mode == zdm || $mode == naive ]] || die "rollout zdm|naive"; shift ;;
lockqueue) mode=${1:-}; [[ $mode == zdm || $mode == plain ]] || die "lockqueue zdm|plain"; shift ;;
backfill) mode=both ;;
*) die "unknown scenario \"$scenario\" (rollout, lockqueue, backfill)" ;;
esac

out='' label='' db=zdm_rollout_$$ rows=10000 clients=4 rate=50 keep=0 linger=0
baseline_ms=5000 settle_ms=3000 ramp_ms=20000 hold_ms=5000 lock_timeout=1s
while (($#)); do
	(($# >= 2)) || [[ $1 == --keep ]] || die "$1 needs a value"
	case $1 in
	--out) out=$2 ;;
	--label) label=$2 ;;
	--db) db=$2 ;;
	--rows) rows=$2 ;;
	--clients) clients=$2 ;;
	--rate) rate=$2 ;;
	--baseline) baseline_ms=$(to_ms "$2") ;;
	--settle) settle_ms=$(to_ms "$2") ;;
	--ramp) ramp_ms=$(to_ms "$2") ;;
	--linger) linger=$2 ;;
	--hold) hold_ms=$(to_ms "$2") ;;
	--lock-timeout) to_ms "$2" >/dev/null; lock_timeout=$2 ;;
	--keep) keep=1; shift; continue ;;
	*) die "unknown option \"$1\"" ;;
	esac
	shift 2
done
[ -n "$out" ] || die "--out DIR is required"
[[ $rows =~ ^[1-9][0-9]{0,8}$ ]] || die "--rows wants a positive integer"
if ! [[ $clients =~ ^[1-9][0-9]?$ ]] || ((clients > 64)); then die "--clients wants 1..64"; fi
[[ $rate =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--rate wants a number"
if ! [[ $linger =~ ^[0-9]+$ ]] || ((linger >= clients)); then die "--linger wants 0..clients-1"; fi
[[ $db =~ ^[a-z_][a-z0-9_]{0,40}$ ]] || die "--db wants a plain lower-case name"
label=${label:-$scenario-$mode}
[ -x "$hook" ] || die "$hook not found; run make first"
[ -x "$loadgen" ] || die "$loadgen not found; run make first"
command -v psql >/dev/null || die "psql is missing (scripts/deps.sh)"
: "${PGPORT:?PG* must point at a running PostgreSQL (scripts/pg-sandbox.sh start)}"
case ${PGHOST:-} in "" | 127.* | localhost | ::1 | /*) ;; *) die "PGHOST=$PGHOST is not loopback" ;; esac

# Nothing from the caller's environment may steer zdm-hook.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(ZDM_|DATABASE_URL$)' || true)
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/requests.csv "$out"/phases.tsv "$out"/events.tsv "$out"/summary.txt "$out"/*.log
: >"$out/phases.tsv"
: >"$out/events.tsv"
: >"$out/summary.txt"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/zdm-rollout.XXXXXX")
export ZDM_TERMINATION_LOG=$scratch/termination-log

dbs=() lg_pid='' holder_pid='' failed=0
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$lg_pid" ]; then kill "$lg_pid" 2>/dev/null || true; wait "$lg_pid" 2>/dev/null || true; fi
	if [ -n "$holder_pid" ]; then kill "$holder_pid" 2>/dev/null || true; wait "$holder_pid" 2>/dev/null || true; fi
	if ((keep == 0)); then
		local d
		for d in "${dbs[@]}"; do
			psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$d' AND pid <> pg_backend_pid()" >/dev/null 2>&1 || true
			psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true
		done
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
newdb() {
	sql -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 ${2:+TEMPLATE $2}" >/dev/null
	dbs+=("$1")
}
summary_file=$out/summary.txt report_csv=$out/report.csv sum_prefix=
summary() { echo "$sum_prefix$1 $2" >>"$summary_file"; }
event() { printf '%s\t%s\n' "$1" "${2:-$(now_ms)}" >>"$out/events.tsv"; }

phase_name='' phase_start=''
# phase NAME: close the current phase and start NAME ("" closes only)
phase() {
	local t
	t=$(now_ms)
	if [ -n "$phase_name" ]; then
		printf '%s\t%s\t%s\n' "$phase_name" "$phase_start" "$t" >>"$out/phases.tsv"
	fi
	phase_name=$1 phase_start=$t
	[ -z "$1" ] || note "[$label] phase $1"
}

# --- migration directories, from chart-example as it is now --------------
is_contract() { grep -qE '^--[[:space:]]*zdm:.*phase=contract' "$1"; }
is_backfill() { grep -qE '^--[[:space:]]*zdm:.*backfill' "$1"; }
r1=$scratch/release-1.0.0 r2=$scratch/release-2.0.x
mkdir -p "$r1" "$r2"
cp "$migs"/V1__*.sql "$r1/"
cp "$migs"/*.sql "$r2/"

# --- the load -------------------------------------------------------------
ctl=$out/control
setctl() { printf '%s\n' "$1" >"$ctl.tmp" && mv -f "$ctl.tmp" "$ctl"; }
# load_start DB MAX_SECONDS: v1 clients on DB until load_stop; their
# sessions carry application_name release/app version, as the chart's
# zdm.appEnv gives the app's pods (the contract guard reads it)
load_start() {
	setctl "v1=$clients,v2=0"
	"$loadgen" --conninfo "dbname=$1" --mix v1="$here/v1.sql" --mix v2="$here/v2.sql" \
		--app-name v1=shop/1.0.0 --app-name v2=shop/2.0.0 --clients "v1=$clients,v2=0" --max-clients "$clients" --rate "$rate" --ids "$rows" \
		--duration "${2}s" --control "$ctl" --out "$out/requests.csv" 2>>"$out/loadgen.log" &
	lg_pid=$!
	sleep_ms 500 # connections made, first requests sent
}
load_stop() {
	phase ""
	setctl stop
	local rc=0
	wait "$lg_pid" || rc=$?
	lg_pid=
	if ((rc != 0)); then
		tail -n 5 "$out/loadgen.log" >&2
		note "[$label] zdm-loadgen failed (exit $rc)"
		failed=1
	fi
}
# ramp: the rolling switch, one pod at a time over --ramp; --linger v1
# clients stay
ramp() {
	local i step=$((ramp_ms / clients))
	for ((i = 1; i <= clients; i++)); do
		setctl "v1=$((clients - i > linger ? clients - i : linger)),v2=$i"
		sleep_ms "$step"
	done
}
report() {
	"$loadgen" report --csv "$out/requests.csv" --phases "$out/phases.tsv" --label "$label" \
		--csv-out "$report_csv" >"$out/report.txt" || { failed=1; return 0; }
	cat "$out/report.txt"
}

# step NAME LOG CMD...: run a migration step, log its output and time
step() {
	local name=$1 log=$2 t0 t1 rc=0
	shift 2
	t0=$(now_ms)
	"$@" >"$out/$log" 2>&1 || rc=$?
	t1=$(now_ms)
	event "$name done" "$t1"
	summary "${name// /_}_ms" $((t1 - t0))
	summary "${name// /_}_rc" "$rc"
	if ((rc != 0)); then
		tail -n 5 "$out/$log" >&2
		note "[$label] $name failed (exit $rc, see $out/$log)"
	fi
	return "$rc"
}

# job PHASE APP REVISION DIR [FLAGS]: the hook Job of one release
# shellcheck disable=SC2317 # called through step
job() {
	local ph=$1 app=$2 rev=$3 dir=$4
	shift 4
	"$hook" run --phase "$ph" --dir "$dir" --release shop --namespace rollout \
		--app-version "$app" --revision "$rev" --chart-version 0.1.0 \
		--deployed-by run-scenario --lock-timeout "$lock_timeout" "$@"
}

# --- scenarios ------------------------------------------------------------
# The load runs at most this long (it is stopped long before).
max_s=$(((baseline_ms + 6 * settle_ms + ramp_ms + hold_ms) / 1000 + 900))

rollout() {
	newdb "$db"
	export PGDATABASE=$db
	if [ "$mode" = zdm ]; then
		step "setup pre 1.0.0" setup-pre.log job pre 1.0.0 1 "$r1" || return 1
	else
		for f in "$r1"/*.sql; do sql -f "$f" >/dev/null; done
	fi
	sql -v rows="$rows" -f "$here/seed.sql" >/dev/null
	if [ "$mode" = zdm ]; then
		step "setup post 1.0.0" setup-post.log job post 1.0.0 1 "$r1" || return 1
	fi
	load_start "$db" "$max_s"
	phase "1 baseline (v1)"
	sleep_ms "$baseline_ms"
	if [ "$mode" = zdm ]; then
		phase "2 migrate: run pre 2.0.0"
		event "run pre 2.0.0"
		step "pre 2.0.0" pre-2.0.0.log job pre 2.0.0 2 "$r2" --assertions "$assertions" || failed=1
	else
		phase "2 migrate: psql RENAME"
		event "psql RENAME COLUMN"
		step "rename" rename.log sql -c 'ALTER TABLE users RENAME COLUMN full_name TO display_name' || failed=1
	fi
	sleep_ms "$settle_ms"
	phase "3 rolling switch v1->v2"
	ramp
	if [ "$mode" = zdm ]; then
		phase "4 post 2.0.0"
		event "run post 2.0.0"
		step "post 2.0.0" post-2.0.0.log job post 2.0.0 2 "$r2" || failed=1
		sleep_ms "$settle_ms"
		phase "5 contract: run pre 2.0.1"
		event "run pre 2.0.1"
		step "pre 2.0.1" pre-2.0.1.log job pre 2.0.1 3 "$r2" --assertions "$assertions" || failed=1
		sleep_ms "$settle_ms"
		if ((linger > 0)); then
			grep -q 'DEFERRED: .*sessions of release "shop"' "$out/pre-2.0.1.log" &&
				summary contract_deferred_by_sessions 1
			summary full_name_left_while_lingering "$(sql -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name'")"
			phase "6 old worker gone: run pre 2.0.1 again"
			setctl "v1=0,v2=$clients"
			sleep_ms "$settle_ms"
			event "run pre 2.0.1 again"
			step "pre 2.0.1 again" pre-2.0.1-again.log job pre 2.0.1 3 "$r2" --assertions "$assertions" || failed=1
			sleep_ms "$settle_ms"
		fi
	else
		phase "4 v2 only"
		sleep_ms "$settle_ms"
	fi
	load_stop
	report
	local left
	left=$(sql -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name'")
	summary full_name_left "$left"
	if [ "$mode" = zdm ] && [ "$left" != 0 ]; then
		note "[$label] the contract (drop full_name) did not run"
		failed=1
	fi
	if [ "$mode" = zdm ] && grep -q DEFERRED "$out/pre-2.0.0.log"; then
		summary contract_deferred_in_2.0.0 1
	fi
}

lockqueue() {
	newdb "$db"
	export PGDATABASE=$db
	local d=$scratch/lockqueue
	mkdir -p "$d"
	cp "$r1"/*.sql "$d/"
	step "setup migrate V1" setup.log "$hook" migrate --dir "$d" || return 1
	sql -v rows="$rows" -f "$here/seed.sql" >/dev/null
	printf '%s\n' '-- a new nullable column: instant, but it needs ACCESS EXCLUSIVE on users' \
		'ALTER TABLE users ADD COLUMN nickname text;' >"$d/V2__add_nickname.sql"
	load_start "$db" "$max_s"
	phase "1 baseline (v1)"
	sleep_ms "$baseline_ms"

	# The holder: an open transaction that read users, for --hold.
	local hold_s held="" i
	hold_s=$(printf '%d.%03d' $((hold_ms / 1000)) $((hold_ms % 1000)))
	: >"$out/holder.log"
	psql -X -qAt -v ON_ERROR_STOP=1 >"$out/holder.log" 2>&1 <<-EOF &
		SET application_name = 'zdm-holder';
		BEGIN;
		SELECT count(*) > 0 AS read_users FROM users;
		SELECT 'held ' || (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
		SELECT pg_sleep($hold_s);
		SELECT 'released ' || (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
		COMMIT;
	EOF
	holder_pid=$!
	for ((i = 0; i < 500; i++)); do # at most 10 s
		held=$(awk '$1 == "held" {print $2}' "$out/holder.log" || true)
		[ -n "$held" ] && break
		kill -0 "$holder_pid" 2>/dev/null || break
		sleep 0.02
	done
	[ -n "$held" ] || { cat "$out/holder.log" >&2; note "[$label] the holder never got its lock"; return 1; }
	event "holder read users" "$held"

	phase "2 lock held + migration"
	local t_alter rc=0
	t_alter=$(now_ms)
	event "ALTER issued" "$t_alter"
	if [ "$mode" = zdm ]; then
		step migration migration.log "$hook" migrate --dir "$d" --lock-timeout "$lock_timeout" || rc=$?
	else
		step migration migration.log sql -c 'ALTER TABLE users ADD COLUMN nickname text' || rc=$?
	fi
	((rc == 0)) || failed=1
	wait "$holder_pid" || true
	holder_pid=
	local released
	released=$(awk '$1 == "released" {print $2}' "$out/holder.log" || true)
	[ -n "$released" ] && event "holder committed" "$released"
	phase "3 after"
	sleep_ms "$settle_ms"
	load_stop
	report
	summary holder_after_alter_ms $((${released:-$t_alter} - t_alter))
	summary retries "$(grep -cE 'retry [0-9]+ of' "$out/migration.log" || true)"
	summary column_added "$(sql -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'")"
	awk -F, -v p="2 lock held + migration" '$2 == "\"" p "\"" && $3 == "all" {print "max_latency_ms", $10 / 1000}' \
		"$report_csv" | tail -n 1 >>"$summary_file"
}

# backfill: a template with ROWS rows waiting for their display_name, then
# zdm's batched backfill on it and one UPDATE on a copy, each under v1 load.
backfill() {
	local d0=$scratch/expand d1 f v max=0 single_db=${db}_single
	mkdir -p "$d0"
	for f in "$hand"/V*.sql; do
		if is_contract "$f" || is_backfill "$f"; then continue; fi
		cp "$f" "$d0/"
		v=${f##*/V}
		v=${v%%__*}
		max=$(printf '%s\n%s\n' "$max" "${v//_/.}" | sort -V | tail -n 1)
	done
	newdb "$db"
	export PGDATABASE=$db
	step "setup expand" setup.log "$hook" migrate --dir "$d0" || return 1
	local t0
	t0=$(now_ms)
	sql -v rows="$rows" -f "$here/seed.sql" >/dev/null
	sql -c CHECKPOINT >/dev/null
	summary seed_ms $(($(now_ms) - t0))
	# CREATE DATABASE ... TEMPLATE needs the template idle (autovacuum may visit)
	local i
	for ((i = 1; ; i++)); do
		if sql -d postgres -c "CREATE DATABASE $single_db TEMPLATE $db" >/dev/null 2>"$out/copy.log"; then
			dbs+=("$single_db")
			break
		fi
		((i < 20)) || { cat "$out/copy.log" >&2; return 1; }
		sleep 0.5
	done

	d1=$scratch/backfill
	cp -r "$d0" "$d1"
	f="$d1/V$max.1__backfill_display_name.sql"
	printf '%s\n' '-- zdm: backfill table=users batch-time=100ms' \
		'UPDATE users SET display_name = full_name WHERE display_name IS NULL;' >"$f"
	local supported=1
	if ! "$hook" migrate --dir "$d1" --dry-run >"$out/dry-run.log" 2>&1; then
		supported=0
		note "[$label] zdm-hook does not take the backfill directive yet:"
		grep -m 1 -iE 'error' "$out/dry-run.log" >&2 || true
	fi
	summary backfill_supported "$supported"
	summary rows "$rows"

	local base=$out label0=$label
	if ((supported)); then
		sub_run zdm zdm-backfill "$db" "$hook" migrate --dir "$d1"
		summary left "$(sql -d "$db" -c 'SELECT count(*) FROM users WHERE display_name IS NULL')"
	fi
	sub_run single single-update "$single_db" \
		sql -d "$single_db" -c 'UPDATE users SET display_name = full_name WHERE display_name IS NULL'
	summary left "$(sql -d "$single_db" -c 'SELECT count(*) FROM users WHERE display_name IS NULL')"
	out=$base label=$label0 sum_prefix=
}
# sub_run NAME LABEL DB CMD...: v1 load on DB, idle, then CMD (the backfill)
sub_run() {
	local name=$1
	out=$base/$1 label=$2 sum_prefix=${1}_
	export PGDATABASE=$3
	shift 3
	mkdir -p "$out"
	rm -f "$out/requests.csv"
	: >"$out/phases.tsv"
	: >"$out/events.tsv"
	load_start "$PGDATABASE" "$max_s"
	phase "1 idle (v1)"
	sleep_ms "$baseline_ms"
	phase "2 backfill"
	step backfill backfill.log "$@" || failed=1
	phase "3 after"
	sleep_ms "$settle_ms"
	load_stop
	report
	note "[$label] $name done"
}

note "[$label] PostgreSQL $(sql -d postgres -c 'SHOW server_version' | awk '{print $1}') on port $PGPORT," \
	"$rows rows, $clients clients/version at $rate req/s"
# set -e holds inside these: a step that must work ends the run (exit 1)
case $scenario in
rollout) rollout ;;
lockqueue) lockqueue ;;
backfill) backfill ;;
esac
if [ -n "$lg_pid" ]; then load_stop; fi
exit "$failed"
