# Helpers of the e2e suite (tests/e2e/run.sh sets KUBECONFIG, PG* and
# ZDM_KUBECTL). Each test gets its own namespace and database.
bats_load_library bats-support
bats_load_library bats-assert
ZDM_ROOT=${ZDM_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
ZDM_TOOLS=${ZDM_TOOLS:-$ZDM_ROOT/tools}

k() { "$ZDM_KUBECTL" "$@"; }

# e2e_setup V: namespace (restricted Pod Security), database, Secret.
e2e_setup() {
	NS="e2e-$1-${BATS_SUITE_TEST_NUMBER}-$$"
	export PGDATABASE="zdm_e2e_${BATS_SUITE_TEST_NUMBER}_$$"
	psql -q -X -d postgres -c "create database \"$PGDATABASE\"" >/dev/null
	k create namespace "$NS" >/dev/null
	k label namespace "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
	k -n "$NS" create secret generic chart-example-db \
		--from-literal=DATABASE_URL="postgresql://$PGUSER@127.0.0.1:$PGPORT/$PGDATABASE" >/dev/null
}

e2e_teardown() {
	k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
	psql -q -X -d postgres -c "select pg_terminate_backend(pid) from pg_stat_activity where datname = '$PGDATABASE' and pid <> pg_backend_pid()" >/dev/null 2>&1 || true
	psql -q -X -d postgres -c "drop database if exists \"$PGDATABASE\"" >/dev/null 2>&1 || true
}

q() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

# helmv 3|4|src ARGS: that Helm with private homes. src is the newest
# Helm 4 built from source (scripts/k8s-testbed.sh build; run.sh exports
# ZDM_HELM_SRC when it is there).
helmv() {
	local v=$1 home="$BATS_FILE_TMPDIR/helm$1" bin
	shift
	case $v in
	src) bin=${ZDM_HELM_SRC:-} ;;
	*) bin=$ZDM_TOOLS/helm$v/helm ;;
	esac
	HELM_DATA_HOME="$home/data" HELM_CONFIG_HOME="$home/config" HELM_CACHE_HOME="$home/cache" \
		"$bin" "$@"
}

# need_helm V: skip the test when that Helm is not there.
need_helm() {
	[ "$1" != src ] || [ -x "${ZDM_HELM_SRC:-}" ] ||
		skip "Helm 4 from source is not built (scripts/k8s-testbed.sh build)"
}

# watch_start FILE RESOURCE: a watch of RESOURCE in $NS, started before
# helm, one line per event: type name uid resourceVersion generation
# succeeded. resourceVersions are the one etcd's revisions, increasing
# across every object, so they order events of different objects.
# watch_stop ends every watch of the test.
WATCH_PIDS=()
watch_start() {
	local fmt='jsonpath={.type} {.object.metadata.name} {.object.metadata.uid} {.object.metadata.resourceVersion} {.object.metadata.generation} {.object.status.succeeded}{"\n"}'
	"$ZDM_KUBECTL" -n "$NS" get "$2" --watch-only --output-watch-events -o "$fmt" >"$1" 2>&1 &
	WATCH_PIDS+=($!)
}
watch_stop() {
	((${#WATCH_PIDS[@]})) && kill "${WATCH_PIDS[@]}" 2>/dev/null
	WATCH_PIDS=()
	return 0
}

# until_ok TRIES CMD...: run CMD once a second until it succeeds (at most
# TRIES times). Waits on state, asserts nothing about time.
until_ok() {
	local n=$1
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 1
	done
}

# chart_copy DIR: chart-example to change migrations in (its V2 recipe's
# contract waits for app 2.0.0 without holding back later files).
chart_copy() {
	cp -r "$ZDM_ROOT/chart-example" "$1"
}

# job_uid NAME: the UID of that Job now ("" when there is none).
job_uid() { k -n "$NS" get job "$1" -o jsonpath='{.metadata.uid}' 2>/dev/null || true; }
