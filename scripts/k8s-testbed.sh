#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the e2e tests: etcd,
# kube-apiserver and kube-controller-manager built from the Go module proxy
# at the version pinned in tests/k8s/controlplane/go.mod, plus our process
# kubelet (tests/k8s/kubelet), the only piece of the cluster that is ours.
#
#   k8s-testbed.sh build          build the binaries into the cache (once)
#   k8s-testbed.sh start [DIR]    start the cluster with its state in DIR;
#                                 prints `export KUBECONFIG=DIR/kubeconfig`
#   k8s-testbed.sh stop  [DIR]    stop it (the state directory is removed)
#   k8s-testbed.sh env   [DIR]    print the export lines for a running cluster
#   k8s-testbed.sh status [DIR]   exit 0 when the API server is ready
#   k8s-testbed.sh bin            the directory of the cached binaries
#   k8s-testbed.sh helm           the path of the Helm 4 built from source
#
# build also builds the newest Helm 4 from source (helm.sh/helm/v4, pinned in
# tests/k8s/helm/go.mod) into ${ZDM_CACHE}/helm-<version>/helm, the e2e
# suite's third Helm beside tools/helm3 and tools/helm4.
#
# DIR defaults to $ZDM_K8S_DIR, else /tmp/zdm-k8s. Binaries live in
# ${ZDM_CACHE:-$HOME/.cache/zdm}/k8s-<version>/bin, outside git; the Go
# module and build caches are left at their defaults so later builds reuse
# them. Everything listens on 127.0.0.1 only; ports are picked free at start.
#
# Environment read by start:
#   ZDM_K8S_DIR        state directory (as above)
#   ZDM_IMAGE_DIR      where the kubelet looks for OCI archives (build/image)
#   ZDM_KUBELET_MODE   runc | process | auto (default auto: runc when it works)
#   ZDM_HOOK_BIN       zdm-hook binary for the process mode (build/zdm-hook)
#   ZDM_KUBELET=0      start the control plane without our kubelet
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CP_MOD="$ROOT/tests/k8s/controlplane"
KL_MOD="$ROOT/tests/k8s/kubelet"
K8S_VERSION=$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' "$CP_MOD/go.mod")
ETCD_VERSION=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$CP_MOD/go.mod")
CACHE=${ZDM_CACHE:-$HOME/.cache/zdm}
BIN="$CACHE/k8s-$K8S_VERSION/bin"
HELM_MOD="$ROOT/tests/k8s/helm"
HELM_VERSION=$(awk '{for (i = 1; i < NF; i++) if ($i == "helm.sh/helm/v4") {print $(i + 1); exit}}' "$HELM_MOD/go.mod")
HELM_BIN="$CACHE/helm-$HELM_VERSION/helm"
NICE=${ZDM_NICE:-10}

testbed_log() { printf 'k8s-testbed: %s\n' "$*" >&2; }
testbed_die() { printf 'k8s-testbed: error: %s\n' "$*" >&2; exit 1; }

