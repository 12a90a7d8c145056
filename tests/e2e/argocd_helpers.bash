# Helpers of the tests/e2e/argocd*.bats suites: a real Argo CD (built from
# the Go module proxy by scripts/argocd-testbed.sh, the version pinned in
# tests/argocd/go.mod) drives the project's plugin/argocd/plugin.yaml.
# Applications point at local file:// git repositories made by the tests.

# tests/bats' helpers (bats-assert, ZDM_ROOT, jq helpers, the Helm tools);
# their own `load helpers` resolves against BATS_TEST_DIRNAME
_zdm_e2e_dir=$BATS_TEST_DIRNAME
BATS_TEST_DIRNAME=$(cd "$BATS_TEST_DIRNAME/../bats" && pwd)
load helm_helpers
BATS_TEST_DIRNAME=$_zdm_e2e_dir

ARGOCD_TESTBED="$ZDM_ROOT/scripts/argocd-testbed.sh"

# argocd_up [controller]: build Argo CD when it is not built yet (the first
# run takes long: see docs/argocd.md), start a test bed of this file's own
# under $BATS_FILE_TMPDIR and load its environment. With "controller", the
# application controller runs too, against $KUBECONFIG (the k8s test bed):
# without a cluster the file's tests are skipped by argocd_need_cluster.
argocd_up() {
	"$ARGOCD_TESTBED" build >&2
	export ZDM_ARGOCD_DIR="$BATS_FILE_TMPDIR/argocd"
	if [ "${1:-}" = controller ] && [ -n "${KUBECONFIG:-}" ]; then
		ZDM_HELM="$HELM3" ZDM_HELM_ZDM="$ZDM_PLUGIN" "$ARGOCD_TESTBED" start "$ZDM_ARGOCD_DIR" >/dev/null
	else
		ZDM_ARGOCD_CONTROLLER=0 ZDM_HELM="$HELM3" ZDM_HELM_ZDM="$ZDM_PLUGIN" \
			"$ARGOCD_TESTBED" start "$ZDM_ARGOCD_DIR" >/dev/null
	fi
	# shellcheck disable=SC1091
	source "$ZDM_ARGOCD_DIR/env"
	export PATH="$ZDM_ARGOCD_BIN:$PATH"
}

argocd_down() {
	if [ -n "${ZDM_ARGOCD_DIR:-}" ] && [ -d "$ZDM_ARGOCD_DIR" ]; then
		# keep the components' logs next to the bats output on failure
		if [ -n "${ZDM_E2E_LOGS:-}" ]; then
			mkdir -p "$ZDM_E2E_LOGS" && cp -r "$ZDM_ARGOCD_DIR/log" "$ZDM_E2E_LOGS/argocd-$(basename "$BATS_TEST_FILENAME" .bats)" || true
		fi
		"$ARGOCD_TESTBED" stop "$ZDM_ARGOCD_DIR"
	fi
}

# git_repo DIR: make DIR (already filled) a git repository with one commit
# on main; prints nothing. git_commit DIR MSG: commit everything in DIR.
git_repo() {
	git -C "$1" init -q -b main
	git_commit "$1" initial
}

git_commit() {
	git -C "$1" add -A
	git -C "$1" -c user.name=zdm-e2e -c user.email=e2e@zdm.invalid commit -q -m "$2"
}

git_head() {
	git -C "$1" rev-parse HEAD
}

# plain_chart DIR: chart-example without zdm's templates (never injected),
# migrations/ beside Chart.yaml: what the CMP's discover matches.
plain_chart() {
	mkdir -p "$(dirname "$1")"
	cp -r "$ZDM_ROOT/chart-example" "$1"
	rm "$1"/templates/zdm-*.yaml "$1/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$1/templates/deployment.yaml"
}

# injected_chart DIR: chart-example as it is (inject's templates in it).
injected_chart() {
	mkdir -p "$(dirname "$1")"
	cp -r "$ZDM_ROOT/chart-example" "$1"
}

# manifests APP.yaml [ARGS...]: the manifests the repo-server (and through
# it the CMP server) generates for the Application; R holds them as JSON.
manifests() {
	zdm-argocd-manifests --repo-server "$ARGOCD_REPO_SERVER" --app "$@"
}

# ---- with a cluster: the application controller syncs for real ----

