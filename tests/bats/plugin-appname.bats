#!/usr/bin/env bats
# application_name "<release>/<app version>" for the app's sessions, which
# the contract guard counts: the templates' zdm.appEnv (chart-example's
# Deployment uses it) and `helm zdm render --app-name`, on Helm 3 and 4.
# The app version must be the one the hook Jobs record (ZDM_APP_VERSION).

load helm_helpers

setup_file() {
	zdm_helm_setup_file install
	export HELM_BIN="$HELM3"
	D="$BATS_FILE_TMPDIR"
	# a `helm create` chart (not injected) with one workload of each kind
	zdm_new_chart "$D/app"
	cat >"$D/app/templates/workers.yaml" <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}-db-worker
spec:
  serviceName: w
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec:
      initContainers:
        - name: wait
          image: busybox
      containers:
        - name: worker
          image: busybox
          env:
            - name: PGAPPNAME
              value: reporting
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-agent
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
        - name: agent
          image: busybox
          env: []
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-seed
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: seed
          image: busybox
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ .Release.Name }}-nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          initContainers:
            - name: prep
              image: busybox
          containers:
            - name: report
              image: busybox
              env:
                - name: MODE
                  value: nightly
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  a: "1"
YAML
	export D
}

render() {
	"$ZDM_PLUGIN" render "$@"
}

