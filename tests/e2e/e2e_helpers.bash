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

# helmv 3|4 ARGS: that Helm with private homes.
helmv() {
	local v=$1 home="$BATS_FILE_TMPDIR/helm$1"
	shift
	HELM_DATA_HOME="$home/data" HELM_CONFIG_HOME="$home/config" HELM_CACHE_HOME="$home/cache" \
		"$ZDM_TOOLS/helm$v/helm" "$@"
}
