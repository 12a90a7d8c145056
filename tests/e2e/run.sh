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
log=$(mktemp)
bats --tap "${@:-tests/e2e}" | tee "$log"
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
rm -f "$log"
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