# Build etcd, kube-apiserver, kube-controller-manager and kubectl into $BIN
# (skipping those already there), then the kubelet (cheap, always rebuilt
# when its sources are newer).
testbed_build() {
	mkdir -p "$BIN"
	local minor major pkg name t0 t1
	major=${K8S_VERSION#v}; major=${major%%.*}
	minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
	local ldk="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION
		-X k8s.io/component-base/version.gitMajor=$major
		-X k8s.io/component-base/version.gitMinor=$minor
		-X k8s.io/component-base/version.gitTreeState=clean
		-X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION
		-X k8s.io/client-go/pkg/version.gitMajor=$major
		-X k8s.io/client-go/pkg/version.gitMinor=$minor"
	for pkg in k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kubectl \
		go.etcd.io/etcd/server/v3; do
		name=${pkg##*/}
		[ "$name" = v3 ] && name=etcd
		if [ -x "$BIN/$name" ]; then
			continue
		fi
		testbed_log "building $name ($pkg) into $BIN"
		t0=$(date +%s)
		local ld=$ldk
		[ "$name" = etcd ] && ld="-s -w"
		(cd "$CP_MOD" && CGO_ENABLED=0 nice -n "$NICE" go build -trimpath \
			-ldflags "$ld" -o "$BIN/$name.tmp" "$pkg")
		mv "$BIN/$name.tmp" "$BIN/$name"
		t1=$(date +%s)
		testbed_log "built $name in $((t1 - t0)) s ($(du -h "$BIN/$name" | cut -f1))"
	done
	if [ -d "$KL_MOD" ]; then
		if [ ! -x "$BIN/zdm-kubelet" ] || [ -n "$(find "$KL_MOD" -newer "$BIN/zdm-kubelet" -type f -print -quit)" ]; then
			testbed_log "building zdm-kubelet"
			(cd "$KL_MOD" && CGO_ENABLED=0 nice -n "$NICE" go build -trimpath \
				-o "$BIN/zdm-kubelet.tmp" .)
			mv "$BIN/zdm-kubelet.tmp" "$BIN/zdm-kubelet"
		fi
	fi
}

# The newest Helm 4 from source (tests/k8s/helm/go.mod) into $HELM_BIN, once;
# part of `build`, not of `start` (the e2e suite skips its tests without it).
testbed_build_helm() {
	local t0 t1
	if [ ! -x "$HELM_BIN" ]; then
		testbed_log "building helm $HELM_VERSION (helm.sh/helm/v4/cmd/helm) into $HELM_BIN"
		t0=$(date +%s)
		mkdir -p "${HELM_BIN%/*}"
		(cd "$HELM_MOD" && CGO_ENABLED=0 nice -n "$NICE" go build -trimpath \
			-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
			-o "$HELM_BIN.tmp.$$" helm.sh/helm/v4/cmd/helm)
		mv "$HELM_BIN.tmp.$$" "$HELM_BIN"
		t1=$(date +%s)
		testbed_log "built helm in $((t1 - t0)) s"
	fi
}

# free_ports N: N distinct free TCP ports on 127.0.0.1.
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# spawn NAME CMD...: start CMD detached (its own session), log and pid in $DIR.
spawn() {
	local name=$1
	shift
	setsid "$@" >"$DIR/$name.log" 2>&1 </dev/null &
	echo $! >"$DIR/$name.pid"
}

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

# ready: the API server answers /readyz with "ok".
ready() {
	[ -f "$DIR/kubeconfig" ] || return 1
	local port token
	port=$(cat "$DIR/apiserver.port" 2>/dev/null) || return 1
	token=$(cut -d, -f1 "$DIR/pki/tokens.csv")
	[ "$(curl -sk --max-time 2 -H "Authorization: Bearer $token" "https://127.0.0.1:$port/readyz" 2>/dev/null)" = ok ]
}

# wait_until SECONDS WHAT CMD...: poll CMD every 0.1 s.
wait_until() {
	local limit=$1 what=$2 i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do
		"$@" && return 0
		for p in etcd kube-apiserver; do
			alive "$p" || { tail -n 30 "$DIR/$p.log" >&2; testbed_die "$p exited while waiting for $what"; }
		done
		sleep 0.1
	done
	testbed_die "$what not reached in ${limit}s (logs in $DIR)"
}

testbed_env() {
	echo "export KUBECONFIG=$DIR/kubeconfig"
	echo "export ZDM_K8S_DIR=$DIR"
}

testbed_start() {
	if ready; then
		testbed_log "already running in $DIR"
		testbed_env
		return 0
	fi
	[ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ] && [ -x "$BIN/kube-controller-manager" ] ||
		testbed_die "the control plane is not built: run $0 build (the first build takes long; see README)"
	testbed_build >&2
	local t0 etcd_port peer_port api_port kcm_port kubelet_port token
	t0=$(date +%s.%N)
	testbed_stop_quiet
	rm -rf "$DIR"
	mkdir -p "$DIR/pki"
	read -r etcd_port peer_port api_port kcm_port kubelet_port <<<"$(free_ports 5)"
	echo "$api_port" >"$DIR/apiserver.port"

	# Certificates and tokens, new for every start.
	local pki=$DIR/pki
	(
		cd "$pki"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
			-subj /CN=zdm-testbed-ca 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
			-subj /CN=kube-apiserver 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc,IP:10.0.0.1\n' >san.ext
		openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out apiserver.crt -days 2 -extfile san.ext 2>/dev/null
		openssl genrsa -out sa.key 2048 2>/dev/null
		openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
	)
	token=$(openssl rand -hex 24)
	echo "$token,admin,admin,system:masters" >"$pki/tokens.csv"
	chmod 600 "$pki"/*.key "$pki/tokens.csv"
	cat >"$DIR/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: zdm
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: zdm
  context: {cluster: zdm, user: admin, namespace: default}
current-context: zdm
KC
	chmod 600 "$DIR/kubeconfig"

	spawn etcd "$BIN/etcd" --name default --data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "default=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn
	spawn kube-apiserver "$BIN/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
		--tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
		--token-auth-file "$pki/tokens.csv" \
		--authorization-mode RBAC \
		--enable-admission-plugins PodSecurity,ServiceAccount,NamespaceLifecycle \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
		--api-audiences https://kubernetes.default.svc \
		--service-cluster-ip-range 10.0.0.0/24 --endpoint-reconciler-type none \
		--kubelet-preferred-address-types InternalIP \
		--v 1
	wait_until 60 "kube-apiserver /readyz" ready

	spawn kube-controller-manager "$BIN/kube-controller-manager" \
		--kubeconfig "$DIR/kubeconfig" \
		--authentication-kubeconfig "$DIR/kubeconfig" --authorization-kubeconfig "$DIR/kubeconfig" \
		--leader-elect=false --bind-address 127.0.0.1 --secure-port "$kcm_port" \
		--controllers job-controller,ttl-after-finished-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,namespace-controller,pod-garbage-collector-controller,deployment-controller,replicaset-controller \
		--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
		--use-service-account-credentials=false \
		--v 1
	if [ "${ZDM_KUBELET:-1}" != 0 ]; then
		local mode=${ZDM_KUBELET_MODE:-auto}
		spawn zdm-kubelet "$BIN/zdm-kubelet" --kubeconfig "$DIR/kubeconfig" \
			--state-dir "$DIR/kubelet" --port "$kubelet_port" --mode "$mode" \
			--image-dir "${ZDM_IMAGE_DIR:-$ROOT/build/image}" --hook-bin "${ZDM_HOOK_BIN:-$ROOT/build/zdm-hook}"
		wait_until 30 "node zdm-node Ready" node_ready
	fi
	# The namespace "default" gets its ServiceAccount from the controller.
	wait_until 30 "serviceaccount default/default" \
		"$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" get serviceaccount default -o name --request-timeout 2s >/dev/null 2>&1
	testbed_log "up in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s: kubernetes $K8S_VERSION, etcd $ETCD_VERSION, state in $DIR"
	testbed_env
}

node_ready() {
	[ "$("$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" get node zdm-node --request-timeout 2s \
		-o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] || {
		alive zdm-kubelet || { tail -n 30 "$DIR/zdm-kubelet.log" >&2; testbed_die "zdm-kubelet exited"; }
		return 1
	}
}

# stop_one NAME: TERM, then KILL after 10 s.
stop_one() {
	local pid i
	[ -f "$DIR/$1.pid" ] || return 0
	pid=$(cat "$DIR/$1.pid")
	kill -TERM "$pid" 2>/dev/null || { rm -f "$DIR/$1.pid"; return 0; }
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$DIR/$1.pid"
}

testbed_stop_quiet() {
	[ -d "$DIR" ] || return 0
	local n id
	for n in zdm-kubelet kube-controller-manager kube-apiserver etcd; do
		stop_one "$n"
	done
	# Containers the kubelet could not stop (it was killed): runc's own.
	if [ -d "$DIR/kubelet/runc" ] && command -v runc >/dev/null; then
		for id in $(runc --root "$DIR/kubelet/runc" list -q 2>/dev/null); do
			runc --root "$DIR/kubelet/runc" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
}

testbed_stop() {
	testbed_stop_quiet
	rm -rf "$DIR"
	testbed_log "stopped ($DIR removed)"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
DIR=${1:-${ZDM_K8S_DIR:-/tmp/zdm-k8s}}
case "$DIR" in /*) ;; *) DIR=$PWD/$DIR ;; esac
case "$cmd" in
build) testbed_build && testbed_build_helm ;;
start) testbed_start ;;
stop) testbed_stop ;;
env) ready || testbed_die "no cluster running in $DIR"; testbed_env ;;
status) ready ;;
bin) echo "$BIN" ;;
helm) echo "$HELM_BIN" ;;
*) testbed_die "usage: k8s-testbed.sh build|start|stop|env|status|bin|helm [DIR]" ;;
esac
