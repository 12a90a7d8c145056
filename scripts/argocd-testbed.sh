#!/usr/bin/env bash
# Real Argo CD on loopback for the e2e tests: Redis, argocd-repo-server,
# argocd-cmp-server running the project's plugin/argocd/plugin.yaml, and,
# when a Kubernetes API server is reachable (KUBECONFIG), the
# argocd-application-controller against it. Argo CD is built from the Go
# module proxy at the version pinned in tests/argocd/go.mod (one binary;
# the role comes from ARGOCD_BINARY_NAME, as in Argo CD's own Procfile).
#
#   argocd-testbed.sh build          build argocd (once), zdm-argocd-manifests and
#                                    zdm-k8s-watch (tests/argocd)
#   argocd-testbed.sh start [DIR]    start the components with their state in DIR;
#                                    prints the export lines of `env`
#   argocd-testbed.sh stop  [DIR]    stop them (the state directory is removed)
#   argocd-testbed.sh env   [DIR]    print the export lines for a running test bed
#   argocd-testbed.sh status [DIR]   exit 0 when every started component is alive
#   argocd-testbed.sh bin            print the binary directory
#
# DIR defaults to $ZDM_ARGOCD_DIR, else /tmp/zdm-argocd. Binaries live in
# ${ZDM_CACHE:-$HOME/.cache/zdm}/argocd-<version>/bin, outside git. Every
# port is on 127.0.0.1 and picked free at start.
#
# Environment read by start:
#   KUBECONFIG          the cluster for the controller (the k8s test bed's);
#                       unset: no controller (repo-server + CMP only)
#   ZDM_ARGOCD_CONTROLLER=0  never start the controller
#   ZDM_HELM            helm for the CMP (default tools/helm3/helm, installed
#                       by scripts/install-helm.sh: Argo CD bundles Helm 3)
#   ZDM_HELM_ZDM        helm-zdm for the CMP (default build/helm-zdm: make)
#   KUBECTL             kubectl (default: on PATH, else the k8s test bed's)
#   ZDM_ARGOCD_LOGLEVEL the components' --loglevel (default info)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MOD="$ROOT/tests/argocd"
VERSION=$(awk '$1 == "github.com/argoproj/argo-cd/v3" {print $2; exit}' "$MOD/go.mod")
CACHE=${ZDM_CACHE:-$HOME/.cache/zdm}
BIN="$CACHE/argocd-$VERSION/bin"
NICE=${ZDM_NICE:-10}
NS=argocd

log() { printf 'argocd-testbed: %s\n' "$*" >&2; }
die() { printf 'argocd-testbed: error: %s\n' "$*" >&2; exit 1; }

