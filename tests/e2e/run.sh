#!/usr/bin/env bash
# The e2e suite: tests/e2e/*.bats against a real control plane
# (scripts/k8s-testbed.sh: etcd, kube-apiserver, kube-controller-manager,
# our process kubelet) and the sandbox PostgreSQL, with real Helm.
# The first run builds the control plane into ${ZDM_CACHE:-~/.cache/zdm}
# (see README). Last line: `e2e: N passed, M failed`.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export ZDM_ROOT=$root
scripts/k8s-testbed.sh build >&2 || { echo "e2e: 0 passed, 1 failed"; exit 1; }
export ZDM_K8S_DIR=${ZDM_K8S_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/zdm-e2e-k8s.XXXXXX")}
trap 'scripts/k8s-testbed.sh stop "$ZDM_K8S_DIR" 2>/dev/null; [ -n "${ZDM_SANDBOX:-}" ] && scripts/pg-sandbox.sh stop "$ZDM_SANDBOX"' EXIT
eval "$(scripts/pg-sandbox.sh start)" || { echo "e2e: 0 passed, 1 failed"; exit 1; }
eval "$(scripts/k8s-testbed.sh start "$ZDM_K8S_DIR")" || { echo "e2e: 0 passed, 1 failed"; exit 1; }
export ZDM_KUBECTL="$(scripts/k8s-testbed.sh bin)/kubectl"
# The third Helm: the newest Helm 4 built from source, when it is built.
helm_src=$(scripts/k8s-testbed.sh helm)
[ -x "$helm_src" ] && export ZDM_HELM_SRC=$helm_src
# The files run side by side, ZDM_E2E_JOBS (default 5: every job of the
# suite at once) at a time: most of a test's time is spent waiting on
# controllers, the kubelet and Helm's polling, not on the CPU. Every test
# has its own namespaces and database. The Argo CD files share one Argo CD
# namespace: they run as one job, in turn. Arguments: bats options
# (--filter REGEX) and files or directories (default tests/e2e); each
# job's TAP output is printed when it ends.
opts=() files=()
while (($#)); do
	case $1 in
	--filter | -f) opts+=("$1" "$2"); shift 2; continue ;;
	*.bats) files+=("$1") ;;
	-*) opts+=("$1") ;;
	*) [ -d "$1" ] && files+=("$1"/*.bats) ;;
	esac
	shift
done
((${#files[@]})) || files=(tests/e2e/*.bats)
jobs=() argo=()
for f in "${files[@]}"; do
	case ${f##*/} in
	argocd-*) argo+=("$f") ;;
	*) jobs+=("$f") ;;
	esac
done
((${#argo[@]})) && jobs=("${argo[*]}" "${jobs[@]}")
out=$(mktemp -d)
running=0
for i in "${!jobs[@]}"; do
	if [ "$running" -ge "${ZDM_E2E_JOBS:-5}" ]; then
		wait -n
		running=$((running - 1))
	fi
	# shellcheck disable=SC2086 # a job is a space-separated list of files
	(t0=$SECONDS
		bats --tap "${opts[@]}" ${jobs[$i]} >"$out/$i.tap" 2>&1
		echo "# ${jobs[$i]} ($((SECONDS - t0)) s)"
		cat "$out/$i.tap") &
	running=$((running + 1))
done
wait
echo "# e2e run: $SECONDS s"
passed=$(cat "$out"/*.tap | grep -c '^ok ')
failed=$(cat "$out"/*.tap | grep -c '^not ok ')
rm -rf "$out"
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
