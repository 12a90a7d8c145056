# Helpers of the tests/e2e/argocd*.bats suites: a real Argo CD (built from
# the Go module proxy by scripts/argocd-testbed.sh, the version pinned in
# tests/argocd/go.mod) drives the project's plugin/argocd/plugin.yaml.
# Applications point at local file:// git repositories made by the tests.

load ../bats/helm_helpers

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
