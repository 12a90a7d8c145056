#!/usr/bin/env bash
# pg-sandbox.sh — a throwaway PostgreSQL cluster on a free loopback port.
#
#   scripts/pg-sandbox.sh start [DIR]   create and start a cluster in DIR
#                                       (default: a new temp dir); prints
#                                       `export PG...=...` lines to eval
#   scripts/pg-sandbox.sh env [DIR]     print those lines again
#   scripts/pg-sandbox.sh stop [DIR]    stop the cluster and delete DIR
#   scripts/pg-sandbox.sh standby PRIMARY_DIR DIR
#                                       a streaming-replication standby of
#                                       the sandbox in PRIMARY_DIR, in DIR
#                                       (stop it with stop DIR); prints its
#                                       PG... lines
#   scripts/pg-sandbox.sh restart DIR fast|immediate [SECONDS]
#                                       stop the server in that mode (fast:
#                                       sessions are terminated; immediate:
#                                       a crash, recovered at start), stay
#                                       down SECONDS (default 0), start it
#                                       on the same port
#   scripts/pg-sandbox.sh down DIR      stop the server (fast), keep DIR
#   scripts/pg-sandbox.sh up DIR        start the server in DIR again (after
#                                       down) on its port; nothing when
#                                       it runs
#
# DIR defaults to $ZDM_SANDBOX for env and stop. The superuser "postgres"
# connects over TCP without a password; every other role must use its
# password (scram-sha-256), so password handling can be tested for real.
# TLS is on (self-signed; DIR/server.crt verifies it), so clients with
# libpq's default sslmode=prefer connect over TLS.
# initdb refuses to run as root: as root the cluster runs as "postgres".
# For tests across a network namespace: ZDM_SANDBOX_LISTEN (default
# 127.0.0.1) is listen_addresses, and ZDM_SANDBOX_TRUST_NET (CIDR) lets
# postgres in from that network without a password.
set -euo pipefail

die() { echo "pg-sandbox: error: $*" >&2; exit 2; }

pgbin=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && pgbin=$d
done
[ -n "$pgbin" ] || die "PostgreSQL server binaries not found; run scripts/deps.sh"

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

print_env() {
	local dir=$1 port
	port=$(cat "$dir/port")
	cat <<EOT
export ZDM_SANDBOX='$dir'
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=postgres
export PGDATABASE=postgres
unset PGPASSWORD PGSERVICE PGSSLMODE
EOT
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# new_dir DIR: create DIR for a cluster (refusing one that holds a
# cluster), enterable by its owner; prints its absolute path.
new_dir() {
	local dir=$1
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ -e "$dir/data/PG_VERSION" ] && die "\"$dir\" already holds a cluster; stop it first"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir"
		chmod 0755 "$dir"
	fi
	echo "$dir"
}

# start_cluster DIR WHAT [SETTING...]: start DIR/data on a free loopback
# port with the sandbox's settings plus the given -c settings, record the
# port and print the PG... lines; WHAT names it in the error.
start_cluster() {
	local dir=$1 what=$2 port tries
	shift 2
	for tries in $(seq 1 20); do
		port=$(( 20000 + (RANDOM % 20000) ))
		port_free "$port" || continue
		if as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
			-o "-p $port -c listen_addresses=${ZDM_SANDBOX_LISTEN:-127.0.0.1} -c unix_socket_directories='$dir' \
			    -c fsync=off -c max_connections=200 $*" \
			start >/dev/null 2>&1; then
			echo "$port" | as_owner tee "$dir/port" >/dev/null
			print_env "$dir"
			return 0
		fi
	done
	cat "$dir/server.log" >&2 || true
	die "could not start $what on a free port (tried $tries)"
}

