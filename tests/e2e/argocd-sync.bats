#!/usr/bin/env bats
# Real Argo CD syncs Applications through the zdm CMP into the k8s test
# bed: argocd-application-controller (built from the Go module proxy) asks
# argocd-repo-server, which streams the chart to argocd-cmp-server running
# plugin/argocd/plugin.yaml; the controller applies what comes back, runs
# the PreSync migration Job (on the process kubelet, against the sandbox
# PostgreSQL through a real Secret), waits for it, applies the workloads,
# then runs the PostSync Job. The order is proved from the API: every
# Job/Deployment/ReplicaSet/ConfigMap/Pod event of the namespace is
# recorded by a list+watch (zdm-k8s-watch), and resourceVersions of one
# etcd are its global revision, so comparing them orders the writes.
#
# The tests run in order and build on each other (one git repository,
# Applications that are synced again after new commits).

load argocd_helpers

setup_file() {
	zdm_helm_setup_file
	argocd_cluster_up
	[ -z "${ZDM_E2E_SKIP:-}" ] || return 0
	argocd_up controller
	G="$BATS_FILE_TMPDIR/git"
	plain_chart "$G/apps/shop"
	injected_chart "$G/apps/shop-injected"
	plain_chart "$G/apps/shop-wave"
	plain_chart "$G/apps/shop-unsafe"
	printf 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' >"$G/apps/shop-unsafe/migrations/V9__not_null.sql"
	for c in shop shop-injected shop-wave shop-unsafe; do
		printf 'replicaCount: 2\n' >"$G/apps/$c/values-prod.yaml"
	done
	printf 'podLabels: {team: shared}\n' >"$G/shared.yaml"
	git_repo "$G"
	export G
}

teardown_file() {
	argocd_down
	argocd_cluster_down
}

setup() {
	argocd_need_cluster
}

teardown() {
	watch_stop || true
	if [ -n "${BATS_TEST_COMPLETED:-}" ] || [ -z "${ZDM_ARGOCD_DIR:-}" ]; then
		return 0
	fi
	# on failure: what the controller and the CMP said
	echo "--- controller.log (tail)"
	tail -n 40 "$ZDM_ARGOCD_DIR/log/controller.log" || true
	echo "--- cmp-server.log (tail)"
	tail -n 20 "$ZDM_ARGOCD_DIR/log/cmp-server.log" || true
}

# The plugin block of the Applications: values files (one outside the
# chart) and helm parameters, the database Secret among them.
PLUGIN='      name: zdm
      parameters:
        - name: values-files
          array: [values-prod.yaml, ../../shared.yaml]
        - name: helm-parameters
          map:
            image.tag: "2.0.0"
            zdm.database.existingSecret: shop-db'

