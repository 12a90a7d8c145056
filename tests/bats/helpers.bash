# Shared bats helpers. tests/run.sh starts one PostgreSQL sandbox and
# exports PG*; every test gets a database of its own (dropped afterwards),
# and $T, a scratch directory whose path has a space and a quote in it.

bats_load_library bats-support
bats_load_library bats-assert

ZDM_ROOT=${ZDM_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
ZDM_BUILD=${ZDM_BUILD:-build}
case "$ZDM_BUILD" in /*) ;; *) ZDM_BUILD="$ZDM_ROOT/$ZDM_BUILD" ;; esac
ZDM_HOOK="$ZDM_BUILD/zdm-hook"

# A fresh database named after the test, and a migrations dir in $T.
# The database is the spare one the last teardown began to create while
# bats moved on (renamed: as fresh as any CREATE DATABASE from
# template1), or, when there is none yet, one created here.
zdm_setup_db() {
	: "${PGPORT:?run the suite through tests/run.sh (it starts PostgreSQL)}"
	export PGDATABASE="zdm_t_${BATS_SUITE_TEST_NUMBER}_$$"
	# one psql a step (starting psql is much of the cost); each -c is
	# its own transaction, as CREATE DATABASE needs
	psql -q -X -d postgres -v ON_ERROR_STOP=1 -c "drop database if exists \"$PGDATABASE\"" \
		-c "alter database zdm_spare rename to \"$PGDATABASE\"" >/dev/null 2>&1 ||
		psql -q -X -d postgres -v ON_ERROR_STOP=1 -c "drop database if exists \"$PGDATABASE\"" \
			-c "create database \"$PGDATABASE\"" >/dev/null
	T="$BATS_TEST_TMPDIR/dir with space's"
	mkdir -p "$T/migrations"
	M="$T/migrations"
	unset ZDM_DATABASE_URL DATABASE_URL ZDM_MIGRATIONS_DIR ZDM_HISTORY_TABLE
	export ZDM_TERMINATION_LOG="$T/termination-log"
}

# Drop the test's database (with force: sessions still in it are
# terminated first), and begin the next test's spare in the background,
# detached from every file descriptor bats waits on. A spare still being
# created is invisible to the next setup, which then creates its own.
zdm_teardown_db() {
	[ -n "${PGDATABASE:-}" ] || return 0
	psql -q -X -d postgres -c "drop database if exists \"$PGDATABASE\" with (force)" >/dev/null 2>&1 || true
	(psql -q -X -d postgres -c "create database zdm_spare" </dev/null >/dev/null 2>&1 3>&- &)
}

# q SQL: run a query in the test database, unaligned, tuples only.
q() {
	psql -X -At -v ON_ERROR_STOP=1 -c "$1"
}

# mig NAME CONTENT: write a migration file.
mig() {
	printf '%s\n' "$2" >"$M/$1"
}

hook() {
	"$ZDM_HOOK" "$@"
}

# Skip a test that runs the binaries under valgrind or inspects what they
# link: an AddressSanitizer build (make asan) checks memory itself, and
# valgrind cannot run it.
zdm_skip_under_asan() {
	if ldd "$ZDM_HOOK" 2>/dev/null | grep -q libasan; then
		skip "${1:-valgrind cannot run} the AddressSanitizer build"
	fi
}

# wait_backends PATTERN WANT [TRIES] [active]: poll every 0.1 s, at most
# TRIES times (default 50), until exactly WANT other sessions run a query
# LIKE PATTERN (only active ones with "active"); false when that never
# happens.
wait_backends() {
	local pattern=$1 want=$2 tries=${3:-50} state="" i
	[ "${4:-}" = active ] && state="and state = 'active'"
	for ((i = 0; i < tries; i++)); do
		[ "$(q "select count(*) from pg_stat_activity where query like '$pattern' $state and pid <> pg_backend_pid()")" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_for SQL WANT [TRIES]: poll every 0.1 s, at most TRIES times
# (default 300), until SQL, run in the test database, prints WANT; false
# (with a message) when that never happens. Synchronise on an observable
# state (a lock granted, a snapshot held, a build's phase) instead of
# sleeping for a while and hoping.
wait_for() {
	local sql=$1 want=$2 tries=${3:-300} i
	for ((i = 0; i < tries; i++)); do
		[ "$(q "$sql")" = "$want" ] && return 0
		sleep 0.1
	done
	echo "wait_for: never got \"$want\" from: $sql" >&2
	return 1
}

# wait_for_line FILE REGEX [TRIES]: the same for a line in a log file.
wait_for_line() {
	local file=$1 re=$2 tries=${3:-300} i
	for ((i = 0; i < tries; i++)); do
		grep -qE -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "wait_for_line: no line matching \"$re\" in $file" >&2
	return 1
}

# wait_gone: wait until no zdm-hook session is left in the test database
# (after a kill -9, its orphaned backends end on their own: at once when
# idle, within client_connection_check_interval in a statement).
wait_gone() {
	wait_for "select count(*) from pg_stat_activity where datname = current_database() and application_name like 'zdm-hook%'" 0
}

# zdm_start_bouncer MODE POOL_SIZE: a real PgBouncer (pool_mode MODE,
# default_pool_size POOL_SIZE) on a free loopback port, every database
# forwarded to the suite's server as postgres; BPORT is its port, BDIR its
# directory (zdm_stop_bouncer ends it). PgBouncer refuses to run as root,
# and runs as postgres then, which cannot enter bats' temporary
# directories: hence a directory of its own.
zdm_start_bouncer() {
	local i
	BDIR=$(mktemp -d "${TMPDIR:-/tmp}/zdm-bouncer.XXXXXX")
	chmod 0755 "$BDIR"
	for ((i = 0; i < 20; i++)); do
		BPORT=$((40000 + RANDOM % 20000))
		(echo >"/dev/tcp/127.0.0.1/$BPORT") 2>/dev/null || break
	done
	cat >"$BDIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PGPORT user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BPORT
unix_socket_dir =
auth_type = any
pool_mode = $1
default_pool_size = $2
max_client_conn = 100
logfile = $BDIR/pgbouncer.log
pidfile = $BDIR/pgbouncer.pid
INI
	chmod 0644 "$BDIR/pgbouncer.ini"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$BDIR"
		runuser -u postgres -- pgbouncer -d "$BDIR/pgbouncer.ini" >/dev/null
	else
		pgbouncer -d "$BDIR/pgbouncer.ini" >/dev/null
	fi
	for ((i = 0; i < 100; i++)); do
		psql -X -At -h 127.0.0.1 -p "$BPORT" -c "select 1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$BDIR/pgbouncer.log" >&2
	return 1
}

# zdm_stop_bouncer: end zdm_start_bouncer's PgBouncer, if any.
zdm_stop_bouncer() {
	[ -n "${BDIR:-}" ] || return 0
	kill "$(cat "$BDIR/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || true
	rm -rf "$BDIR"
	BDIR=""
}
