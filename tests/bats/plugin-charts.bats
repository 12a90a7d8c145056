#!/usr/bin/env bats
# helm zdm inject, lint and render on chart shapes that imitate real
# public charts (tests/data/charts/*/, see its README): for each, on real
# Helm 3 and Helm 4, the injected chart passes `helm lint --strict`,
# `helm template` renders Jobs that carry the chart's own pull secrets
# and scheduling, `helm zdm render` of the uninjected chart gives the same
# bytes (the same documents when the case has render-reordered), every zdm
# name fits in 63 characters, and `helm zdm lint` is clean.

load helm_helpers

setup_file() {
	zdm_helm_setup_file install
	export HELM_BIN="$HELM3"
}

CORPUS="$ZDM_ROOT/tests/data/charts"
SET=(--set zdm.database.existingSecret=app-db)

# job_fields FILE NAME: the inherited pod spec fields of Job NAME in the
# rendered stream FILE, as sorted JSON.
job_fields() {
	zdm_yaml2json <"$1" | jq -S --arg n "$2" '.[] | select(.kind == "Job" and .metadata.name == $n) | .spec.template.spec | {imagePullSecrets, nodeSelector, tolerations, affinity, priorityClassName, serviceAccountName}'
}

# corpus_check CASE: the whole check of one case.
corpus_check() {
	local case=$CORPUS/$1 C="$BATS_TEST_TMPDIR/$1/chart" P="$BATS_TEST_TMPDIR/$1/plain" v line
	mkdir -p "$BATS_TEST_TMPDIR/$1"
	cp -r "$case/chart" "$C"
	cp -r "$case/chart" "$P"
	size=$(stat -c %s "$C/values.yaml")
	# inject: what it says, and values.yaml only appended to
	run "$ZDM_PLUGIN" inject "$C"
	assert_success
	while IFS= read -r line; do
		assert_line "${line//@CHART@/$C}"
	done <"$case/expect-inject.txt"
	cmp <(head -c "$size" "$C/values.yaml") "$P/values.yaml"
	run "$ZDM_PLUGIN" inject "$C"
	assert_success
	assert_output --partial "already has zdm 0.1.0: nothing to change"
	for v in 3 4; do
		run zdm_helm "$v" lint --strict "$C" "${SET[@]}"
		assert_success
		refute_output --partial "[WARNING]"
		# docs/helm.md: Helm's lint mode ignores `fail`, helm template does not
		run zdm_helm "$v" lint --strict "$C"
		assert_success
		run zdm_helm "$v" template rel "$C"
		assert_failure
		assert_output --partial "zdm.database.existingSecret is empty"
		zdm_helm "$v" template rel "$C" --namespace ns1 "${SET[@]}" >"$BATS_TEST_TMPDIR/injected$v.yaml"
		zdm_helm "$v" template rel "$P" --namespace ns1 "${SET[@]}" |
			zdm_helm "$v" zdm render --chart "$P" --release rel --namespace ns1 "${SET[@]}" \
				>"$BATS_TEST_TMPDIR/rendered$v.yaml"
		if [ -e "$case/render-reordered" ]; then
			cmp <(zdm_yaml2json <"$BATS_TEST_TMPDIR/injected$v.yaml" | jq -S 'sort_by(.kind, .metadata.name)') \
				<(zdm_yaml2json <"$BATS_TEST_TMPDIR/rendered$v.yaml" | jq -S 'sort_by(.kind, .metadata.name)')
		else
			cmp "$BATS_TEST_TMPDIR/injected$v.yaml" "$BATS_TEST_TMPDIR/rendered$v.yaml"
		fi
		for job in rel-zdm-migrate rel-zdm-complete; do
			run job_fields "$BATS_TEST_TMPDIR/injected$v.yaml" "$job"
			assert_output "$(jq -S . "$case/expect-job.json")"
		done
		R=$(zdm_yaml2json <"$BATS_TEST_TMPDIR/injected$v.yaml")
		run jqr '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | .metadata.name | length] | max'
		[ "$output" -le 63 ]
	done
	# the chart's own values are not zdm's business: lint is clean
	run "$ZDM_PLUGIN" lint "$C" "${SET[@]}"
	assert_success
	assert_line --regexp ": [0-9]+ migration files?, 0 unsafe, 0 warnings; no chart problems\$"
}

@test "charts: bitnami-style (common library chart, global: and image.pullSecrets)" {
	corpus_check bitnami-style
	# upstream passwords are found only when asked for
	run "$ZDM_PLUGIN" lint "$BATS_TEST_TMPDIR/bitnami-style/chart" "${SET[@]}" --check-values all
	assert_failure 1
	assert_line --regexp "; 1 values-password\$"
}

@test "charts: umbrella chart with two subcharts" {
	corpus_check umbrella
}

@test "charts: a chart with its own pre-install and PreSync Jobs" {
	corpus_check own-migration-job
	# Helm's order among the pre-install hooks: by weight, then name
	R=$(zdm_yaml2json <"$BATS_TEST_TMPDIR/injected4.yaml")
	run jqr -r '[.[] | select(.metadata.annotations["helm.sh/hook"] // "" | test("pre-install")) | select(.kind == "Job") | "\(.metadata.annotations["helm.sh/hook-weight"]) \(.metadata.name)"] | sort_by((split(" ")[0] | tonumber), (split(" ")[1])) | .[]'
	assert_output $'-5 rel-zdm-migrate\n0 rel-ledger-db-init'
}

@test "charts: values with anchors, aliases, merge keys and a duplicate key" {
	corpus_check yaml-tricks
}

@test "charts: fullnameOverride and long release names: distinct zdm names within 63 characters" {
	corpus_check long-names
	C="$BATS_TEST_TMPDIR/long-names/chart"
	a=$(printf 'a%.0s' $(seq 1 50))x
	b=$(printf 'a%.0s' $(seq 1 50))y
	for v in 3 4; do
		zdm_helm "$v" template "$a" "$C" --namespace ns1 "${SET[@]}" >"$BATS_TEST_TMPDIR/a.yaml"
		zdm_helm "$v" template "$b" "$C" --namespace ns1 "${SET[@]}" >"$BATS_TEST_TMPDIR/b.yaml"
		names() { zdm_yaml2json <"$1" | jq -r '.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | .metadata.name' | sort; }
		run comm -12 <(names "$BATS_TEST_TMPDIR/a.yaml") <(names "$BATS_TEST_TMPDIR/b.yaml")
		assert_output ""
		names "$BATS_TEST_TMPDIR/a.yaml" | awk 'length($0) > 63 { bad = 1 } END { exit bad }'
		R=$(zdm_yaml2json <"$BATS_TEST_TMPDIR/a.yaml")
		run jqr -r '.[] | select(.kind == "Job") | .metadata.name'
		assert_line --regexp '^a{39}-[0-9a-f]{8}-zdm-migrate$'
	done
}