# appnames: "Kind/name/container=PGAPPNAME" of every container of the
# last render ($R), "-" when it has none; sorted.
appnames() {
	jqr -r '.[] | select(.kind != "ConfigMap" and .kind != "Service" and .kind != "ServiceAccount" and .kind != "Pod")
	  | (.spec.jobTemplate.spec.template.spec // .spec.template.spec) as $p
	  | .kind as $k | .metadata.name as $n
	  | (($p.initContainers // []) + $p.containers)[]
	  | "\($k)/\($n)/\(.name)=\(((.env // []) | map(select(.name == "PGAPPNAME")) | .[0].value) // "-")"' | LC_ALL=C sort
}

# --- the template helper ---------------------------------------------

@test "appname: chart-example's Deployment carries PGAPPNAME <release>/<the app version the Jobs record>, Helm 3 and 4" {
	for v in 3 4; do
		run zdm_helm "$v" lint --strict "$ZDM_ROOT/chart-example"
		assert_success
		zdm_render "$v" "$ZDM_ROOT/chart-example"
		run jqr -r '.[] | select(.kind == "Deployment") | .spec.template.spec.containers[0].env[] | select(.name == "PGAPPNAME") | .value'
		assert_output "rel/1.0.0"
		run jqr -r '[.[] | select(.kind == "Job") | .spec.template.spec.containers[0].env[] | select(.name == "ZDM_APP_VERSION" or .name == "ZDM_RELEASE") | .value] | join(" ")'
		assert_output "rel 1.0.0 rel 1.0.0"
		# zdm.appVersion overrides both sides alike
		zdm_render "$v" "$ZDM_ROOT/chart-example" --set zdm.appVersion=2.1.0
		run jqr -r '[.[] | .spec.template.spec.containers[0].env[]? | select(.name == "PGAPPNAME" or .name == "ZDM_APP_VERSION") | .value] | unique | join(" ")'
		assert_output "2.1.0 rel/2.1.0"
	done
}

@test "appname: an application_name longer than PostgreSQL's 63 bytes fails the render" {
	for v in 3 4; do
		run zdm_helm "$v" template rel "$ZDM_ROOT/chart-example" --set zdm.appVersion="$(printf 'v%.0s' {1..70})"
		assert_failure
		assert_output --partial "is longer than PostgreSQL's 63 bytes: shorten the release name or zdm.appVersion"
	done
}

# --- render --app-name ---------------------------------------------------

@test "appname: render --app-name sets PGAPPNAME in every workload container, not in zdm's Jobs, and leaves an existing one alone" {
	for v in 3 4; do
		zdm_helm "$v" template rel "$D/app" --namespace ns1 >"$BATS_TEST_TMPDIR/in.yaml"
		run --separate-stderr render --chart "$D/app" --namespace ns1 --set zdm.database.existingSecret=db --app-name <"$BATS_TEST_TMPDIR/in.yaml"
		assert_success
		printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.yaml"
		[ "$stderr" = 'note: --app-name: StatefulSet "rel-db-worker" container "worker" sets PGAPPNAME already: left alone (the contract guard counts its sessions only as "rel/1.16.0")' ]
		R=$(zdm_yaml2json <"$BATS_TEST_TMPDIR/out.yaml")
		run appnames
		assert_output "CronJob/rel-nightly/prep=rel/1.16.0
CronJob/rel-nightly/report=rel/1.16.0
DaemonSet/rel-agent/agent=rel/1.16.0
Deployment/rel-app/app=rel/1.16.0
Job/rel-seed/seed=rel/1.16.0
Job/rel-zdm-complete/zdm-hook=-
Job/rel-zdm-migrate/zdm-hook=-
StatefulSet/rel-db-worker/wait=rel/1.16.0
StatefulSet/rel-db-worker/worker=reporting"
		# what the Jobs record is what the workloads carry
		run jqr -r '.[] | select(.metadata.name == "rel-zdm-migrate") | .spec.template.spec.containers[0].env[] | select(.name == "ZDM_APP_VERSION") | .value'
		assert_output "1.16.0"
		# the CronJob's other env is kept; the ConfigMap is untouched
		run jqr -c '.[] | select(.kind == "CronJob") | .spec.jobTemplate.spec.template.spec.containers[0].env'
		assert_output '[{"name":"MODE","value":"nightly"},{"name":"PGAPPNAME","value":"rel/1.16.0"}]'
		# rendering the output again changes nothing
		run --separate-stderr render --chart "$D/app" --namespace ns1 --set zdm.database.existingSecret=db --app-name <"$BATS_TEST_TMPDIR/out.yaml"
		assert_success
		cmp <(printf '%s\n' "$output") "$BATS_TEST_TMPDIR/out.yaml"
	done
}

@test "appname: off by default; ZDM_APP_NAME=true turns it on; zdm.appVersion from the values is the version" {
	zdm_helm 4 template rel "$D/app" --namespace ns1 >"$BATS_TEST_TMPDIR/in.yaml"
	run --separate-stderr render --chart "$D/app" --namespace ns1 --set zdm.database.existingSecret=db <"$BATS_TEST_TMPDIR/in.yaml"
	assert_success
	refute_output --partial "PGAPPNAME: rel"
	[[ "$output" != *"rel/1.16.0"* ]]
	printf 'zdm:\n  appVersion: 3.0.0\n' >"$BATS_TEST_TMPDIR/v.yaml"
	run --separate-stderr env ZDM_APP_NAME=true "$ZDM_PLUGIN" render --chart "$D/app" --namespace ns1 --set zdm.database.existingSecret=db \
		--values "$BATS_TEST_TMPDIR/v.yaml" <"$BATS_TEST_TMPDIR/in.yaml"
	assert_success
	R=$(zdm_yaml2json <<<"$output")
	run jqr -r '[.[] | select(.kind == "Deployment" or .kind == "Job") | .spec.template.spec.containers[0].env[]? | select(.name == "PGAPPNAME" or .name == "ZDM_APP_VERSION") | .value] | unique | join(" ")'
	assert_output "3.0.0 rel/3.0.0"
	run --separate-stderr env ZDM_APP_NAME=maybe "$ZDM_PLUGIN" render --chart "$D/app" <"$BATS_TEST_TMPDIR/in.yaml"
	assert_failure 2
	[[ "$stderr" == *'"maybe" is not a boolean'* ]]
}

@test "appname: an injected chart's workloads without the Jobs in the stream (Helm 3 apply): release from the stream, version from the chart" {
	zdm_helm 3 template shop "$ZDM_ROOT/chart-example" --namespace ns1 --show-only templates/deployment.yaml |
		sed '/name: PGAPPNAME/,+1d' >"$BATS_TEST_TMPDIR/in.yaml"
	run --separate-stderr render --chart "$ZDM_ROOT/chart-example" --app-name <"$BATS_TEST_TMPDIR/in.yaml"
	assert_success
	R=$(zdm_yaml2json <<<"$output")
	run appnames
	assert_output "Deployment/shop-chart-example/chart-example=shop/1.0.0"
	run --separate-stderr render --chart "$ZDM_ROOT/chart-example" --app-name --set zdm.appVersion=9.9.9 <"$BATS_TEST_TMPDIR/in.yaml"
	assert_failure 2
	[[ "$stderr" == *"--app-name: the stream has no zdm migration Job to take the app version from, and zdm.appVersion is set with --set"* ]]
}

@test "appname: Argo CD: the app-name parameter, and the release is the one the Jobs record (ARGOCD_APP_NAME)" {
	zdm_helm 4 template shop "$D/app" --namespace prod >"$BATS_TEST_TMPDIR/in.yaml"
	export ARGOCD_APP_NAME=argocd_shop ARGOCD_APP_NAMESPACE=prod
	ARGOCD_APP_PARAMETERS='[{"name":"app-name","string":"true"},{"map":{"zdm.database.existingSecret":"db"},"name":"helm-parameters"}]' \
		run --separate-stderr "$ZDM_PLUGIN" render --argocd --chart "$D/app" <"$BATS_TEST_TMPDIR/in.yaml"
	assert_success
	R=$(zdm_yaml2json <<<"$output")
	run jqr -r '[.[] | select(.kind == "Deployment" or .kind == "Job") | .spec.template.spec.containers[0].env[]? | select(.name == "PGAPPNAME" or .name == "ZDM_RELEASE") | .value] | unique | join(" ")'
	assert_output "argocd_shop argocd_shop/1.16.0"
	# the parameter beats the sidecar's environment
	ZDM_APP_NAME=true ARGOCD_APP_PARAMETERS='[{"name":"app-name","string":"false"},{"map":{"zdm.database.existingSecret":"db"},"name":"helm-parameters"}]' \
		run --separate-stderr "$ZDM_PLUGIN" render --argocd --chart "$D/app" <"$BATS_TEST_TMPDIR/in.yaml"
	assert_success
	[[ "$output" != *argocd_shop/1.16.0* ]]
	ARGOCD_APP_PARAMETERS='[{"name":"app-name","string":"yes"}]' \
		run --separate-stderr "$ZDM_PLUGIN" render --argocd --chart "$D/app" <"$BATS_TEST_TMPDIR/in.yaml"
	assert_failure 2
	[[ "$stderr" == *'app-name "yes" is not one of true|false'* ]]
	# an injected chart's zdm.appEnv (helm template's release "shop")
	# follows the Jobs' release too
	zdm_helm 4 template shop "$ZDM_ROOT/chart-example" --namespace prod >"$BATS_TEST_TMPDIR/ce.yaml"
	run --separate-stderr "$ZDM_PLUGIN" render --argocd --chart "$ZDM_ROOT/chart-example" <"$BATS_TEST_TMPDIR/ce.yaml"
	assert_success
	R=$(zdm_yaml2json <<<"$output")
	run jqr -r '[.[] | .spec.template.spec.containers[0].env[]? | select(.name == "PGAPPNAME" or .name == "ZDM_RELEASE") | .value] | unique | join(" ")'
	assert_output "argocd_shop argocd_shop/1.0.0"
}