build() {
	mkdir -p "$BIN"
	local t0 v=${VERSION#v}
	if [ ! -x "$BIN/argocd" ]; then
		log "building Argo CD $VERSION (github.com/argoproj/argo-cd/v3/cmd) into $BIN; the first build takes a long while"
		t0=$(date +%s)
		(cd "$MOD" && CGO_ENABLED=0 nice -n "$NICE" go build -trimpath \
			-ldflags "-s -w -X github.com/argoproj/argo-cd/v3/common.version=$v -X github.com/argoproj/argo-cd/v3/common.gitTag=$VERSION -X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean" \
			-o "$BIN/argocd.tmp" github.com/argoproj/argo-cd/v3/cmd)
		mv "$BIN/argocd.tmp" "$BIN/argocd"
		log "built argocd in $(($(date +%s) - t0)) s ($(du -h "$BIN/argocd" | cut -f1))"
	fi
	# the test tools of tests/argocd: cheap once Argo CD's packages are built
	local tool dir
	for tool in zdm-argocd-manifests:manifests zdm-k8s-watch:watch; do
		dir=${tool#*:} tool=${tool%%:*}
		if [ ! -x "$BIN/$tool" ] || [ -n "$(find "$MOD/$dir" "$MOD/go.mod" -newer "$BIN/$tool" -type f -print -quit)" ]; then
			log "building $tool"
			(cd "$MOD" && CGO_ENABLED=0 nice -n "$NICE" go build -trimpath -o "$BIN/$tool.tmp" "./$dir")
			mv "$BIN/$tool.tmp" "$BIN/$tool"
		fi
	done
}

# free_port: a TCP port nobody listens on now, on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT NAME PIDFILE: until PORT accepts connections (30 s), or
# the process died.
wait_port() {
	local port=$1 name=$2 pid i
	pid=$(cat "$3")
	for ((i = 0; i < 300; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { tail -n 20 "$D/log/$name.log" >&2; die "$name exited"; }
		sleep 0.1
	done
	tail -n 20 "$D/log/$name.log" >&2
	die "$name does not listen on $port after 30 s"
}

# spawn NAME CMD...: start CMD in the background in its own process
# group, output to DIR/log/NAME.log, pid in DIR/pid/NAME.
spawn() {
	local name=$1
	shift
	setsid "$@" >"$D/log/$name.log" 2>&1 </dev/null &
	echo $! >"$D/pid/$name"
}

kubectl_bin() {
	if [ -n "${KUBECTL:-}" ]; then
		echo "$KUBECTL"
	elif command -v kubectl >/dev/null; then
		command -v kubectl
	elif [ -x "$ROOT/scripts/k8s-testbed.sh" ] && [ -x "$("$ROOT/scripts/k8s-testbed.sh" bin)/kubectl" ]; then
		echo "$("$ROOT/scripts/k8s-testbed.sh" bin)/kubectl"
	else
		die "no kubectl (set KUBECTL)"
	fi
}

start() {
	[ -x "$BIN/argocd" ] || die "Argo CD is not built: $0 build"
	[ -x "$BIN/zdm-argocd-manifests" ] || die "zdm-argocd-manifests is not built: $0 build"
	command -v redis-server >/dev/null || die "no redis-server (apt-get install redis-server)"
	command -v git >/dev/null || die "no git"
	local helm=${ZDM_HELM:-$ROOT/tools/helm3/helm} hz=${ZDM_HELM_ZDM:-$ROOT/build/helm-zdm}
	[ -x "$helm" ] || die "no helm at $helm (scripts/install-helm.sh)"
	[ -x "$hz" ] || die "no helm-zdm at $hz (make)"
	if [ -e "$D/pid" ]; then
		die "$D holds a test bed already ($0 stop $D)"
	fi
	mkdir -p "$D"/{log,pid,cmp/config,cmp/plugins,cmp/bin,cmp/home,cmp/work,tls,ssh,gpg,tmp}
	D=$(cd "$D" && pwd)

	# the CMP's PATH: helm and helm-zdm first, as in the sidecar image
	ln -sf "$helm" "$D/cmp/bin/helm"
	ln -sf "$hz" "$D/cmp/bin/helm-zdm"
	cp "$ROOT/plugin/argocd/plugin.yaml" "$D/cmp/config/plugin.yaml"

	local redis_port repo_port repo_metrics ctl_metrics
	redis_port=$(free_port)
	spawn redis redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
		--dir "$D/tmp" --protected-mode yes
	wait_port "$redis_port" redis "$D/pid/redis"

	# argocd-cmp-server: reads DIR/cmp/config/plugin.yaml, listens on
	# DIR/cmp/plugins/zdm.sock, unpacks each request under ARGOCD_CMP_WORKDIR
	spawn cmp-server env -u KUBECONFIG ARGOCD_BINARY_NAME=argocd-cmp-server \
		ARGOCD_PLUGINSOCKFILEPATH="$D/cmp/plugins" ARGOCD_CMP_WORKDIR="$D/cmp/work" \
		HOME="$D/cmp/home" TMPDIR="$D/cmp/work" PATH="$D/cmp/bin:/usr/local/bin:/usr/bin:/bin" \
		"$BIN/argocd" --config-dir-path "$D/cmp/config" --loglevel "${ZDM_ARGOCD_LOGLEVEL:-info}" --logformat text
	local i
	for ((i = 0; i < 300; i++)); do
		[ -S "$D/cmp/plugins/zdm.sock" ] && break
		kill -0 "$(cat "$D/pid/cmp-server")" 2>/dev/null || { tail -n 20 "$D/log/cmp-server.log" >&2; die "cmp-server exited"; }
		sleep 0.1
	done
	[ -S "$D/cmp/plugins/zdm.sock" ] || die "cmp-server made no socket in 30 s"

	# argocd-repo-server: plaintext gRPC, the plugin sockets' directory
	repo_port=$(free_port)
	repo_metrics=$(free_port)
	spawn repo-server env -u KUBECONFIG ARGOCD_BINARY_NAME=argocd-repo-server \
		ARGOCD_PLUGINSOCKFILEPATH="$D/cmp/plugins" ARGOCD_GPG_ENABLED=false \
		ARGOCD_TLS_DATA_PATH="$D/tls" ARGOCD_SSH_DATA_PATH="$D/ssh" ARGOCD_GNUPGHOME="$D/gpg" \
		HOME="$D/tmp" TMPDIR="$D/tmp" \
		"$BIN/argocd" --address 127.0.0.1 --port "$repo_port" \
		--metrics-address 127.0.0.1 --metrics-port "$repo_metrics" --disable-tls \
		--redis "127.0.0.1:$redis_port" --loglevel "${ZDM_ARGOCD_LOGLEVEL:-info}" --logformat text
	wait_port "$repo_port" repo-server "$D/pid/repo-server"

	cat >"$D/env" <<EOF
export ZDM_ARGOCD_DIR=$D
export ZDM_ARGOCD_BIN=$BIN
export ARGOCD_REPO_SERVER=127.0.0.1:$repo_port
export ZDM_ARGOCD_REDIS=127.0.0.1:$redis_port
export ZDM_ARGOCD_NAMESPACE=$NS
EOF

	if [ "${ZDM_ARGOCD_CONTROLLER:-1}" != 0 ] && [ -n "${KUBECONFIG:-}" ]; then
		start_controller "$redis_port" "$repo_port"
	else
		log "no KUBECONFIG: repo-server and cmp-server only"
	fi
	cat "$D/env"
}

# The controller's cluster objects: the CRDs of the pinned module, the
# argocd namespace, argocd-cm, argocd-secret and the default AppProject.
start_controller() {
	local redis_port=$1 repo_port=$2 kc crds i
	kc=$(kubectl_bin)
	crds=$(cd "$MOD" && go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)/manifests/crds
	"$kc" apply --server-side -f "$crds/application-crd.yaml" -f "$crds/appproject-crd.yaml" >/dev/null
	# (kubectl wait errors out while a new CRD has no conditions yet)
	local crd
	for crd in applications.argoproj.io appprojects.argoproj.io; do
		for ((i = 0; i < 600; i++)); do
			[ "$("$kc" get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True ] && break
			sleep 0.1
		done
		[ "$i" -lt 600 ] || die "CRD $crd not established in 60 s"
	done
	"$kc" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: $NS
  labels:
    app.kubernetes.io/part-of: argocd
---
apiVersion: v1
kind: Secret
metadata:
  name: argocd-secret
  namespace: $NS
  labels:
    app.kubernetes.io/part-of: argocd
stringData:
  server.secretkey: $(head -c 24 /dev/urandom | base64)
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: default
  namespace: $NS
spec:
  sourceRepos: ['*']
  destinations:
    - server: '*'
      namespace: '*'
  clusterResourceWhitelist:
    - group: '*'
      kind: '*'
EOF
	local ctl_metrics
	ctl_metrics=$(free_port)
	spawn controller env ARGOCD_BINARY_NAME=argocd-application-controller \
		ARGOCD_FAKE_IN_CLUSTER=true KUBECONFIG="$KUBECONFIG" HOSTNAME=zdm-argocd-controller-0 \
		ARGOCD_TLS_DATA_PATH="$D/tls" ARGOCD_SSH_DATA_PATH="$D/ssh" HOME="$D/tmp" TMPDIR="$D/tmp" \
		"$BIN/argocd" --namespace "$NS" --redis "127.0.0.1:$redis_port" \
		--repo-server "127.0.0.1:$repo_port" --repo-server-plaintext \
		--metrics-port "$ctl_metrics" --app-resync 10 --self-heal-timeout-seconds 2 \
		--loglevel "${ZDM_ARGOCD_LOGLEVEL:-info}" --logformat text
	# ready: the metrics endpoint answers once the controller runs
	for ((i = 0; i < 600; i++)); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$ctl_metrics/metrics" 2>/dev/null; then
			break
		fi
		kill -0 "$(cat "$D/pid/controller")" 2>/dev/null || { tail -n 30 "$D/log/controller.log" >&2; die "application-controller exited"; }
		sleep 0.1
	done
	[ "$i" -lt 600 ] || die "application-controller not ready in 60 s"
	cat >>"$D/env" <<EOF
export KUBECONFIG=$KUBECONFIG
export ZDM_ARGOCD_CONTROLLER_METRICS=127.0.0.1:$ctl_metrics
EOF
}

stop() {
	local f pid i
	[ -d "$D/pid" ] || { rm -rf "$D"; return 0; }
	for f in "$D"/pid/*; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	done
	for f in "$D"/pid/*; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	done
	rm -rf "$D"
}

status() {
	local f ok=0
	[ -d "$D/pid" ] || return 1
	for f in "$D"/pid/*; do
		kill -0 "$(cat "$f")" 2>/dev/null || { log "$(basename "$f") is not running"; ok=1; }
	done
	return $ok
}

cmd=${1:-}
[ $# -gt 0 ] && shift
D=${1:-${ZDM_ARGOCD_DIR:-/tmp/zdm-argocd}}
case "$cmd" in
build) build ;;
start) start ;;
stop) stop ;;
env) cat "$D/env" ;;
status) status ;;
bin) echo "$BIN" ;;
*) die "usage: argocd-testbed.sh build|start|stop|env|status|bin [DIR]" ;;
esac
