#!/usr/bin/env bats
# helm zdm render as a filter: stdin -> stdout, logs on stderr. Byte-for-
# byte pass-through, the objects an injected chart renders added to one
# that is not, hook vs wave mode, Argo CD identity, idempotence, refusals
# (tests/data/render/refuse/*), and the lint gate (exit 6).

load helm_helpers

setup_file() {
	zdm_helm_setup_file install
	export HELM_BIN="$HELM3"
	D="$BATS_FILE_TMPDIR"
	# chart-example as it is (injected), and a copy without the zdm templates
	cp -r "$ZDM_ROOT/chart-example" "$D/injected"
	cp -r "$ZDM_ROOT/chart-example" "$D/plain"
	rm "$D"/plain/templates/zdm-*.yaml "$D/plain/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$D/plain/templates/deployment.yaml"
	zdm_helm 3 template rel "$D/injected" --namespace ns1 >"$D/injected.yaml"
	zdm_helm 3 template rel "$D/plain" --namespace ns1 >"$D/plain.yaml"
	ODD="$ZDM_ROOT/tests/data/render/stream/odd.yaml"
	export D ODD
}

render() {
	"$ZDM_PLUGIN" render "$@"
}

# json FILE: the non-empty documents of a YAML stream as a JSON array.
json() {
	zdm_yaml2json <"$1"
}

# input_part FILE: an output stream up to the first zdm object it added.
input_part() {
	sed -n '/^# Source: chart-example\/templates\/zdm-/q;p' "$1" | sed '$d'
}

# zdm_objs FILE: "Kind/name" of the zdm objects of a stream, sorted.
zdm_objs() {
	json "$1" | jq -r '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | "\(.kind)/\(.metadata.name)"] | sort | join(" ")'
}

# --- conformance -------------------------------------------------------

