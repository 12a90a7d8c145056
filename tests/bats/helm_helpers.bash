# Helpers of the plugin-*.bats suites: real Helm 3 and Helm 4 binaries
# from tools/ (scripts/install-helm.sh puts them there; tests download
# nothing), each with its own throwaway HELM_{DATA,CONFIG,CACHE}_HOME in
# which the plugin is installed from the working tree once per file, and
# YAML -> JSON conversion so rendered manifests are checked with jq, not
# grepped.

load helpers
bats_require_minimum_version 1.5.0

ZDM_PLUGIN="$ZDM_BUILD/helm-zdm"
ZDM_TOOLS=${ZDM_TOOLS:-$ZDM_ROOT/tools}
HELM3="$ZDM_TOOLS/helm3/helm"
HELM4="$ZDM_TOOLS/helm4/helm"

# The Python that has PyYAML (Debian's python3-yaml lives in /usr/bin).
zdm_python_yaml() {
	local p
	for p in /usr/bin/python3 python3; do
		if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Called from setup_file: check the tools, then give each Helm its own
# homes under $BATS_FILE_TMPDIR and install the plugin from the working
# tree into them (a local directory install: a symlink, no provenance
# check on either Helm).
zdm_helm_setup_file() {
	local v
	for v in 3 4; do
		local h="$ZDM_TOOLS/helm$v/helm"
		if [ ! -x "$h" ]; then
			echo "missing $h: run scripts/install-helm.sh (make deps does)" >&2
			return 1
		fi
	done
	[ -x "$ZDM_PLUGIN" ] || { echo "missing $ZDM_PLUGIN: run make" >&2; return 1; }
	# found once per file: zdm_yaml2json runs it for every render
	ZDM_PYTHON_YAML=$(zdm_python_yaml) || { echo "need python3 with PyYAML (Debian: python3-yaml)" >&2; return 1; }
	export ZDM_PYTHON_YAML
	if [ "${1:-}" = install ]; then
		for v in 3 4; do
			zdm_helm "$v" plugin install "$ZDM_ROOT" >"$BATS_FILE_TMPDIR/install$v.log" 2>&1 || {
				cat "$BATS_FILE_TMPDIR/install$v.log" >&2
				return 1
			}
		done
	fi
}

# zdm_helm 3|4 ARGS...: run that Helm with its private homes.
zdm_helm() {
	local v=$1 home="$BATS_FILE_TMPDIR/helm$1"
	shift
	HELM_DATA_HOME="$home/data" HELM_CONFIG_HOME="$home/config" HELM_CACHE_HOME="$home/cache" \
		HELM_PLUGINS="$home/data/plugins" "$ZDM_TOOLS/helm$v/helm" "$@"
}

# zdm_yaml2json < YAML: a JSON array of the non-empty documents.
zdm_yaml2json() {
	"${ZDM_PYTHON_YAML:-$(zdm_python_yaml)}" -c '
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]
json.dump(docs, sys.stdout, sort_keys=True)
'
}

# zdm_new_chart DIR: a fresh `helm create` chart in DIR (its basename is
# the chart name) with two migrations; not injected.
zdm_new_chart() {
	local dir=$1
	mkdir -p "$(dirname "$dir")"
	(cd "$(dirname "$dir")" && zdm_helm 4 create "$(basename "$dir")" >/dev/null)
	mkdir -p "$dir/migrations"
	printf 'create table items (id bigint primary key, name text not null);\n' \
		>"$dir/migrations/V1__create_items.sql"
	printf -- '-- zdm: lock-timeout=2s\nalter table items add column price numeric;\n' \
		>"$dir/migrations/V2__add_price.sql"
}

# zdm_render 3|4 CHART [ARGS...]: helm template into $R (JSON array).
zdm_render() {
	local v=$1 chart=$2
	shift 2
	zdm_helm "$v" template rel "$chart" --namespace ns1 "$@" >"$BATS_TEST_TMPDIR/render.yaml" || return 1
	R=$(zdm_yaml2json <"$BATS_TEST_TMPDIR/render.yaml") || return 1
}

# jqr FILTER: jq -r over the last render.
jqr() {
	jq -r "$@" <<<"$R"
}

# The object of KIND named NAME in the last render, as JSON.
zdm_obj() {
	jq -c --arg k "$1" --arg n "$2" '.[] | select(.kind == $k and .metadata.name == $n)' <<<"$R"
}

# tree_sum DIR: one line per file, "<sha256>  <path>", sorted.
tree_sum() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