# check_order NS APP: the PreSync migration Job completed before the
# Deployment was created; its ConfigMap came before it; the PostSync Job
# was created after the Deployment was available.
check_order() {
	local ns=$1 app=$2 cm job_created job_done dep dep_avail post
	cm=$(rv_first "$ns" configmaps "$app-zdm-migrations")
	job_created=$(rv_first "$ns" jobs "$app-zdm-migrate")
	job_done=$(rv_job_done "$ns" "$app-zdm-migrate" Complete)
	dep=$(rv_first "$ns" deployments "$app-chart-example")
	dep_avail=$(ev "$ns" -r --arg n "$app-chart-example" '[.[] | select(.resource == "deployments" and .object.metadata.name == $n
		and (.object.status.availableReplicas // 0) >= .object.spec.replicas) | .object.metadata.resourceVersion | tonumber] | min // empty')
	post=$(rv_first "$ns" jobs "$app-zdm-complete")
	echo "resourceVersions: migrations ConfigMap $cm, migrate Job created $job_created, complete $job_done; Deployment created $dep, available $dep_avail; PostSync Job created $post"
	[ -n "$cm" ] && [ -n "$job_created" ] && [ -n "$job_done" ] && [ -n "$dep" ] && [ -n "$dep_avail" ] && [ -n "$post" ]
	[ "$cm" -lt "$job_created" ]
	[ "$job_created" -lt "$job_done" ]
	[ "$job_done" -lt "$dep" ]
	[ "$dep_avail" -lt "$post" ]
	[ -n "$(rv_job_done "$ns" "$app-zdm-complete" Complete)" ]
}

# job_env NS JOB: the Job's container env as one JSON object.
job_env() {
	kc -n "$1" get job "$2" -o json | jq -c '.spec.template.spec.containers[0].env | map({(.name): .value}) | add'
}

@test "argocd sync: an uninjected chart through the zdm CMP: PreSync migration Job before the Deployment, PostSync records the rollout" {
	target_ns shop-a
	watch_ns shop-a
	application shop-a shop-a shop "$PLUGIN"
	rev=$(git_head "$G")
	run app_sync shop-a
	assert_output Succeeded
	watch_stop
	check_order shop-a shop-a
	# the Job carries what Argo CD knows, from Argo CD
	run job_env shop-a shop-a-zdm-migrate
	assert_success
	[ "$(jq -r '[.ZDM_RELEASE, .ZDM_NAMESPACE, .ZDM_SOURCE_REVISION, .ZDM_DEPLOYED_BY] | join(" ")' <<<"$output")" = "shop-a shop-a $rev argocd" ]
	# values files and parameters reached the workload
	run kc -n shop-a get deployment shop-a-chart-example -o json
	[ "$(jq -r '[.spec.replicas, .spec.template.spec.containers[0].image, .spec.template.metadata.labels.team] | join(" ")' <<<"$output")" = "2 docker.io/nginxinc/nginx-unprivileged:2.0.0 shared" ]
	# the Application is synced to that commit and healthy
	run app_json shop-a
	[ "$(jq -r '[.status.sync.status, .status.sync.revision, .status.health.status] | join(" ")' <<<"$output")" = "Synced $rev Healthy" ]
	# the hooks ran as hooks: in the sync result, not among the resources
	[ "$(jq -r '[.status.operationState.syncResult.resources[] | select(.kind == "Job") | "\(.name):\(.hookType):\(.hookPhase)"] | sort | join(" ")' <<<"$output")" = "shop-a-zdm-complete:PostSync:Succeeded shop-a-zdm-migrate:PreSync:Succeeded" ]
	# the database: migrated, and the deployment log has both phases with
	# the commit and who deployed it
	run dbq shop-a "select string_agg(version, ' ' order by installed_rank) from zdm_schema_history where success"
	assert_output "1 2"
	run dbq shop-a "select string_agg(phase || ':' || status || ':' || deployed_by || ':' || source_revision, ' ' order by id) from schema_deployment_log where release = 'shop-a'"
	assert_output "pre:succeeded:argocd:$rev post:succeeded:argocd:$rev"
}

@test "argocd sync: chart-example (injected) through the CMP: the same order, nothing added twice" {
	target_ns shop-b
	watch_ns shop-b
	application shop-b shop-b shop-injected "$PLUGIN"
	run app_sync shop-b
	assert_output Succeeded
	watch_stop
	check_order shop-b shop-b
	# one of each zdm object was ever created
	run ev shop-b -r '[.[] | select(.type == "ADDED" and .object.metadata.labels["app.kubernetes.io/name"] == "zdm" and .resource != "pods")
		| "\(.resource)/\(.object.metadata.name)"] | sort | join(" ")'
	assert_output "configmaps/shop-b-zdm-assertions configmaps/shop-b-zdm-migrations jobs/shop-b-zdm-complete jobs/shop-b-zdm-migrate"
	run app_json shop-b
	[ "$(jq -r '[.status.operationState.syncResult.resources[] | "\(.kind)/\(.name)"] | group_by(.) | map(select(length > 1)) | length' <<<"$output")" = 0 ]
	run dbq shop-b "select count(*) from schema_deployment_log where release = 'shop-b' and status = 'succeeded'"
	assert_output 2
}

@test "argocd sync: a failing migration fails the sync with the hook's error; the Deployment is unchanged" {
	dep_before=$(kc -n shop-a get deployment shop-a-chart-example -o json)
	gen=$(jq -r .metadata.generation <<<"$dep_before")
	# a new commit: a migration that fails when it runs (lint passes it)
	# and a change to the workload that must not roll
	# (V2's recipe contract waits for app 2.0.0 without holding V4 back)
	printf 'CREATE TABLE audit (id bigint PRIMARY KEY);\nINSERT INTO audit VALUES (1), (1);\n' >"$G/apps/shop/migrations/V4__audit.sql"
	printf 'replicaCount: 3\n' >"$G/apps/shop/values-prod.yaml"
	git_commit "$G" "V4 fails"
	rev=$(git_head "$G")
	refresh shop-a
	watch_ns shop-a
	run app_sync shop-a
	assert_output Failed
	watch_stop
	run app_json shop-a
	app=$output
	jq '.status.operationState | {phase, message, syncResult: [.syncResult.resources[]? | {kind, name, hookType, hookPhase, status, message}]}' <<<"$app"
	[ "$(jq -r .status.operationState.syncResult.revision <<<"$app")" = "$rev" ]
	# the migration Job failed, and the Application says so
	[ -n "$(rv_job_done shop-a shop-a-zdm-migrate Failed)" ]
	[ "$(jq -r '.status.operationState.syncResult.resources[] | select(.name == "shop-a-zdm-migrate") | .hookPhase' <<<"$app")" = Failed ]
	msg=$(jq -r '.status.operationState.message + " | " + ([.status.operationState.syncResult.resources[]? | select(.name == "shop-a-zdm-migrate") | .message // ""] | join(" "))' <<<"$app")
	echo "Application status: $msg"
	[[ "$msg" == *"shop-a-zdm-migrate"* ]] || [[ "$msg" == *"one or more synchronization tasks"* ]]
	# Argo CD reads a hook Job's health from the Job's Failed condition
	# (Kubernetes' words, not the hook's); the hook's own error, as
	# zdm-hook wrote it, is the pod's termination message, which the Argo
	# CD UI shows on the Job's pod
	pod_msg=$(kc -n shop-a get pods -l app.kubernetes.io/component=migrate -o json |
		jq -r '[.items[] | .status.containerStatuses[]? | .state.terminated.message // empty] | join("\n")')
	echo "termination message: $pod_msg"
	[[ "$pod_msg" == *"duplicate key"* ]]
	# the Deployment never changed: no new generation, no new ReplicaSet
	[ -z "$(rv_generation_above shop-a shop-a-chart-example "$gen")" ]
	[ "$(kc -n shop-a get deployment shop-a-chart-example -o jsonpath='{.metadata.generation} {.spec.replicas}')" = "$gen 2" ]
	[ "$(ev shop-a -r '[.[] | select(.resource == "replicasets" and .type == "ADDED")] | length')" = 0 ]
	# the failure is in the deployment log, with the commit
	run dbq shop-a "select status || ':' || source_revision || ':' || coalesce(error, '') from schema_deployment_log where release = 'shop-a' and phase = 'pre' order by id desc limit 1"
	[[ "$output" == "failed:$rev:"*"duplicate key"* ]]
}

@test "argocd sync: a re-sync with nothing pending runs the Job again, quickly" {
	before=$(dbq shop-b "select count(*) from zdm_schema_history")
	refresh shop-b
	watch_ns shop-b
	t0=$(date +%s%N)
	run app_sync shop-b
	t1=$(date +%s%N)
	assert_output Succeeded
	watch_stop
	# a new Job (BeforeHookCreation replaced the previous one)
	ev shop-b -c '[.[] | select(.resource == "jobs") | [.type, .object.metadata.name, .object.metadata.uid[0:8], .object.metadata.resourceVersion]]'
	[ "$(ev shop-b -r '[.[] | select(.resource == "jobs" and .type == "ADDED" and .object.metadata.name == "shop-b-zdm-migrate")] | length')" = 1 ]
	job=$(kc -n shop-b get job shop-b-zdm-migrate -o json)
	secs=$(jq -r '(.status.completionTime | fromdate) - (.status.startTime | fromdate)' <<<"$job")
	echo "# re-sync with nothing pending: sync $(((t1 - t0) / 1000000)) ms from the operation to its end; migration Job ${secs}s from start to completion" >&3
	[ "$secs" -le 30 ]
	# nothing applied, nothing changed in the workload
	[ "$(dbq shop-b "select count(*) from zdm_schema_history")" = "$before" ]
	[ -z "$(rv_generation_above shop-b shop-b-chart-example 1)" ]
}

@test "argocd sync: --mode wave: the migration Job is an ordinary resource at wave -5, before every workload" {
	target_ns shop-e
	watch_ns shop-e
	application shop-e shop-e shop-wave "$PLUGIN
        - name: mode
          string: wave"
	run app_sync shop-e
	assert_output Succeeded
	watch_stop
	# live objects: no hook annotation on the migration Job, its wave -5,
	# the Deployment's after it
	run kc -n shop-e get job shop-e-zdm-migrate -o json
	[ "$(jq -r '[.metadata.annotations["argocd.argoproj.io/hook"] // "none", .metadata.annotations["argocd.argoproj.io/sync-wave"]] | join(" ")' <<<"$output")" = "none -5" ]
	run kc -n shop-e get deployment shop-e-chart-example -o jsonpath='{.metadata.annotations.argocd\.argoproj\.io/sync-wave}'
	assert_output 0
	# the migration Job is one of the Application's resources, not a hook
	run app_json shop-e
	jq -c '[.status.resources[] | [.kind, .name, .status, .health.status]]' <<<"$output"
	# (an ordinary resource has a sync status; the PostSync hook, listed too, has none)
	[ "$(jq -r '[.status.resources[] | select(.kind == "Job") | "\(.name):\(.status)"] | sort | join(" ")' <<<"$output")" = "shop-e-zdm-complete:null shop-e-zdm-migrate:Synced" ]
	[ "$(jq -r '.status.sync.status + " " + .status.health.status' <<<"$output")" = "Synced Healthy" ]
	check_order shop-e shop-e
}

@test "argocd sync: an unsafe migration fails the CMP's generate (exit 6): the lint message in the Application, nothing applied" {
	target_ns shop-f
	application shop-f shop-f shop-unsafe "$PLUGIN"
	app_wait shop-f '.status.conditions[]? | select(.type == "ComparisonError") | .message | test("exit status 6")' 120
	run app_json shop-f
	msg=$(jq -r '.status.conditions[] | select(.type == "ComparisonError") | .message' <<<"$output")
	echo "ComparisonError: $msg"
	[[ "$msg" == *"migrations/V9__not_null.sql:1:"*"(refusing)"* ]]
	[[ "$msg" == *"helm-zdm: error: "*"unsafe"*"refused"* ]]
	# a sync cannot start from manifests that could not be generated
	run app_sync shop-f
	refute_output Succeeded
	run app_json shop-f
	[[ "$(jq -r .status.operationState.message <<<"$output")" == *"exit status 6"* ]]
	[ "$(kc -n shop-f get jobs,deployments -o name | wc -l)" = 0 ]
}
