#!/usr/bin/env bats
# helm-zdm render, lint and argocd under valgrind, in their success and
# failure paths: no leak of any kind, no invalid access. (helm itself,
# run as a child, is not traced; tests/valgrind.supp holds the project's
# only suppressions.)

load helm_helpers

# (bats cannot skip from setup_file: the checks are in setup)
setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed (scripts/deps.sh installs it)"
	zdm_skip_under_asan
}

setup_file() {
	zdm_helm_setup_file
	export HELM_BIN="$HELM3"
	D="$BATS_FILE_TMPDIR"
	cp -r "$ZDM_ROOT/chart-example" "$D/plain"
	rm "$D"/plain/templates/zdm-*.yaml "$D/plain/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$D/plain/templates/deployment.yaml"
	zdm_helm 3 template rel "$D/plain" --namespace ns1 >"$D/plain.yaml"
	cp -r "$ZDM_ROOT/chart-example" "$D/broken"
	printf 'CREATE INDEX users_created_idx ON users (created_at);\n' >"$D/broken/migrations/V9__index.sql"
	sed -i 's/backoffLimit: 0/backoffLimit: 3/' "$D/broken/templates/_zdm.tpl"
	printf 'db:\n  password: hunter2\n  url: postgres://u:pw@h/db\n' >>"$D/broken/values.yaml"
	export D
}

vg() {
	valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
		--suppressions="$ZDM_ROOT/tests/valgrind.supp" --error-exitcode=99 "$ZDM_PLUGIN" "$@"
}

@test "plugin memcheck: render in hook, wave and Argo CD mode is clean" {
	run vg render --chart "$D/plain" --release rel --namespace ns1 <"$D/plain.yaml"
	assert_success
	run vg render --chart "$D/plain" --release rel --namespace ns1 --mode wave \
		<"$ZDM_ROOT/tests/data/render/stream/odd.yaml"
	assert_success
	run env ARGOCD_APP_NAME=ns_shop ARGOCD_APP_NAMESPACE=prod ARGOCD_APP_REVISION=abc \
		ARGOCD_APP_PARAMETERS='[{"map":{"zdm.lock.wait":"3m"},"name":"helm-parameters"},{"name":"mode","string":"wave"}]' \
		valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
		--suppressions="$ZDM_ROOT/tests/valgrind.supp" --error-exitcode=99 \
		"$ZDM_PLUGIN" render --argocd --chart "$D/plain" <"$D/plain.yaml"
	assert_success
}

@test "plugin memcheck: render's refusals are clean" {
	for c in not-yaml-unclosed-flow list-document duplicate-zdm-job yaml-alias; do
		run vg render --chart "$D/plain" --release rel --namespace ns1 <"$ZDM_ROOT/tests/data/render/refuse/$c/input.yaml"
		assert_failure 2
	done
	run vg render --chart "$D/broken" <"$D/plain.yaml"
	assert_failure 6
	run vg render --chart "$D/plain" --release rel --namespace ns1 --set zdm.database.existingSecret= <"$D/plain.yaml"
	assert_failure 2
	run vg render --chart "$D/plain" --release rel --namespace ns1 --helm /nonexistent <"$D/plain.yaml"
	assert_failure 1
	run env ARGOCD_APP_NAME=shop ARGOCD_APP_PARAMETERS='[{"name":"colour","string":"red"}]' \
		valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
		"$ZDM_PLUGIN" render --argocd --chart "$D/plain" <"$D/plain.yaml"
	assert_failure 2
}

@test "plugin memcheck: lint clean and broken, every format, is clean" {
	run vg lint "$ZDM_ROOT/chart-example"
	assert_success
	for f in text json github; do
		run vg lint "$D/broken" --output "$f"
		assert_failure 6
	done
	run vg lint "$D/plain" --set zdm.database.existingSecret=
	assert_failure 1
}

@test "plugin memcheck: argocd helm-args and init are clean" {
	cd "$D/plain"
	run env ARGOCD_APP_NAME=shop ARGOCD_APP_NAMESPACE=prod KUBE_VERSION=1.30.0 \
		ARGOCD_APP_PARAMETERS='[{"array":["values.yaml"],"name":"values-files"},{"map":{"a.b":"c,d"},"name":"helm-parameters"}]' \
		valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 \
		"$ZDM_PLUGIN" argocd helm-args
	assert_success
	run vg argocd init
	assert_success
}
