#!/usr/bin/env bats
# The Helm post-renderers: scripts/zdm-post-renderer for Helm 3
# (--post-renderer PATH) and plugin/postrenderer/ for Helm 4 (a
# postrenderer/v1 plugin, --post-renderer zdm-render), on the real
# binaries. Both add the same zdm objects; Helm 4 turns them into real
# hooks; Helm 3, which cannot, is refused at install/upgrade.

load helm_helpers

setup_file() {
	zdm_helm_setup_file
	zdm_helm 4 plugin install "$ZDM_ROOT/plugin/postrenderer" >"$BATS_FILE_TMPDIR/pr-install.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/pr-install.log" >&2
		return 1
	}
	D="$BATS_FILE_TMPDIR"
	cp -r "$ZDM_ROOT/chart-example" "$D/injected"
	cp -r "$ZDM_ROOT/chart-example" "$D/plain"
	rm "$D"/plain/templates/zdm-*.yaml "$D/plain/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$D/plain/templates/deployment.yaml"
	SCRIPT="$ZDM_ROOT/scripts/zdm-post-renderer"
	export D SCRIPT
}

setup() {
	# the post-renderers find helm as their parent process, not HELM_BIN
	unset HELM_BIN
}

# pr 3|4 CHART [helm args...]: helm template through the post-renderer.
pr() {
	local v=$1 chart=$2
	shift 2
	local how=(--post-renderer zdm-render)
	[ "$v" = 3 ] && how=(--post-renderer "$SCRIPT")
	zdm_helm "$v" template rel "$chart" --namespace ns1 "${how[@]}" \
		--post-renderer-args "--chart=$chart" --post-renderer-args --release=rel \
		--post-renderer-args --namespace=ns1 "$@"
}

# The zdm objects of a YAML stream on stdin, as sorted JSON.
zdm_json() {
	zdm_yaml2json | jq -c 'map(select(.metadata.labels["app.kubernetes.io/name"] == "zdm")) | sort_by(.kind, .metadata.name)'
}

@test "post-render: Helm 3 --post-renderer and the Helm 4 plugin add the same zdm objects" {
	pr 3 "$D/plain" >"$BATS_TEST_TMPDIR/h3.yaml"
	pr 4 "$D/plain" >"$BATS_TEST_TMPDIR/h4.yaml"
	a=$(zdm_json <"$BATS_TEST_TMPDIR/h3.yaml")
	b=$(zdm_json <"$BATS_TEST_TMPDIR/h4.yaml")
	[ "$(jq -r 'map("\(.kind)/\(.metadata.name)") | join(" ")' <<<"$a")" = "ConfigMap/rel-zdm-assertions ConfigMap/rel-zdm-migrations Job/rel-zdm-complete Job/rel-zdm-migrate" ]
	[ "$a" = "$b" ]
	# and they are the objects the injected chart renders itself
	[ "$a" = "$(zdm_helm 3 template rel "$D/injected" --namespace ns1 | zdm_json)" ]
}

@test "post-render: Helm 4 makes the added objects hooks, named after zdm's templates" {
	zdm_helm 4 install rel "$D/plain" --namespace ns1 --dry-run=client --post-renderer zdm-render \
		--post-renderer-args "--chart=$D/plain" --post-renderer-args --release=rel \
		--post-renderer-args --namespace=ns1 >"$BATS_TEST_TMPDIR/install.txt"
	# the HOOKS section holds exactly the zdm objects
	run sed -n '/^HOOKS:$/,/^MANIFEST:$/p' "$BATS_TEST_TMPDIR/install.txt"
	hooks=$output
	run grep -c '^kind:' <<<"$hooks"
	assert_output 4
	run grep '^# Source:' <<<"$hooks"
	assert_output "# Source: chart-example/templates/zdm-assertions-configmap.yaml
# Source: chart-example/templates/zdm-migrations-configmap.yaml
# Source: chart-example/templates/zdm-complete-job.yaml
# Source: chart-example/templates/zdm-migrate-job.yaml"
	run sed -n '/^MANIFEST:$/,/^NOTES:$/p' "$BATS_TEST_TMPDIR/install.txt"
	assert_output --partial "kind: Deployment"
	refute_output --partial "app.kubernetes.io/name: zdm"
}

@test "post-render: an injected chart gives the same stream as one that is not (Helm 4, Helm 3)" {
	pr 4 "$D/plain" >"$BATS_TEST_TMPDIR/plain.yaml"
	pr 4 "$D/injected" >"$BATS_TEST_TMPDIR/injected.yaml"
	cmp "$BATS_TEST_TMPDIR/plain.yaml" "$BATS_TEST_TMPDIR/injected.yaml"
	# Helm 3 hands its post-renderer no hooks: the injected chart's own
	# come after, once
	pr 3 "$D/injected" >"$BATS_TEST_TMPDIR/h3.yaml"
	cmp "$BATS_TEST_TMPDIR/h3.yaml" <(zdm_helm 3 template rel "$D/injected" --namespace ns1)
}

@test "post-render: an unsafe migration fails helm template on Helm 3 and Helm 4" {
	cp -r "$D/plain" "$BATS_TEST_TMPDIR/c"
	printf 'CREATE INDEX users_created_idx ON users (created_at);\n' \
		>"$BATS_TEST_TMPDIR/c/migrations/V9__index.sql"
	for v in 3 4; do
		run --separate-stderr pr "$v" "$BATS_TEST_TMPDIR/c"
		assert_failure
		[ -z "$output" ]
		# Helm 4 would swallow it: zdm-render writes to helm's stderr
		[[ "$stderr" == *"/c/migrations/V9__index.sql:1:1: index-not-concurrent: "*"(refusing)"* ]]
		[[ "$stderr" == *"helm-zdm: error: unsafe migration refused: "* ]]
	done
}

@test "post-render: under Helm 3 install/upgrade a chart without the templates is refused" {
	# the script reads its parent's command line: an "upgrade" parent
	run --separate-stderr sh -c '"$1" --chart="$2" --release=rel --namespace=ns1 <"$3"; exit $?' \
		upgrade "$SCRIPT" "$D/plain" "$ZDM_ROOT/tests/data/render/stream/odd.yaml"
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: Helm 3 cannot run hooks a post-renderer adds: chart "chart-example" has no zdm templates, and the migration Job would be applied as an ordinary resource, alongside the rollout'* ]]
	[[ "$stderr" == *'hint: inject the templates (helm zdm inject '"$D"'/plain), then the post-renderer only lints;'* ]]
	# an injected chart passes (its own hooks do the work), linted
	run --separate-stderr sh -c '"$1" --chart="$2" <"$3"; exit $?' \
		install "$SCRIPT" "$D/injected" "$ZDM_ROOT/tests/data/render/stream/odd.yaml"
	assert_success
	cmp <(printf '%s\n' "$output") "$ZDM_ROOT/tests/data/render/stream/odd.yaml"
}

@test "post-render: the Helm 4 plugin is apiVersion v1 and kept out of the top-level plugin.yaml" {
	run zdm_helm 4 plugin list
	assert_output --regexp 'zdm-render[[:space:]]+0\.1\.0[[:space:]]+postrenderer/v1[[:space:]]+v1'
	run grep -c '^apiVersion' "$ZDM_ROOT/plugin.yaml"
	assert_output 0
}
