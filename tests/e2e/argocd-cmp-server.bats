#!/usr/bin/env bats
# Real argocd-repo-server and argocd-cmp-server (Argo CD built from the Go
# module proxy) generate an Application's manifests through the project's
# plugin/argocd/plugin.yaml: the repo-server clones a local file:// git
# repository, resolves the revision, and streams the application's
# directory to the CMP server over its unix socket; the CMP server runs
# plugin.yaml's discover, init and generate with the environment Argo CD
# builds. The request is the one the application controller sends
# (tests/argocd/manifests). No Kubernetes needed: argocd-sync.bats drives
# the same through the controller against the k8s test bed.

load argocd_helpers

setup_file() {
	zdm_helm_setup_file
	argocd_up
	G="$BATS_FILE_TMPDIR/git"
	# one repository: apps/shop (no zdm templates), apps/shop-injected
	# (chart-example as it is), shared values outside the chart
	plain_chart "$G/apps/shop"
	injected_chart "$G/apps/shop-injected"
	for c in shop shop-injected; do
		printf 'replicaCount: 3\n' >"$G/apps/$c/values-prod.yaml"
		cat >"$G/apps/$c/templates/capabilities.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: capabilities
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  cronjob: {{ .Capabilities.APIVersions.Has "batch/v1/CronJob" | quote }}
EOF
	done
	printf 'podLabels: {team: shared}\n' >"$G/shared.yaml"
	git_repo "$G"
	export G
}

teardown_file() {
	argocd_down
}

# app NAME PATH [PLUGIN-YAML]: an Application manifest in $BATS_TEST_TMPDIR/NAME.yaml
# whose source is apps/PATH of the test repository through the zdm plugin
# with values files and parameters; PLUGIN-YAML replaces the plugin block.
app() {
	local name=$1 path=$2 plugin=${3:-}
	if [ -z "$plugin" ]; then
		plugin='      name: zdm
      parameters:
        - name: values-files
          array: [values-prod.yaml, ../../shared.yaml]
        - name: helm-parameters
          map:
            image.tag: "2.0.0,rc1"
            zdm.lock.wait: 3m
            zdm.database.existingSecret: shop-db'
	fi
	application_yaml "$name" prod "$path" "$plugin" >"$BATS_TEST_TMPDIR/$name.yaml"
	A="$BATS_TEST_TMPDIR/$name.yaml"
}

@test "argocd repo-server: the zdm CMP renders an uninjected chart with the Application's identity, values files and parameters" {
	app shop shop
	run --separate-stderr manifests "$A" --kube-version 1.35.4
	assert_success
	[[ "$stderr" == *"source type Plugin"* ]]
	R=$(zdm_yaml2json <<<"$output")
	run jqr -r '[.[] | "\(.kind)/\(.metadata.name)"] | sort | join(" ")'
	assert_output "ConfigMap/capabilities ConfigMap/shop-zdm-assertions ConfigMap/shop-zdm-migrations Deployment/shop-chart-example Job/shop-zdm-complete Job/shop-zdm-migrate Service/shop-chart-example"
	# the hooks as the controller will read them
	run jqr -c '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | [.metadata.name, .metadata.annotations["argocd.argoproj.io/hook"], .metadata.annotations["argocd.argoproj.io/sync-wave"]]] | sort'
	assert_output '[["shop-zdm-assertions","PreSync","-10"],["shop-zdm-complete","PostSync","5"],["shop-zdm-migrate","PreSync","-5"],["shop-zdm-migrations","PreSync","-10"]]'
	# values files in order and the helm parameters (a comma kept)
	run jqr -c '.[] | select(.kind == "Deployment") | [.spec.replicas, .spec.template.spec.containers[0].image, .spec.template.metadata.labels.team]'
	assert_output '[3,"docker.io/nginxinc/nginx-unprivileged:2.0.0,rc1","shared"]'
	# the cluster as the controller reports it
	run jqr -c '.[] | select(.metadata.name == "capabilities") | .data'
	assert_output '{"cronjob":"true","kube":"v1.35.4"}'
	# what Argo CD knows, from Argo CD itself: the commit the repo-server
	# resolved main to, the Application's name and destination namespace
	rev=$(git_head "$G")
	run jqr -c '.[] | select(.metadata.name == "shop-zdm-migrate") | .spec.template.spec.containers[0].env | map({(.name): .value}) | add | [.ZDM_RELEASE, .ZDM_NAMESPACE, .ZDM_SOURCE_REVISION, .ZDM_DEPLOYED_BY, .ZDM_LOCK_WAIT, .ZDM_REVISION]'
	assert_output "[\"shop\",\"prod\",\"$rev\",\"argocd\",\"3m\",null]"
	run jqr -r '.[] | select(.metadata.name == "shop-zdm-migrate") | .spec.template.spec.containers[0].envFrom[0].secretRef.name'
	assert_output shop-db
	# the migrations packed are the chart's
	run jqr -r '.[] | select(.metadata.name == "shop-zdm-migrations") | .data | keys | join(" ")'
	assert_output "V1__create_users.sql V2__rename_full_name.sql"
}