cmd_start() {
	local dir=${1:-}
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/zdm-pg.XXXXXX")
	fi
	dir=$(new_dir "$dir") || exit 2
	as_owner "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--no-locale >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<EOT
local all postgres trust
host  all postgres 127.0.0.1/32 trust
host  replication postgres 127.0.0.1/32 trust
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
EOT
	if [ -n "${ZDM_SANDBOX_TRUST_NET:-}" ]; then
		echo "host  all postgres $ZDM_SANDBOX_TRUST_NET trust" | as_owner tee -a "$dir/data/pg_hba.conf" >/dev/null
	fi
	# TLS on, with a throwaway self-signed certificate for 127.0.0.1 and
	# localhost ($dir/server.crt is also the CA for sslmode=verify-full):
	# clients that do not say otherwise (sslmode=prefer) use TLS, as they
	# would against a real server.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
		-days 30 -keyout "$dir/server.key" -out "$dir/server.crt" >"$dir/openssl.log" 2>&1 ||
		{ cat "$dir/openssl.log" >&2; die "could not make the server certificate (openssl)"; }
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir/server.key" "$dir/server.crt"
	fi
	chmod 0600 "$dir/server.key"
	start_cluster "$dir" PostgreSQL -c synchronous_commit=off -c full_page_writes=off \
		-c shared_buffers=128MB -c ssl=on -c "ssl_cert_file='$dir/server.crt'" \
		-c "ssl_key_file='$dir/server.key'"
}

cmd_standby() {
	local primary=${1:-} dir=${2:-} pport
	[ -n "$primary" ] && [ -e "$primary/port" ] || die "standby: no running sandbox in \"$primary\""
	[ -n "$dir" ] || die "standby: give the standby's directory"
	pport=$(cat "$primary/port")
	dir=$(new_dir "$dir") || exit 2
	# -c fast: checkpoint at once; the default spread checkpoint paces its
	# writes over checkpoint_completion_target of checkpoint_timeout
	# (minutes on a primary with many dirty buffers)
	as_owner "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$dir/data" \
		-R -X stream -c fast >"$dir/basebackup.log" 2>&1 ||
		{ cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
	start_cluster "$dir" "the standby" -c hot_standby=on
}

cmd_stop() {
	local dir=${1:-${ZDM_SANDBOX:-}}
	[ -n "$dir" ] || die "stop: no directory given and ZDM_SANDBOX is not set"
	[ -d "$dir" ] || return 0
	if [ -e "$dir/data/postmaster.pid" ]; then
		as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

# start_again DIR: start the stopped server in DIR on its port with the
# settings of its first start (postmaster.opts keeps them).
start_again() {
	local dir=$1
	as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "$(sed -E "s/^[^ ]+ //" "$dir/data/postmaster.opts")" start >/dev/null ||
		die "the server in $dir did not start again (see $dir/server.log)"
}

cmd_restart() {
	local dir=${1:-} mode=${2:-} down=${3:-0}
	[ -n "$dir" ] && [ -e "$dir/port" ] || die "restart: no running sandbox in \"$dir\""
	case "$mode" in fast|immediate) ;; *) die "restart: the mode is fast or immediate, not \"$mode\"" ;; esac
	as_owner "$pgbin/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null ||
		die "restart: could not stop the server in $dir"
	sleep "$down"
	start_again "$dir"
}

cmd_up() {
	local dir=${1:-}
	[ -n "$dir" ] && [ -e "$dir/port" ] || die "up: no sandbox in \"$dir\""
	as_owner "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 && return 0
	start_again "$dir"
}

cmd_down() {
	local dir=${1:-}
	[ -n "$dir" ] && [ -e "$dir/port" ] || die "down: no running sandbox in \"$dir\""
	as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ||
		die "down: could not stop the server in $dir"
}

cmd_env() {
	local dir=${1:-${ZDM_SANDBOX:-}}
	[ -n "$dir" ] && [ -e "$dir/port" ] || die "env: no running sandbox (give DIR or set ZDM_SANDBOX)"
	print_env "$dir"
}

case "${1:-}" in
	start) shift; cmd_start "$@" ;;
	stop) shift; cmd_stop "$@" ;;
	env) shift; cmd_env "$@" ;;
	standby) shift; cmd_standby "$@" ;;
	restart) shift; cmd_restart "$@" ;;
	down) shift; cmd_down "$@" ;;
	up) shift; cmd_up "$@" ;;
	-h|--help|help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' ;;
	*) echo "usage: $0 start|env|stop [DIR] | standby PRIMARY_DIR DIR | restart DIR MODE [SECONDS] | down|up DIR" >&2; exit 2 ;;
esac