# argocd_cluster_up: a Kubernetes API server for the controller. Uses
# $KUBECONFIG when the caller (make e2e) runs one; else starts the k8s
# test bed (scripts/k8s-testbed.sh, or $ZDM_K8S_TESTBED) for this file.
# Skips the file's tests when neither exists. Starts a PostgreSQL sandbox
# too when PGPORT is not set (the pods reach it on 127.0.0.1: the process
# kubelet's containers share the host network).
argocd_cluster_up() {
	local tb=${ZDM_K8S_TESTBED:-$ZDM_ROOT/scripts/k8s-testbed.sh}
	if [ -z "${KUBECONFIG:-}" ]; then
		if [ ! -x "$tb" ]; then
			export ZDM_E2E_SKIP="no KUBECONFIG and no $tb: no cluster for the application controller"
			return 0
		fi
		"$tb" build >&2
		export ZDM_K8S_DIR="$BATS_FILE_TMPDIR/k8s" ZDM_E2E_OWN_K8S=$tb
		eval "$("$tb" start "$ZDM_K8S_DIR")"
	fi
	if [ -z "${KUBECTL:-}" ]; then
		if command -v kubectl >/dev/null; then
			KUBECTL=$(command -v kubectl)
		else
			KUBECTL="$("$tb" bin)/kubectl"
		fi
	fi
	export KUBECTL
	if [ -z "${PGPORT:-}" ]; then
		eval "$("$ZDM_ROOT/scripts/pg-sandbox.sh" start)"
		export ZDM_E2E_OWN_PG=$ZDM_SANDBOX
	fi
}

argocd_cluster_down() {
	if [ -n "${ZDM_E2E_OWN_K8S:-}" ]; then
		"$ZDM_E2E_OWN_K8S" stop "$ZDM_K8S_DIR" || true
	fi
	if [ -n "${ZDM_E2E_OWN_PG:-}" ]; then
		"$ZDM_ROOT/scripts/pg-sandbox.sh" stop "$ZDM_E2E_OWN_PG" || true
	fi
}

argocd_need_cluster() {
	if [ -n "${ZDM_E2E_SKIP:-}" ]; then
		skip "$ZDM_E2E_SKIP"
	fi
}

kc() {
	"$KUBECTL" "$@"
}

# target_ns NS: a namespace with a database of its own (zdm_e2e_NS, owned
# by a role with a password) and the Secrets that the Jobs and pods load.
target_ns() {
	local ns=$1 db=zdm_e2e_${1//-/_}
	psql -q -X -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
drop database if exists $db;
drop role if exists $db;
create role $db login password 'pw-$db';
create database $db owner $db;
SQL
	kc create namespace "$ns" >/dev/null
	# shop-db for the zdm Jobs; chart-example-db, the same, for the app's
	# own pods (chart-example's existingSecret)
	local s
	for s in shop-db chart-example-db; do
		kc -n "$ns" create secret generic "$s" --from-literal=PGHOST=127.0.0.1 \
			--from-literal=PGPORT="$PGPORT" --from-literal=PGDATABASE="$db" \
			--from-literal=PGUSER="$db" --from-literal=PGPASSWORD="pw-$db" >/dev/null
	done
}

# dbq NS SQL: a query in NS's database, unaligned, tuples only.
dbq() {
	psql -X -At -v ON_ERROR_STOP=1 -d "zdm_e2e_${1//-/_}" -c "$2"
}

# application_yaml NAME NS PATH [PLUGIN-YAML]: the Application NAME (in
# argocd) for apps/PATH of the test repository $G, synced to NS, manual
# sync; PLUGIN-YAML is the source's plugin block (indented 6).
application_yaml() {
	local name=$1 ns=$2 path=$3 plugin=${4:-      name: zdm}
	cat <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: $name
  namespace: argocd
spec:
  project: default
  source:
    repoURL: file://$G
    targetRevision: main
    path: apps/$path
    plugin:
$plugin
  destination:
    server: https://kubernetes.default.svc
    namespace: $ns
YAML
}

# application NAME NS PATH [PLUGIN-YAML]: create or replace that
# Application in the cluster.
application() {
	application_yaml "$@" | kc apply -f - >/dev/null
}

# app_json NAME: the Application as JSON.
app_json() {
	kc -n argocd get application "$1" -o json
}

# app_wait NAME JQ [SECONDS]: poll the Application every 0.2 s until the
# jq expression JQ is true (default 120 s); false with the Application's
# status when it never is.
app_wait() {
	local name=$1 expr=$2 secs=${3:-120} i
	for ((i = 0; i < secs * 5; i++)); do
		if app_json "$name" | jq -e "$expr" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	echo "app_wait: $name never satisfied: $expr" >&2
	app_json "$name" | jq '{operation, status: (.status | {sync, health, conditions, operationState})}' >&2
	return 1
}

# refresh NAME: a hard refresh (manifests generated again, not from the
# cache), and wait until the controller has done it.
refresh() {
	kc -n argocd annotate application "$1" argocd.argoproj.io/refresh=hard --overwrite >/dev/null
	app_wait "$1" '.metadata.annotations["argocd.argoproj.io/refresh"] == null' 120
}

# app_sync NAME [REVISION]: start a sync operation the way `argocd app sync`
# does (argocd-server's argo.SetAppOperation: the Application's operation
# field set and status.operationState cleared; left in place, the
# controller would resume the new operation with the previous one's
# results and take the previous hook Jobs for this sync's), wait until the
# controller has finished it (it clears the field) and print the phase.
app_sync() {
	local name=$1 rev=${2:-}
	kc -n argocd patch application "$name" --type merge -p "$(jq -cn --arg rev "$rev" \
		'{operation: {initiatedBy: {username: "zdm-e2e"}, sync: ({syncStrategy: {hook: {}}} + (if $rev == "" then {} else {revision: $rev} end))},
		  status: {operationState: null}}')" >/dev/null
	app_wait "$name" '.operation == null and (.status.operationState.phase | IN("Succeeded", "Failed", "Error"))' 240 || return 1
	app_json "$name" | jq -r .status.operationState.phase
}