@test "argocd repo-server: an injected chart gives the same objects, none added twice" {
	app shop shop
	run --separate-stderr manifests "$A"
	echo "$stderr"
	assert_success
	plain=$(zdm_yaml2json <<<"$output")
	app shop shop-injected
	run --separate-stderr manifests "$A"
	echo "$stderr"
	assert_success
	R=$(zdm_yaml2json <<<"$output")
	run jqr -r '[.[] | "\(.kind)/\(.metadata.name)"] | group_by(.) | map(select(length > 1)) | length'
	assert_output 0
	# the same objects but for the chart's own path in the tracking data
	[ "$(jq -S 'sort_by(.kind, .metadata.name)' <<<"$plain")" = "$(jqr -S 'sort_by(.kind, .metadata.name)')" ]
}

@test "argocd repo-server: plugin: {} discovers the zdm CMP (migrations/ beside Chart.yaml)" {
	app shop shop '      {}'
	run --separate-stderr manifests "$A"
	echo "$stderr"
	assert_success
	[[ "$stderr" == *"source type Plugin"* ]]
	R=$(zdm_yaml2json <<<"$output")
	run jqr -r '.[] | select(.metadata.name == "shop-zdm-migrate") | .metadata.annotations["argocd.argoproj.io/hook"]'
	assert_output PreSync
}

@test "argocd repo-server: mode wave, from the parameter or the Application's env" {
	for plugin in '      name: zdm
      parameters:
        - name: mode
          string: wave' '      name: zdm
      env:
        - name: ZDM_MODE
          value: wave'; do
		app shop shop "$plugin"
		run --separate-stderr manifests "$A"
		echo "$stderr"
		assert_success
		R=$(zdm_yaml2json <<<"$output")
		# the migration Job is an ordinary resource at wave -5, the
		# Deployment after it; the rollout Job stays a PostSync hook
		run jqr -c '[.[] | select(.kind == "Job" or .kind == "Deployment") | [.metadata.name, .metadata.annotations["argocd.argoproj.io/hook"], .metadata.annotations["argocd.argoproj.io/sync-wave"]]] | sort'
		assert_output '[["shop-chart-example",null,"0"],["shop-zdm-complete","PostSync","5"],["shop-zdm-migrate",null,"-5"]]'
	done
}

@test "argocd repo-server: an unsafe migration fails generation with exit 6 and the lint message, no manifests" {
	# a branch of its own with the unsafe migration
	git -C "$G" checkout -q -b unsafe
	printf 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' >"$G/apps/shop/migrations/V9__not_null.sql"
	git_commit "$G" "unsafe migration"
	git -C "$G" checkout -q main
	app shop shop
	run --separate-stderr manifests "$A" --revision unsafe
	assert_failure 1
	[ -z "$output" ]
	echo "$stderr"
	[[ "$stderr" == *"failed exit status 6"* ]]
	[[ "$stderr" == *"migrations/V9__not_null.sql:1:"*"(refusing)"* ]]
	[[ "$stderr" == *"helm-zdm: error: "*"unsafe"*"refused"* ]]
	# and main still renders
	run --separate-stderr manifests "$A"
	echo "$stderr"
	assert_success
}
