#!/usr/bin/env bash
# bench-e2e.sh — what zdm costs a release on a real control plane: a no-op
# `helm upgrade --wait` of chart-example (nothing to migrate), timed from
# the moment helm starts to the migrate Job's completion (the API event,
# stamped as the watch delivers it), and to helm's exit (which includes
# the post Job and the rollout). Runs with every Helm the e2e suite has:
# tools/helm3, tools/helm4 and the Helm 4 built from source when built.
#
# Needs the control plane built (scripts/k8s-testbed.sh build, about 50 min
# cold); without it the benchmark says it is skipped and exits 0. Starts
# its own throwaway PostgreSQL (scripts/pg-sandbox.sh) and cluster
# (scripts/k8s-testbed.sh start) and stops both at the end. Figures are
# printed and written to $ZDM_BUILD/bench/e2e.csv, never asserted.
#
# Environment (defaults in brackets): ZDM_BUILD [build], BENCH_E2E_RUNS [5]
# (no-op upgrades per Helm).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ZDM_BUILD=${ZDM_BUILD:-build}
runs=${BENCH_E2E_RUNS:-5}
bin=$(scripts/k8s-testbed.sh bin)
for b in etcd kube-apiserver kube-controller-manager kubectl zdm-kubelet; do
	if [ ! -x "$bin/$b" ]; then
		echo "e2e: skipped: the control plane is not built ($bin/$b missing; scripts/k8s-testbed.sh build)"
		exit 0
	fi
done
helms=()
for v in 3 4; do
	[ -x "tools/helm$v/helm" ] && helms+=("$v:tools/helm$v/helm")
done
src=$(scripts/k8s-testbed.sh helm)
[ -x "$src" ] && helms+=("src:$src")
((${#helms[@]})) || { echo "bench-e2e: error: no Helm in tools/ (scripts/install-helm.sh)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zdm-bench-e2e.XXXXXX")
export ZDM_K8S_DIR="$work/k8s"
watch_pid=
cleanup() {
	[ -z "$watch_pid" ] || kill $watch_pid 2>/dev/null || true
	scripts/k8s-testbed.sh stop "$ZDM_K8S_DIR" >/dev/null 2>&1 || true
	[ -z "${ZDM_SANDBOX:-}" ] || scripts/pg-sandbox.sh stop "$ZDM_SANDBOX" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

eval "$(scripts/pg-sandbox.sh start)"
eval "$(scripts/k8s-testbed.sh start "$ZDM_K8S_DIR" 2>/dev/null)"
k() { "$bin/kubectl" "$@"; }

now_ms() { date +%s%3N; }
csv="$ZDM_BUILD/bench/e2e.csv"
mkdir -p "${csv%/*}"
echo "helm,run,job_ms,helm_ms" >"$csv"
printf '%-5s %-26s %-26s\n' helm "upgrade -> Job complete" "upgrade -> helm exits"
for h in "${helms[@]}"; do
	v=${h%%:*} hb=${h#*:}
	ns="bench-e2e-$v"
	db="zdm_bench_e2e_$v"
	psql -q -X -d postgres -c "create database \"$db\"" >/dev/null
	k create namespace "$ns" >/dev/null
	k label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
	k -n "$ns" create secret generic chart-example-db \
		--from-literal=DATABASE_URL="postgresql://$PGUSER@127.0.0.1:$PGPORT/$db" >/dev/null
	export HELM_DATA_HOME="$work/helm$v/data" HELM_CONFIG_HOME="$work/helm$v/config" HELM_CACHE_HOME="$work/helm$v/cache"
	"$hb" install demo chart-example -n "$ns" --wait --timeout 180s >/dev/null
	jobs_ms=() helm_ms=()
	for ((i = 1; i <= runs; i++)); do
		ev="$work/events-$v-$i"
		# each event stamped as it arrives
		mkfifo "$ev.fifo"
		k -n "$ns" get jobs --watch-only -o 'jsonpath={.metadata.name} {.metadata.uid} {.status.succeeded}{"\n"}' >"$ev.fifo" &
		watch_pid=$!
		while read -r line; do echo "$(now_ms) $line"; done <"$ev.fifo" >"$ev" &
		watch_pid="$watch_pid $!"
		sleep 1 # the watch is established
		old=$(k -n "$ns" get job demo-zdm-migrate -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
		t0=$(now_ms)
		"$hb" upgrade demo chart-example -n "$ns" --wait --timeout 180s >/dev/null
		t1=$(now_ms)
		kill $watch_pid 2>/dev/null || true
		wait $watch_pid 2>/dev/null || true
		watch_pid=
		tj=$(awk -v u="$old" '$2 == "demo-zdm-migrate" && $3 != u && $4 == "1" {print $1; exit}' "$ev")
		[ -n "$tj" ] || { echo "bench-e2e: error: no completion of a new demo-zdm-migrate Job seen (helm $v run $i)" >&2; exit 1; }
		jobs_ms+=($((tj - t0)))
		helm_ms+=($((t1 - t0)))
		echo "$v,$i,$((tj - t0)),$((t1 - t0))" >>"$csv"
	done
	med() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
	minmax() { printf '%s\n' "$@" | sort -n | sed -n '1p;$p' | paste -sd- -; }
	printf '%-5s %-26s %-26s\n' "$v" \
		"$(med "${jobs_ms[@]}") ms (min-max $(minmax "${jobs_ms[@]}"))" \
		"$(med "${helm_ms[@]}") ms (min-max $(minmax "${helm_ms[@]}"))"
	k delete namespace "$ns" --wait=false >/dev/null
done
echo "(median of $runs no-op upgrades per Helm; $csv)"