# watch_ns NS: record every Job, Deployment, ReplicaSet, ConfigMap and Pod
# event of NS from now on into $BATS_TEST_TMPDIR/watch-NS.jsonl
# (zdm-k8s-watch: list, then watch from the list's resourceVersion);
# returns once the watches are established. watch_stop ends them.
watch_ns() {
	local ns=$1 ready="$BATS_TEST_TMPDIR/watch-$1.ready" i
	zdm-k8s-watch -n "$ns" --ready "$ready" jobs.v1.batch deployments.v1.apps replicasets.v1.apps \
		configmaps.v1 pods.v1 >"$BATS_TEST_TMPDIR/watch-$ns.jsonl" 2>"$BATS_TEST_TMPDIR/watch-$ns.err" &
	echo $! >>"$BATS_TEST_TMPDIR/watch.pids"
	for ((i = 0; i < 300; i++)); do
		[ -e "$ready" ] && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/watch-$ns.err" >&2
	return 1
}

watch_stop() {
	local p
	[ -e "$BATS_TEST_TMPDIR/watch.pids" ] || return 0
	while read -r p; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/watch.pids"
	rm -f "$BATS_TEST_TMPDIR/watch.pids"
	# a watch the server closed may have missed events
	! grep -h '"type":"CLOSED"' "$BATS_TEST_TMPDIR"/watch-*.jsonl
}

# ev NS JQ-ARGS...: jq -s over the recorded events of NS.
ev() {
	local ns=$1
	shift
	jq -s "$@" "$BATS_TEST_TMPDIR/watch-$ns.jsonl"
}

# rv_job_done NS JOB Complete|Failed: the resourceVersion at which JOB first
# had that condition True (empty when never).
rv_job_done() {
	ev "$1" -r --arg n "$2" --arg c "$3" '[.[] | select(.resource == "jobs" and .object.metadata.name == $n
		and any(.object.status.conditions[]?; .type == $c and .status == "True"))
		| .object.metadata.resourceVersion | tonumber] | min // empty'
}

# rv_first NS RESOURCE NAME: the resourceVersion of the first event of
# RESOURCE/NAME (its creation, when it did not exist before the watch).
rv_first() {
	ev "$1" -r --arg r "$2" --arg n "$3" '[.[] | select(.resource == $r and .object.metadata.name == $n)
		| .object.metadata.resourceVersion | tonumber] | min // empty'
}

# rv_generation_above NS DEPLOYMENT GEN: the resourceVersion of the first
# event of DEPLOYMENT with a metadata.generation above GEN (its pod
# template or replicas changed), empty when none.
rv_generation_above() {
	ev "$1" -r --arg n "$2" --argjson g "$3" '[.[] | select(.resource == "deployments" and .object.metadata.name == $n
		and .object.metadata.generation > $g) | .object.metadata.resourceVersion | tonumber] | min // empty'
}
