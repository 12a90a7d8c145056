#!/usr/bin/env bats
# The Argo CD config management plugin (plugin/argocd/) exactly as the
# repo-server's sidecar drives it: the init, generate and discover
# commands are read from plugin.yaml (never copied here) and run in a copy
# of the application's source with the environment Argo CD builds
# (ARGOCD_APP_*, KUBE_VERSION, KUBE_API_VERSIONS, ARGOCD_APP_PARAMETERS,
# PARAM_*, ARGOCD_ENV_*) and nothing else. Helm 3, as Argo CD bundles it.

load helm_helpers

setup_file() {
	zdm_helm_setup_file
	D="$BATS_FILE_TMPDIR"
	# the sidecar's PATH: helm and helm-zdm, plus the base tools
	mkdir -p "$D/bin"
	ln -s "$HELM3" "$D/bin/helm"
	ln -s "$ZDM_PLUGIN" "$D/bin/helm-zdm"
	# plugin.yaml's commands, each as NUL-separated argv
	"$(zdm_python_yaml)" - "$ZDM_ROOT/plugin/argocd/plugin.yaml" "$D" <<'EOF'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))["spec"]
steps = {"init": spec["init"], "generate": spec["generate"], "discover": spec["discover"]["find"]}
for name, c in steps.items():
    argv = list(c["command"]) + list(c.get("args") or [])
    with open(f"{sys.argv[2]}/{name}.argv", "wb") as f:
        f.write(b"".join(a.encode() + b"\0" for a in argv))
EOF
	# two copies of the application's repository: apps/shop is
	# chart-example without the zdm templates, or as it is (injected)
	for kind in plain injected; do
		mkdir -p "$D/$kind/apps"
		cp -r "$ZDM_ROOT/chart-example" "$D/$kind/apps/shop"
		printf 'replicaCount: 3\n' >"$D/$kind/apps/shop/values-prod.yaml"
		printf 'podLabels: {team: shared}\n' >"$D/$kind/shared.yaml"
		# the target cluster as Argo CD hands it to helm
		cat >"$D/$kind/apps/shop/templates/capabilities.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: capabilities
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  cronjob: {{ .Capabilities.APIVersions.Has "batch/v1/CronJob" | quote }}
EOF
	done
	rm "$D"/plain/apps/shop/templates/zdm-*.yaml "$D/plain/apps/shop/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$D/plain/apps/shop/templates/deployment.yaml"
	export D
}

setup() {
	PARAMS='[{"array":["values-prod.yaml","../../shared.yaml"],"name":"values-files"},{"map":{"image.tag":"2.0.0,rc1","zdm.lock.wait":"3m"},"name":"helm-parameters"}]'
	EXTRA=()
}

# step NAME DIR: run plugin.yaml's NAME command in DIR with Argo CD's
# environment (plus $PARAMS and the EXTRA=(VAR=value ...) entries).
step() {
	local name=$1 dir=$2 argv
	mapfile -d '' argv <"$D/$name.argv"
	(
		cd "$dir" && env -i PATH="$D/bin:/usr/bin:/bin" HOME="$D/home" \
			HELM_CACHE_HOME="$D/helm/cache" HELM_CONFIG_HOME="$D/helm/config" HELM_DATA_HOME="$D/helm/data" \
			ARGOCD_APP_NAME=shop ARGOCD_APP_NAMESPACE=prod ARGOCD_APP_PROJECT_NAME=default \
			ARGOCD_APP_REVISION=4f2a9c1e0b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 ARGOCD_APP_REVISION_SHORT=4f2a9c1 \
			ARGOCD_APP_REVISION_SHORT_8=4f2a9c1e ARGOCD_APP_SOURCE_REPO_URL=https://example.org/shop.git \
			ARGOCD_APP_SOURCE_PATH=apps/shop ARGOCD_APP_SOURCE_TARGET_REVISION=main \
			KUBE_VERSION=1.30.2 \
			KUBE_API_VERSIONS=apps/v1,apps/v1/Deployment,batch/v1,batch/v1/CronJob,batch/v1/Job,v1,v1/ConfigMap,v1/Service \
			ARGOCD_APP_PARAMETERS="$PARAMS" PARAM_VALUES_FILES_0=values-prod.yaml \
			PARAM_VALUES_FILES_1=../../shared.yaml PARAM_HELM_PARAMETERS_IMAGE_TAG=2.0.0,rc1 \
			PARAM_HELM_PARAMETERS_ZDM_LOCK_WAIT=3m ARGOCD_ENV_TEAM=payments "${EXTRA[@]}" \
			"${argv[@]}"
	)
}

