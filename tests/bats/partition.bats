#!/usr/bin/env bats
# A network partition between zdm-hook and PostgreSQL: two network
# namespaces made by the test, joined by a veth pair (addresses only inside
# them), a PostgreSQL of its own in one, zdm-hook in the other. The link is
# cut while a migration runs. Within --peer-timeout the server drops zdm's
# session and its lock (the server-side keepalives zdm sets), the
# partitioned zdm-hook exits 4, and the next runner proceeds.

load helpers

setup() {
	[ "$(id -u)" -eq 0 ] || skip "making network namespaces needs root"
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	NS_S="zdm-s-$$" NS_C="zdm-c-$$" SB=""
	ip netns add "$NS_S" 2>/dev/null || skip "cannot make network namespaces here"
	ip netns add "$NS_C"
	ip link add "vs$$" netns "$NS_S" type veth peer name "vc$$" netns "$NS_C"
	ip -n "$NS_S" addr add 10.213.0.1/30 dev "vs$$"
	ip -n "$NS_C" addr add 10.213.0.2/30 dev "vc$$"
	ip -n "$NS_S" link set lo up
	ip -n "$NS_C" link set lo up
	ip -n "$NS_S" link set "vs$$" up
	ip -n "$NS_C" link set "vc$$" up
	OWN=$(ZDM_SANDBOX_LISTEN=10.213.0.1,127.0.0.1 ZDM_SANDBOX_TRUST_NET=10.213.0.2/32 \
		ip netns exec "$NS_S" "$ZDM_ROOT/scripts/pg-sandbox.sh" start)
	eval "$OWN"
	SB=$ZDM_SANDBOX
	export PGDATABASE=part
	in_s psql -X -q -d postgres -c "create database part"
	T="$BATS_TEST_TMPDIR/dir with space's"
	M="$T/migrations"
	mkdir -p "$M"
	export ZDM_TERMINATION_LOG="$T/termination-log"
	mig V1__a.sql "create table a (id int);"
	mig V2__slow.sql "insert into a values (2);
select pg_sleep(120);"
}

teardown() {
	[ -z "${SB:-}" ] || ip netns exec "$NS_S" "$ZDM_ROOT/scripts/pg-sandbox.sh" stop "$SB"
	ip netns del "$NS_C" 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
}

in_s() { ip netns exec "$NS_S" "$@"; }

@test "partition: the server drops zdm's session and lock, zdm exits 4, both within --peer-timeout 10s" {
	ip netns exec "$NS_C" env PGHOST=10.213.0.1 "$ZDM_HOOK" migrate --dir "$M" --peer-timeout 10s \
		>"$T/cut.log" 2>&1 &
	local runner=$! i start
	for ((i = 0; i < 100; i++)); do
		[ "$(in_s psql -X -At -c "select count(*) from pg_stat_activity where query like '%pg_sleep(120)%' and pid <> pg_backend_pid()")" = 1 ] && break
		sleep 0.1
	done
	((i < 100))
	ip -n "$NS_C" link set "vc$$" down
	start=$(date +%s)
	# the server gives the session, and with it the lock, up
	for ((i = 0; i < 150; i++)); do
		[ "$(in_s psql -X -At -c "select count(*) from pg_locks where locktype = 'advisory'")" = 0 ] && break
		sleep 0.1
	done
	echo "# the server released the lock after $(($(date +%s) - start)) s" >&3
	((i < 150))
	# the partitioned client gives up: exit 4, not 1, not a hang
	local rc=0
	wait "$runner" || rc=$?
	echo "# the client exited (exit $rc) after $(($(date +%s) - start)) s" >&3
	[ "$rc" -eq 4 ] || { cat "$T/cut.log"; false; }
	(($(date +%s) - start <= 10))
	run cat "$T/cut.log"
	assert_output --partial "lost the database session"
	# the next runner, on the server's side, proceeds at once
	mig V2__slow.sql "insert into a values (2);"
	# (V2 was rolled back with the dropped session: it is still pending)
	run in_s env PGHOST=127.0.0.1 "$ZDM_HOOK" migrate --dir "$M" --lock-wait 5s
	assert_success
	run in_s psql -X -At -c "select string_agg(id::text, ',') from a"
	assert_output "2"
}