@test "render: --help on stdout, an unknown option or an argument is exit 2" {
	run --separate-stderr render --help
	assert_success
	assert_line --index 0 "usage: helm zdm render [--chart DIR] [--mode hook|wave] [OPTIONS] < manifests.yaml"
	assert_output --partial "--mode MODE"
	run --separate-stderr render --frobnicate
	assert_failure 2
	[ "$stderr" = 'helm-zdm: error: unknown option "--frobnicate"
hint: run "helm zdm render --help" for its options' ]
	run --separate-stderr render --mode sideways
	assert_failure 2
	[[ "$stderr" == *'"sideways" is not one of hook|wave'* ]]
	run --separate-stderr render extra </dev/null
	assert_failure 2
	[[ "$stderr" == *'render takes no arguments (got "extra")'* ]]
	run --separate-stderr render --chart "$D/nowhere" </dev/null
	assert_failure 2
	[[ "$stderr" == *'chart directory "'"$D"'/nowhere" does not exist'* ]]
}

# --- pass-through and adding -------------------------------------------

@test "render: an injected chart passes through byte for byte, odd documents included" {
	cat "$ODD" "$D/injected.yaml" >"$BATS_TEST_TMPDIR/in.yaml"
	run --separate-stderr render --chart "$D/injected" <"$BATS_TEST_TMPDIR/in.yaml"
	assert_success
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/out.yaml"
	# $output loses the final newline: compare the stream with it
	cmp <(printf '%s\n' "$output") "$BATS_TEST_TMPDIR/in.yaml"
	[ -z "$stderr" ]
}

@test "render: a chart without the templates gets exactly what the injected chart renders" {
	run --separate-stderr render --chart "$D/plain" --release rel --namespace ns1 <"$D/plain.yaml"
	assert_success
	cmp <(printf '%s\n' "$output") "$D/injected.yaml"
	[ -z "$stderr" ]
	[ "$(zdm_objs "$D/injected.yaml")" = "ConfigMap/rel-zdm-assertions ConfigMap/rel-zdm-migrations Job/rel-zdm-complete Job/rel-zdm-migrate" ]
}

@test "render: every input byte comes first and unchanged, then the zdm objects" {
	render --chart "$D/plain" --release rel --namespace ns1 <"$ODD" >"$BATS_TEST_TMPDIR/out.yaml"
	size=$(stat -c %s "$ODD")
	cmp <(head -c "$size" "$BATS_TEST_TMPDIR/out.yaml") "$ODD"
	[ "$(zdm_objs "$BATS_TEST_TMPDIR/out.yaml")" = "ConfigMap/rel-zdm-assertions ConfigMap/rel-zdm-migrations Job/rel-zdm-complete Job/rel-zdm-migrate" ]
	# and the odd documents still mean what they meant
	[ "$(json "$ODD" | jq -c .)" = "$(json "$BATS_TEST_TMPDIR/out.yaml" | jq -c '[.[] | select(.metadata.labels["app.kubernetes.io/name"] != "zdm")]')" ]
}

@test "render: rendering rendered output changes nothing (hook and wave mode)" {
	for mode in hook wave; do
		render --chart "$D/plain" --release rel --namespace ns1 --mode $mode <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/1.yaml"
		render --chart "$D/plain" --release rel --namespace ns1 --mode $mode <"$BATS_TEST_TMPDIR/1.yaml" >"$BATS_TEST_TMPDIR/2.yaml"
		cmp "$BATS_TEST_TMPDIR/1.yaml" "$BATS_TEST_TMPDIR/2.yaml"
		# the injected chart gives the same stream in either mode
		render --chart "$D/injected" --mode $mode <"$D/injected.yaml" >"$BATS_TEST_TMPDIR/3.yaml"
		cmp "$BATS_TEST_TMPDIR/1.yaml" "$BATS_TEST_TMPDIR/3.yaml"
	done
}

@test "render: the release and namespace come from the flags, else from the stream" {
	# helm create charts label everything with the release; chart-example
	# sets metadata.namespace nowhere: --namespace is needed
	run --separate-stderr render --chart "$D/plain" <"$D/plain.yaml"
	assert_failure 2
	[ "$stderr" = 'helm-zdm: error: cannot tell the release namespace from the stream
hint: pass --namespace NS (a post-renderer is not told the namespace; the migration Job records it in the deployment log)' ]
	render --chart "$D/plain" --namespace ns1 <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/out.yaml"
	cmp "$BATS_TEST_TMPDIR/out.yaml" "$D/injected.yaml"
	# HELM_NAMESPACE (helm zdm render -n NS) counts too
	HELM_NAMESPACE=ns1 render --chart "$D/plain" <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/out.yaml"
	cmp "$BATS_TEST_TMPDIR/out.yaml" "$D/injected.yaml"
	run --separate-stderr render --chart "$D/plain" --namespace ns1 <"$ODD"
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: cannot tell the release name from the stream'* ]]
}

# --- hook and wave mode ------------------------------------------------

@test "render: hook mode keeps the templates' Helm and Argo CD hooks" {
	render --chart "$D/plain" --release rel --namespace ns1 <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/out.yaml"
	R=$(json "$BATS_TEST_TMPDIR/out.yaml")
	run jqr -c '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | {n: .metadata.name, h: .metadata.annotations["argocd.argoproj.io/hook"], w: .metadata.annotations["argocd.argoproj.io/sync-wave"], helm: .metadata.annotations["helm.sh/hook"]}] | sort_by(.n)'
	assert_output '[{"n":"rel-zdm-assertions","h":"PreSync","w":"-10","helm":"pre-install,pre-upgrade"},{"n":"rel-zdm-complete","h":"PostSync","w":"5","helm":"post-install,post-upgrade,post-rollback"},{"n":"rel-zdm-migrate","h":"PreSync","w":"-5","helm":"pre-install,pre-upgrade"},{"n":"rel-zdm-migrations","h":"PreSync","w":"-10","helm":"pre-install,pre-upgrade"}]'
	# the workloads are left alone
	run jqr -c '.[] | select(.kind == "Deployment") | .metadata.annotations'
	assert_output 'null'
}

@test "render: wave mode turns the migration hooks into sync waves before the workloads" {
	render --chart "$D/plain" --release rel --namespace ns1 --mode wave <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/out.yaml"
	R=$(json "$BATS_TEST_TMPDIR/out.yaml")
	# ConfigMaps and the migration Job: ordinary resources, no hook annotation left
	run jqr -c '[.[] | select(.metadata.labels["app.kubernetes.io/component"] | IN("migrations", "assertions", "migrate")) | {n: .metadata.name, a: .metadata.annotations}] | sort_by(.n)'
	assert_output '[{"n":"rel-zdm-assertions","a":{"argocd.argoproj.io/sync-wave":"-10"}},{"n":"rel-zdm-migrate","a":{"argocd.argoproj.io/sync-options":"Force=true,Replace=true","argocd.argoproj.io/sync-wave":"-5"}},{"n":"rel-zdm-migrations","a":{"argocd.argoproj.io/sync-wave":"-10"}}]'
	# the Job: bounded, not self-deleting, re-created when a migration changes
	run jqr -c '.[] | select(.metadata.name == "rel-zdm-migrate") | [.spec.activeDeadlineSeconds, .spec.backoffLimit, .spec.ttlSecondsAfterFinished, (.spec.template.metadata.annotations["checksum/zdm-migrations"] | test("^[0-9a-f]{8}$"))]'
	assert_output '[240,0,null,true]'
	# the rollout-complete Job stays a PostSync hook
	run jqr -r '.[] | select(.metadata.name == "rel-zdm-complete") | .metadata.annotations["argocd.argoproj.io/hook"]'
	assert_output PostSync
	# the Deployment gets a wave after the Job's
	run jqr -c '.[] | select(.kind == "Deployment") | .metadata.annotations'
	assert_output '{"argocd.argoproj.io/sync-wave":"0"}'
}

@test "render: wave mode changes a workload by inserted lines only, comments and CRLF kept" {
	render --chart "$D/plain" --release rel --namespace ns1 --mode wave <"$ODD" >"$BATS_TEST_TMPDIR/out.yaml"
	# the input part grew by the inserted lines: 2 for the Deployment
	# (no annotations yet), 1 (CRLF) for the StatefulSet; the CronJob
	# has its own wave and is left alone
	run diff "$ODD" <(input_part "$BATS_TEST_TMPDIR/out.yaml")
	assert_output "28a29,30
>   annotations:
>     argocd.argoproj.io/sync-wave: \"0\"
49a52
>     argocd.argoproj.io/sync-wave: \"0\""$'\r'
	grep -q $'    argocd.argoproj.io/sync-wave: "0"\r$' "$BATS_TEST_TMPDIR/out.yaml"
	R=$(json "$BATS_TEST_TMPDIR/out.yaml")
	run jqr -r '.[] | select(.kind == "CronJob") | .metadata.annotations["argocd.argoproj.io/sync-wave"]'
	assert_output 3
}

@test "render: a workload with a wave before the Job's is kept, with a warning" {
	sed 's/sync-wave: "3"/sync-wave: "-20"/' "$ODD" >"$BATS_TEST_TMPDIR/in.yaml"
	run --separate-stderr render --chart "$D/plain" --release rel --namespace ns1 --mode wave <"$BATS_TEST_TMPDIR/in.yaml"
	assert_success
	[ "$stderr" = 'note: wave mode: CronJob "nightly" has sync-wave -20, not after the migration Job'"'"'s -5: it may roll before the migrations ran' ]
}

@test "render: wave mode gives a Job without a deadline one, and says so" {
	cp -r "$D/plain" "$BATS_TEST_TMPDIR/c"
	run --separate-stderr render --chart "$BATS_TEST_TMPDIR/c" --release rel --namespace ns1 --mode wave \
		--set zdm.job.activeDeadlineSeconds=0 <"$D/plain.yaml"
	assert_success
	[[ "$stderr" == 'note: wave mode: Job "rel-zdm-migrate" had no activeDeadlineSeconds; set to 240 so a stuck Job cannot hold the sync forever'* ]]
	R=$(zdm_yaml2json <<<"$output")
	run jqr '.[] | select(.metadata.name == "rel-zdm-migrate") | .spec.activeDeadlineSeconds'
	assert_output 240
}

@test "render: re-emitted ConfigMaps carry the migrations byte for byte" {
	cp -r "$D/plain" "$BATS_TEST_TMPDIR/c"
	printf -- '-- "quotes", \\backslash\\, {{ .Values }}, caf\xc3\xa9 \xe2\x98\x95\r\nselect 1;\t\r\n  \n\tselect 2 ;  ' \
		>"$BATS_TEST_TMPDIR/c/migrations/V9__odd_bytes.sql"
	render --chart "$BATS_TEST_TMPDIR/c" --release rel --namespace ns1 --mode wave <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/out.yaml"
	R=$(json "$BATS_TEST_TMPDIR/out.yaml")
	for f in "$BATS_TEST_TMPDIR"/c/migrations/*.sql; do
		jqr -j --arg k "$(basename "$f")" '.[] | select(.metadata.name == "rel-zdm-migrations") | .data[$k]' >"$BATS_TEST_TMPDIR/got"
		cmp "$BATS_TEST_TMPDIR/got" "$f"
	done
}

# --- Argo CD identity --------------------------------------------------

@test "render: --argocd stamps the Jobs with the Application, namespace and revision" {
	run --separate-stderr env ARGOCD_APP_NAME=argocd_shop ARGOCD_APP_NAMESPACE=prod \
		ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567 \
		"$ZDM_PLUGIN" render --argocd --chart "$D/plain" <"$D/plain.yaml"
	assert_success
	R=$(zdm_yaml2json <<<"$output")
	for job in shop-zdm-migrate shop-zdm-complete; do
		run jqr -c --arg n "$job" '.[] | select(.metadata.name == $n) | .spec.template.spec.containers[0].env | map({(.name): .value}) | add | {ZDM_RELEASE, ZDM_NAMESPACE, ZDM_SOURCE_REVISION, ZDM_DEPLOYED_BY, ZDM_REVISION}'
		assert_output '{"ZDM_RELEASE":"argocd_shop","ZDM_NAMESPACE":"prod","ZDM_SOURCE_REVISION":"0123456789abcdef0123456789abcdef01234567","ZDM_DEPLOYED_BY":"argocd","ZDM_REVISION":null}'
	done
	# the Helm release name drops Argo CD's "<namespace>_" prefix
	run jqr -r '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | .metadata.labels["app.kubernetes.io/instance"]] | unique | join(" ")'
	assert_output shop
}

@test "render: --argocd without ARGOCD_APP_NAME or with empty input is refused" {
	run --separate-stderr env -u ARGOCD_APP_NAME "$ZDM_PLUGIN" render --argocd --chart "$D/plain" <"$D/plain.yaml"
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: ARGOCD_APP_NAME is not set'* ]]
	run --separate-stderr env ARGOCD_APP_NAME=shop "$ZDM_PLUGIN" render --argocd --chart "$D/plain" <<<'# nothing'
	assert_failure 2
	[ "$stderr" = 'helm-zdm: error: stdin holds no Kubernetes objects
hint: an empty manifest would prune every resource of the application: check the command that renders the chart' ]
	[ -z "$output" ]
}

# --- refusals ----------------------------------------------------------

@test "render: malformed streams are refused naming the document and line (tests/data/render/refuse)" {
	n=0
	for c in "$ZDM_ROOT"/tests/data/render/refuse/*/; do
		run --separate-stderr render --chart "$D/plain" --release rel --namespace ns1 <"$c/input.yaml"
		[ "$status" -eq 2 ] || { echo "case $c: exit $status"; false; }
		[ -z "$output" ] || { echo "case $c: stdout: $output"; false; }
		[ "$stderr" = "$(cat "$c/expected")" ] || { echo "case $c:"; diff <(echo "$stderr") "$c/expected"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 8 ]
}

@test "render: Helm 3 install/upgrade input for a chart without the templates is refused" {
	run --separate-stderr render --chart "$D/plain" --release rel --namespace ns1 --helm3-apply <"$D/plain.yaml"
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: Helm 3 cannot run hooks a post-renderer adds: chart "chart-example" has no zdm templates'* ]]
	# an injected chart renders its own hooks: the stream passes, linted
	run --separate-stderr render --chart "$D/injected" --helm3-apply <"$D/plain.yaml"
	assert_success
	cmp <(printf '%s\n' "$output") "$D/plain.yaml"
}

@test "render: helm's failure to render the zdm templates is exit 2 with helm's reason" {
	cp -r "$D/plain" "$BATS_TEST_TMPDIR/c"
	run --separate-stderr render --chart "$BATS_TEST_TMPDIR/c" --release rel --namespace ns1 \
		--set zdm.database.existingSecret= <"$D/plain.yaml"
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: rendering zdm'"'"'s templates for chart "chart-example" failed (helm exit 1)
detail: Error: execution error at (chart-example/templates/zdm-'*'zdm.database.existingSecret is empty'* ]]
	[ -z "$output" ]
	run --separate-stderr render --chart "$BATS_TEST_TMPDIR/c" --release rel --namespace ns1 --helm /nonexistent/helm <"$D/plain.yaml"
	assert_failure 1
	[[ "$stderr" == 'helm-zdm: error: cannot run "/nonexistent/helm": No such file or directory'* ]]
}

# --- the lint gate -------------------------------------------------------

@test "render: an unsafe migration fails the render with exit 6 and nothing on stdout" {
	cp -r "$D/plain" "$BATS_TEST_TMPDIR/c"
	printf 'CREATE INDEX users_created_idx ON users (created_at);\n' >"$BATS_TEST_TMPDIR/c/migrations/V9__index.sql"
	run --separate-stderr render --chart "$BATS_TEST_TMPDIR/c" --release rel --namespace ns1 <"$D/plain.yaml"
	assert_failure 6
	[ -z "$output" ]
	[[ "$stderr" == *"/c/migrations/V9__index.sql:1:1: index-not-concurrent: "*"(refusing)"* ]]
	[[ "$stderr" == *'helm-zdm: error: unsafe migration refused: '*'/c/migrations/V9__index.sql:1:1: index-not-concurrent: '* ]]
	# the same gate when the chart is injected and passes through
	cp -r "$D/injected" "$BATS_TEST_TMPDIR/i"
	cp "$BATS_TEST_TMPDIR/c/migrations/V9__index.sql" "$BATS_TEST_TMPDIR/i/migrations/"
	run --separate-stderr render --chart "$BATS_TEST_TMPDIR/i" <"$D/injected.yaml"
	assert_failure 6
	[ -z "$output" ]
}

@test "render: --migrations names another directory; a missing one is exit 2" {
	mkdir -p "$BATS_TEST_TMPDIR/db"
	cp "$D"/plain/migrations/V1__*.sql "$BATS_TEST_TMPDIR/db/"
	render --chart "$D/plain" --release rel --namespace ns1 --migrations "$BATS_TEST_TMPDIR/db" <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/out.yaml"
	R=$(json "$BATS_TEST_TMPDIR/out.yaml")
	run jqr -r '.[] | select(.metadata.name == "rel-zdm-migrations") | .data | keys | join(" ")'
	assert_output "V1__create_users.sql"
	run --separate-stderr render --chart "$D/plain" --release rel --namespace ns1 --migrations "$BATS_TEST_TMPDIR/none" <"$D/plain.yaml"
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: migrations directory "'"$BATS_TEST_TMPDIR"'/none" does not exist'* ]]
}

@test "render: .zdm.yaml configures a chart that is not injected" {
	cp -r "$D/plain" "$BATS_TEST_TMPDIR/c"
	printf 'zdm:\n  hooks:\n    jobWeight: -3\n  lock:\n    wait: 7m\n' >"$BATS_TEST_TMPDIR/c/.zdm.yaml"
	render --chart "$BATS_TEST_TMPDIR/c" --release rel --namespace ns1 <"$D/plain.yaml" >"$BATS_TEST_TMPDIR/out.yaml"
	R=$(json "$BATS_TEST_TMPDIR/out.yaml")
	run jqr -c '.[] | select(.metadata.name == "rel-zdm-migrate") | [.metadata.annotations["helm.sh/hook-weight"], (.spec.template.spec.containers[0].env[] | select(.name == "ZDM_LOCK_WAIT") | .value)]'
	assert_output '["-3","7m"]'
}

@test "render: helm zdm render runs as a plugin command on Helm 3 and Helm 4 (-n is the namespace)" {
	for v in 3 4; do
		run --separate-stderr zdm_helm "$v" zdm render --chart "$D/plain" --release rel -n ns1 <"$D/plain.yaml"
		assert_success
		cmp <(printf '%s\n' "$output") "$D/injected.yaml"
	done
}