generate() {
	step generate "$D/$1/apps/shop"
}

# The stdout of the last `run --separate-stderr generate` as JSON in $R.
parse() {
	R=$(zdm_yaml2json <<<"$output")
}

# --- conformance -------------------------------------------------------

@test "argocd: --help on stdout; an unknown option, no step or an unknown step is exit 2" {
	run --separate-stderr "$ZDM_PLUGIN" argocd --help
	assert_success
	assert_line --index 0 "usage: helm zdm argocd init|helm-args"
	assert_output --regexp '--helm PATH +the helm binary'
	[ -z "$stderr" ]
	run --separate-stderr "$ZDM_PLUGIN" argocd --bogus
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = 'helm-zdm: error: unknown option "--bogus"
hint: run "helm zdm argocd --help" for its options' ]
	run --separate-stderr "$ZDM_PLUGIN" argocd
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: argocd takes one step: init or helm-args'* ]]
	run --separate-stderr "$ZDM_PLUGIN" argocd frob
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: unknown argocd step "frob"'* ]]
}

# --- the sidecar's steps ------------------------------------------------

@test "argocd: generate renders a chart without the templates with the zdm hooks and the Application's settings" {
	run --separate-stderr generate plain
	assert_success
	[ -z "$stderr" ]
	parse
	# stdout is Kubernetes objects and nothing else
	run jqr -r 'map(select((.apiVersion | type) != "string" or (.kind | type) != "string")) | length'
	assert_output 0
	run jqr -r '[.[] | "\(.kind)/\(.metadata.name)"] | sort | join(" ")'
	assert_output "ConfigMap/capabilities ConfigMap/shop-zdm-assertions ConfigMap/shop-zdm-migrations Deployment/shop-chart-example Job/shop-zdm-complete Job/shop-zdm-migrate Service/shop-chart-example"
	# hooks, as Argo CD reads them
	run jqr -c '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | [.metadata.name, .metadata.annotations["argocd.argoproj.io/hook"], .metadata.annotations["argocd.argoproj.io/sync-wave"]]] | sort'
	assert_output '[["shop-zdm-assertions","PreSync","-10"],["shop-zdm-complete","PostSync","5"],["shop-zdm-migrate","PreSync","-5"],["shop-zdm-migrations","PreSync","-10"]]'
	# values-files in order, helm-parameters (a comma in a value kept), the cluster
	run jqr -c '.[] | select(.kind == "Deployment") | [.spec.replicas, .spec.template.spec.containers[0].image, .spec.template.metadata.labels.team]'
	assert_output '[3,"docker.io/nginxinc/nginx-unprivileged:2.0.0,rc1","shared"]'
	run jqr -c '.[] | select(.metadata.name == "capabilities") | .data'
	assert_output '{"cronjob":"true","kube":"v1.30.2"}'
	# the zdm settings among the parameters reach the Jobs too, and the
	# Jobs carry what Argo CD knows
	run jqr -c '.[] | select(.metadata.name == "shop-zdm-migrate") | .spec.template.spec.containers[0].env | map({(.name): .value}) | add | [.ZDM_LOCK_WAIT, .ZDM_RELEASE, .ZDM_NAMESPACE, .ZDM_SOURCE_REVISION, .ZDM_DEPLOYED_BY, .ZDM_REVISION]'
	assert_output '["3m","shop","prod","4f2a9c1e0b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39","argocd",null]'
}

@test "argocd: generate gives an injected chart the same stream" {
	run --separate-stderr generate plain
	assert_success
	plain=$output
	run --separate-stderr generate injected
	assert_success
	[ "$output" = "$plain" ]
}

