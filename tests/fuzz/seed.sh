#!/usr/bin/env bash
# Write the fuzzers' seed corpora, tests/fuzz/corpus/NAME/seed-*, from the
# tests' own data: tests/data, the example chart, the YAML the bats suites
# write, and (when scripts/install-helm.sh has put Helm in tools/) the
# example chart rendered by helm template, injected and not. Run it again
# after adding test data; it replaces the seed-* files only. Inputs a
# fuzzer found crashing are kept beside them as crash-* files, by hand.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
c=tests/fuzz/corpus
mkdir -p $c/sql $c/source $c/yaml $c/assert $c/render
rm -f $c/*/seed-*

# a path as a file name: tests/data/lint/x/V1__a.sql -> lint-x-V1__a.sql
flat() { sed -e 's|^tests/data/||' -e 's|^tests/||' -e 's|/|-|g' <<<"$1"; }

# sql: every migration file the tests use
while IFS= read -r f; do
	cp "$f" "$c/sql/seed-$(flat "$f")"
done < <(find tests/data chart-example/migrations tests/rollout -name '*.sql' | sort)

# source: each lint case (and the chart's migrations) as one directory,
# entries "NAME\nCONTENTS" separated by NUL bytes (see fuzz-source.c)
dir_seed() {
	local d=$1 out=$2 first=1 f
	: >"$out"
	for f in "$d"/*.sql; do
		[ -e "$f" ] || continue
		[ $first = 1 ] || printf '\0' >>"$out"
		first=0
		printf '%s\n' "$(basename "$f")" >>"$out"
		cat "$f" >>"$out"
	done
}
while IFS= read -r d; do
	dir_seed "$d" "$c/source/seed-$(flat "$d")"
done < <(find tests/data/lint -name expected -printf '%h\n' | sort)
dir_seed chart-example/migrations "$c/source/seed-chart-example"
dir_seed tests/data/recipes "$c/source/seed-recipes"

# yaml: every YAML file of the tests and the chart
while IFS= read -r f; do
	cp "$f" "$c/yaml/seed-$(flat "$f")"
done < <(find tests/data/render chart-example plugin.yaml -name '*.yaml' -not -path '*/templates/*' | sort)

# assert: the chart's assertions and every heredoc of assert.bats
cp chart-example/zdm/assertions.yaml "$c/assert/seed-chart-example"
awk -v dir="$c/assert" '
	/<<-.Y.$/ { n++; f = sprintf("%s/seed-assert-bats-%02d.yaml", dir, n); on = 1; next }
	on && /^\tY$/ { on = 0; close(f); next }
	on { sub(/^\t/, ""); print > f }
' tests/bats/assert.bats

# render: streams, each also with the option line fuzz-render.c reads
for f in tests/data/render/stream/*.yaml tests/data/render/refuse/*/input.yaml; do
	cp "$f" "$c/render/seed-$(flat "$f")"
done
helm=tools/helm3/helm
if [ -x "$helm" ]; then
	plain=$(mktemp -d)
	trap 'rm -rf "$plain"' EXIT
	cp -r chart-example "$plain/chart"
	rm "$plain"/chart/templates/zdm-*.yaml "$plain/chart/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$plain/chart/templates/deployment.yaml"
	"$helm" template rel chart-example --namespace ns1 >"$c/yaml/seed-chart-example-rendered.yaml"
	"$helm" template rel "$plain/chart" --namespace ns1 >"$c/yaml/seed-chart-example-plain.yaml"
	for flags in "" w a wa n wn e p pw N aN wN; do
		{ [ -z "$flags" ] || printf '#!%s\n' "$flags"; cat "$c/yaml/seed-chart-example-rendered.yaml"; } \
			>"$c/render/seed-chart-example${flags:+-$flags}.yaml"
	done
	{ printf '#!p\n'; cat "$c/yaml/seed-chart-example-plain.yaml"; } >"$c/render/seed-chart-example-plain-p.yaml"
fi
for d in sql source yaml assert render; do
	printf '%s: %s seeds\n' "$d" "$(find "$c/$d" -name 'seed-*' | wc -l)"
done