@test "argocd: the mode comes from the parameter, else from the Application's env" {
	EXTRA=(ARGOCD_ENV_ZDM_MODE=wave)
	run --separate-stderr generate plain
	assert_success
	parse
	run jqr -c '[.[] | select(.metadata.labels["app.kubernetes.io/component"] == "migrate" or .kind == "Deployment") | [.kind, .metadata.annotations["argocd.argoproj.io/hook"], .metadata.annotations["argocd.argoproj.io/sync-wave"]]]'
	assert_output '[["Deployment",null,"0"],["Job",null,"-5"]]'
	# the mode parameter wins over the env
	PARAMS='[{"name":"mode","string":"hook"}]'
	run --separate-stderr generate plain
	assert_success
	parse
	run jqr -r '.[] | select(.metadata.name == "shop-zdm-migrate") | .metadata.annotations["argocd.argoproj.io/hook"]'
	assert_output PreSync
}

@test "argocd: a failing render exits non-zero with the reason on stderr and nothing on stdout" {
	cp -r "$D/plain" "$BATS_TEST_TMPDIR/repo"
	printf 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' >"$BATS_TEST_TMPDIR/repo/apps/shop/migrations/V9__not_null.sql"
	run --separate-stderr step generate "$BATS_TEST_TMPDIR/repo/apps/shop"
	assert_failure
	[ -z "$output" ]
	[[ "$stderr" == *"migrations/V9__not_null.sql:1:"*"(refusing)"* ]]
	[[ "$stderr" == *"helm-zdm: error: "*"unsafe"*"refused"* ]]
	# parameters that are not what the plugin announced
	for p in 'not json' '[{"name":"values-files","string":"x.yaml"}]' '[{"name":"colour","string":"red"}]' \
		'[{"array":["../../../../etc/passwd"],"name":"values-files"}]' '[{"array":["/etc/hosts"],"name":"values-files"}]'; do
		PARAMS=$p
		run --separate-stderr generate plain
		assert_failure
		[ -z "$output" ]
		[[ "$stderr" == "helm-zdm: error: "* ]] || { echo "$p: $stderr"; false; }
	done
	PARAMS='[{"name":"colour","string":"red"}]'
	run --separate-stderr generate plain
	[[ "$stderr" == 'helm-zdm: error: ARGOCD_APP_PARAMETERS: unknown parameter "colour"'* ]]
	printf 'x: 1\n' >"$D/outside.yaml"
	PARAMS='[{"array":["../../../outside.yaml"],"name":"values-files"}]'
	run --separate-stderr generate plain
	assert_failure
	[[ "$stderr" == 'helm-zdm: error: values file "../../../outside.yaml" is outside the application'"'"'s source'* ]]
	# helm itself failing (a value the chart's templates reject)
	PARAMS='[{"map":{"zdm.database.existingSecret":""},"name":"helm-parameters"}]'
	run --separate-stderr generate injected
	assert_failure
	[ -z "$output" ]
	[[ "$stderr" == *"zdm.database.existingSecret is empty"* ]]
}

@test "argocd: discover matches a chart with migrations/ or .zdm.yaml, and nothing else" {
	mkdir -p "$BATS_TEST_TMPDIR"/{nochart,bare,zdmfile}
	cp -r "$D/plain/apps/shop" "$BATS_TEST_TMPDIR/withmig"
	cp "$D/plain/apps/shop/Chart.yaml" "$BATS_TEST_TMPDIR/bare/"
	cp "$D/plain/apps/shop/Chart.yaml" "$BATS_TEST_TMPDIR/zdmfile/"
	printf 'zdm:\n  migrations:\n    path: db\n' >"$BATS_TEST_TMPDIR/zdmfile/.zdm.yaml"
	mkdir -p "$BATS_TEST_TMPDIR/nochart/migrations"
	for dir in withmig zdmfile; do
		run --separate-stderr step discover "$BATS_TEST_TMPDIR/$dir"
		assert_success
		[ -n "$output" ]
	done
	for dir in bare nochart; do
		run --separate-stderr step discover "$BATS_TEST_TMPDIR/$dir"
		assert_success
		[ -z "$output" ]
	done
}

@test "argocd: init builds missing dependencies, and does nothing without any" {
	run --separate-stderr step init "$D/plain/apps/shop"
	assert_success
	[ -z "$output" ]
	[ ! -e "$D/plain/apps/shop/charts" ]
	mkdir -p "$BATS_TEST_TMPDIR/app"
	(cd "$BATS_TEST_TMPDIR/app" && "$HELM3" create sub >/dev/null && "$HELM3" create web >/dev/null)
	printf 'dependencies:\n  - name: sub\n    version: 0.1.0\n    repository: file://../sub\n' >>"$BATS_TEST_TMPDIR/app/web/Chart.yaml"
	run --separate-stderr step init "$BATS_TEST_TMPDIR/app/web"
	assert_success
	[ -z "$output" ]
	[ -f "$BATS_TEST_TMPDIR/app/web/charts/sub-0.1.0.tgz" ]
	# built once: a second init leaves charts/ alone
	touch -d '2001-01-01' "$BATS_TEST_TMPDIR/app/web/charts/sub-0.1.0.tgz"
	run --separate-stderr step init "$BATS_TEST_TMPDIR/app/web"
	assert_success
	[ "$(stat -c %Y "$BATS_TEST_TMPDIR/app/web/charts/sub-0.1.0.tgz")" = "$(date -d 2001-01-01 +%s)" ]
}

@test "argocd: helm-args are parsed from ARGOCD_APP_PARAMETERS, NUL-separated" {
	touch "$D/plain/apps/shop/.zdm.yaml"
	run step_args
	rm "$D/plain/apps/shop/.zdm.yaml"
	assert_success
	assert_output "shop|.|--namespace|prod|--include-crds|--kube-version|1.30.2|--api-versions|apps/v1,apps/v1/Deployment,batch/v1,batch/v1/CronJob,batch/v1/Job,v1,v1/ConfigMap,v1/Service|--values|.zdm.yaml|--values|values-prod.yaml|--values|../../shared.yaml|--set|image.tag=2.0.0\\,rc1|--set|zdm.lock.wait=3m|"
	# an Application outside Argo CD's namespace: "<namespace>_<name>"
	EXTRA=(ARGOCD_APP_NAME=team-a_shop)
	run step_args
	assert_output --regexp '^shop\|\.\|'
}

@test "argocd: helm-args takes ARGOCD_APP_PARAMETERS=null (Argo CD's JSON null) as no parameters" {
	# the helper itself, not plugin.yaml's shell (which unsets null too)
	PARAMS=null
	run step_args
	assert_success
	assert_output "shop|.|--namespace|prod|--include-crds|--kube-version|1.30.2|--api-versions|apps/v1,apps/v1/Deployment,batch/v1,batch/v1/CronJob,batch/v1/Job,v1,v1/ConfigMap,v1/Service|"
}

# helm-zdm argocd helm-args in the app dir, NUL shown as "|".
step_args() {
	printf 'helm-zdm\0argocd\0helm-args\0' >"$D/args.argv"
	step args "$D/plain/apps/shop" | tr '\0' '|'
}

@test "argocd: the ConfigMap carries plugin.yaml byte for byte, and the sidecar patch mounts it" {
	"$(zdm_python_yaml)" - "$ZDM_ROOT/plugin/argocd" <<'EOF'
import sys, yaml
d = sys.argv[1]
cm = yaml.safe_load(open(f"{d}/configmap.yaml"))
assert cm["kind"] == "ConfigMap" and cm["metadata"]["name"] == "zdm-cmp-plugin"
assert cm["data"]["plugin.yaml"] == open(f"{d}/plugin.yaml").read(), "configmap.yaml is out of date"
patch = yaml.safe_load(open(f"{d}/repo-server-patch.yaml"))
c = patch["spec"]["template"]["spec"]["containers"][0]
assert c["command"] == ["/var/run/argocd/argocd-cmp-server"]
assert c["securityContext"]["runAsUser"] == 999
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["subPath"] == "plugin.yaml"
assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["name"] == "zdm-cmp-plugin"
assert {"/var/run/argocd", "/home/argocd/cmp-server/plugins", "/tmp"} <= set(mounts)
app = yaml.safe_load(open(f"{d}/application.yaml"))
assert app["spec"]["source"]["plugin"]["name"] == yaml.safe_load(open(f"{d}/plugin.yaml"))["metadata"]["name"]
EOF
}
