#!/usr/bin/env bats
# What an injected chart renders, on real Helm 3 and Helm 4: the hook
# ConfigMaps and Jobs, parsed (YAML -> JSON) and checked field by field;
# then the rendered Job's own command and env run against the sandbox
# PostgreSQL, with the ConfigMap's data laid out as Kubernetes mounts it.

load helm_helpers

setup_file() {
	zdm_helm_setup_file
	A="$BATS_FILE_TMPDIR/app"
	zdm_new_chart "$A"
	# a migration that would break a naive transport: CRLF, tabs, quotes,
	# backslashes, UTF-8, template braces, no final newline
	printf -- '-- note: "quotes", \\backslash\\, {{ .Values }}, caf\xc3\xa9\r\ncomment on table items is E'"'"'tab\\there'"'"';\r\n\tselect 1' \
		>"$A/migrations/V3__odd_bytes.sql"
	"$ZDM_PLUGIN" inject "$A" >/dev/null
	mkdir -p "$A/zdm"
	printf 'tables:\n  items:\n    columns:\n      id: {nullable: false}\n      price: {nullable: true}\n' \
		>"$A/zdm/assertions.yaml"
	export A
}

setup() {
	SET=(--set zdm.database.existingSecret=app-db)
}

teardown() {
	zdm_teardown_db
}

job() { zdm_obj Job rel-zdm-migrate; }
post() { zdm_obj Job rel-zdm-complete; }
ctr() { jq -c '.spec.template.spec.containers[0]' <<<"$1"; }
envval() { jq -r --arg n "$2" '.spec.template.spec.containers[0].env[] | select(.name == $n) | .value' <<<"$1"; }

@test "templates: helm lint --strict passes on Helm 3 and Helm 4" {
	for v in 3 4; do
		run zdm_helm "$v" lint --strict "$A" "${SET[@]}"
		assert_success
		assert_output --partial "1 chart(s) linted, 0 chart(s) failed"
		refute_output --partial "[WARNING]"
		refute_output --partial "[ERROR]"
	done
}

@test "templates: helm template renders the hook ConfigMaps and both Jobs on Helm 3 and Helm 4" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}"
		run jqr '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | "\(.kind)/\(.metadata.name)"] | sort | join(" ")'
		assert_output "ConfigMap/rel-zdm-assertions ConfigMap/rel-zdm-migrations Job/rel-zdm-complete Job/rel-zdm-migrate"
		for cm in rel-zdm-migrations rel-zdm-assertions; do
			run jq -c '.metadata.annotations' <<<"$(zdm_obj ConfigMap "$cm")"
			assert_output '{"argocd.argoproj.io/hook":"PreSync","argocd.argoproj.io/hook-delete-policy":"BeforeHookCreation","argocd.argoproj.io/sync-wave":"-10","helm.sh/hook":"pre-install,pre-upgrade","helm.sh/hook-delete-policy":"before-hook-creation","helm.sh/hook-weight":"-10"}'
		done
		run jq -c '.metadata.annotations' <<<"$(job)"
		assert_output '{"argocd.argoproj.io/hook":"PreSync","argocd.argoproj.io/hook-delete-policy":"BeforeHookCreation","argocd.argoproj.io/sync-wave":"-5","helm.sh/hook":"pre-install,pre-upgrade","helm.sh/hook-delete-policy":"before-hook-creation","helm.sh/hook-output-log-policy":"hook-failed","helm.sh/hook-weight":"-5"}'
		run jq -c '.metadata.annotations' <<<"$(post)"
		assert_output '{"argocd.argoproj.io/hook":"PostSync","argocd.argoproj.io/hook-delete-policy":"BeforeHookCreation","argocd.argoproj.io/sync-wave":"5","helm.sh/hook":"post-install,post-upgrade,post-rollback","helm.sh/hook-delete-policy":"before-hook-creation","helm.sh/hook-output-log-policy":"hook-failed","helm.sh/hook-weight":"5"}'
	done
	# both Helms render the same manifests
	zdm_render 3 "$A" "${SET[@]}"
	r3=$R
	zdm_render 4 "$A" "${SET[@]}"
	[ "$r3" = "$R" ]
}

@test "templates: hook order is weight then name: the ConfigMaps come before the Job" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}"
		# helm's order for the pre-install event: weight, then name
		run jqr '[.[] | select(.metadata.annotations["helm.sh/hook"] // "" | split(",") | index("pre-install"))
			| {w: (.metadata.annotations["helm.sh/hook-weight"] | tonumber), n: .metadata.name, k: .kind}]
			| sort_by(.w, .n) | map("\(.k)/\(.n)") | join(" ")'
		assert_output "ConfigMap/rel-zdm-assertions ConfigMap/rel-zdm-migrations Job/rel-zdm-migrate"
		# Argo CD: the same order through sync waves in PreSync
		run jqr '[.[] | select(.metadata.annotations["argocd.argoproj.io/hook"] == "PreSync")
			| {w: (.metadata.annotations["argocd.argoproj.io/sync-wave"] | tonumber), n: .metadata.name}]
			| sort_by(.w) | map(.n) | last'
		assert_output "rel-zdm-migrate"
	done
	# a configuration that would invert them is refused at render time
	run zdm_helm 4 template rel "$A" "${SET[@]}" --set zdm.hooks.configWeight=0
	assert_failure
	assert_output --partial "zdm.hooks.configWeight (0) must be lower than zdm.hooks.jobWeight (-5)"
}

@test "templates: the migration Job is a one-shot, restricted-profile zdm-hook run" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}" --namespace ns1
		J=$(job)
		run jq -c '[.spec.backoffLimit, .spec.ttlSecondsAfterFinished, .spec.activeDeadlineSeconds < 300,
			.spec.template.spec.restartPolicy, .spec.template.spec.automountServiceAccountToken]' <<<"$J"
		assert_output '[0,86400,true,"Never",false]'
		run jq -c '.spec.template.spec.securityContext' <<<"$J"
		assert_output '{"runAsGroup":65532,"runAsNonRoot":true,"runAsUser":65532,"seccompProfile":{"type":"RuntimeDefault"}}'
		C=$(ctr "$J")
		run jq -c '.securityContext' <<<"$C"
		assert_output '{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":true,"runAsGroup":65532,"runAsNonRoot":true,"runAsUser":65532,"seccompProfile":{"type":"RuntimeDefault"}}'
		run jq -c '[.command, .terminationMessagePolicy, .envFrom, .image, .imagePullPolicy]' <<<"$C"
		assert_output '[["zdm-hook","run","--phase","pre"],"FallbackToLogsOnError",[{"secretRef":{"name":"app-db"}}],"ghcr.io/zdm-project/zdm-hook:0.1.0","IfNotPresent"]'
		# /tmp is the only writable place; the ConfigMaps are mounted read-only
		run jq -c '[.volumeMounts[] | [.name, .mountPath, (.readOnly // false)]]' <<<"$C"
		assert_output '[["tmp","/tmp",false],["migrations","/zdm/migrations",true],["assertions","/zdm/assertions",true]]'
		run jq -c '.spec.template.spec.volumes' <<<"$J"
		assert_output '[{"emptyDir":{},"name":"tmp"},{"configMap":{"name":"rel-zdm-migrations"},"name":"migrations"},{"configMap":{"name":"rel-zdm-assertions"},"name":"assertions"}]'
		# the contract with zdm-hook run: every variable, no password anywhere
		run jq -c '[.env[] | [.name, .value]]' <<<"$C"
		assert_output '[["ZDM_MIGRATIONS_DIR","/zdm/migrations"],["ZDM_ASSERTIONS","/zdm/assertions/assertions.yaml"],["ZDM_RELEASE","rel"],["ZDM_NAMESPACE","ns1"],["ZDM_REVISION","1"],["ZDM_APP_VERSION","1.16.0"],["ZDM_CHART_VERSION","0.1.0"],["ZDM_DEPLOYED_BY","helm"],["ZDM_HISTORY_TABLE","zdm_schema_history"],["ZDM_LOCK_WAIT","2m"],["ZDM_LOCK_TIMEOUT","1s"],["ZDM_OUTPUT","json"],["ZDM_STRICT_CONTRACT","false"]]'
		# its pods never match the application's Service selector
		run jq -r '.spec.template.metadata.labels["app.kubernetes.io/name"]' <<<"$J"
		assert_output "zdm"
	done
}

@test "templates: both Jobs survive an eviction (podFailurePolicy) and ask autoscalers not to evict them" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}" --set zdm.podAnnotations.team=db \
			--set-string 'zdm.podAnnotations.karpenter\.sh/do-not-disrupt=30m'
		for J in "$(job)" "$(post)"; do
			# an eviction's DisruptionTarget is ignored, anything else fails the Job at once
			run jq -c '[.spec.backoffLimit, .spec.podFailurePolicy, .spec.template.spec.restartPolicy]' <<<"$J"
			assert_output '[0,{"rules":[{"action":"Ignore","onPodConditions":[{"type":"DisruptionTarget"}]}]},"Never"]'
			# values' podAnnotations are kept and win over zdm's
			run jq -c '.spec.template.metadata.annotations' <<<"$J"
			assert_output '{"cluster-autoscaler.kubernetes.io/safe-to-evict":"false","karpenter.sh/do-not-disrupt":"30m","team":"db"}'
		done
		zdm_render "$v" "$A" "${SET[@]}"
		run jq -c '.spec.template.metadata.annotations' <<<"$(job)"
		assert_output '{"cluster-autoscaler.kubernetes.io/safe-to-evict":"false","karpenter.sh/do-not-disrupt":"true"}'
	done
}

@test "templates: the post Job runs --phase post as a post-install,post-upgrade,post-rollback / PostSync hook" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}"
		P=$(post)
		run jq -c '[.spec.backoffLimit, .spec.template.spec.restartPolicy, .spec.template.spec.containers[0].command]' <<<"$P"
		assert_output '[0,"Never",["zdm-hook","run","--phase","post"]]'
		[ "$(envval "$P" ZDM_APP_VERSION)" = "1.16.0" ]
		zdm_render "$v" "$A" "${SET[@]}" --set zdm.contractInPost=true
		run jq -c '.spec.template.spec.containers[0].command' <<<"$(post)"
		assert_output '["zdm-hook","run","--phase","post","--contract-in-post"]'
		run jq -c '.spec.template.spec.containers[0].command' <<<"$(job)"
		assert_output '["zdm-hook","run","--phase","pre"]'
		zdm_render "$v" "$A" "${SET[@]}" --set zdm.post.enabled=false
		[ -z "$(post)" ]
		[ -n "$(job)" ]
	done
}

@test "templates: the migrations ConfigMap carries every file byte for byte" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}"
		CM=$(zdm_obj ConfigMap rel-zdm-migrations)
		run jq -r '.data | keys | join(" ")' <<<"$CM"
		assert_output "V1__create_items.sql V2__add_price.sql V3__odd_bytes.sql"
		for f in "$A"/migrations/*.sql; do
			cmp <(jq -j --arg k "$(basename "$f")" '.data[$k]' <<<"$CM") "$f"
		done
		cmp <(jq -j '.data["assertions.yaml"]' <<<"$(zdm_obj ConfigMap rel-zdm-assertions)") "$A/zdm/assertions.yaml"
	done
}

@test "templates: the migrations ConfigMap carries zdm.yaml, flyway.conf, flyway.toml and *.sql.conf, nothing else" {
	printf 'since: 1\n' >"$A/migrations/zdm.yaml"
	printf 'flyway.placeholders.schema=app\n' >"$A/migrations/flyway.conf"
	printf '[flyway]\nmixed = true\n' >"$A/migrations/flyway.toml"
	printf 'executeInTransaction=false\n' >"$A/migrations/V2__add_price.sql.conf"
	printf 'notes\n' >"$A/migrations/notes.txt"
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}"
		CM=$(zdm_obj ConfigMap rel-zdm-migrations)
		run jq -r '.data | keys | join(" ")' <<<"$CM"
		assert_output "V1__create_items.sql V2__add_price.sql V2__add_price.sql.conf V3__odd_bytes.sql flyway.conf flyway.toml zdm.yaml"
		for f in zdm.yaml flyway.conf flyway.toml V2__add_price.sql.conf; do
			cmp <(jq -j --arg k "$f" '.data[$k]' <<<"$CM") "$A/migrations/$f"
		done
	done
	rm "$A"/migrations/{zdm.yaml,flyway.conf,flyway.toml,V2__add_price.sql.conf,notes.txt}
}

@test "templates: zdm.enabled=false renders none of the zdm objects" {
	for v in 3 4; do
		# no secret needed either
		zdm_render "$v" "$A" --set zdm.enabled=false
		run jqr '[.[] | select(.metadata.name | test("zdm"))] | length'
		assert_output "0"
		run jqr '[.[] | .kind] | sort | join(" ")'
		assert_output "Deployment Pod Service ServiceAccount"
		run zdm_helm "$v" lint --strict "$A" --set zdm.enabled=false
		assert_success
	done
}

@test "templates: an empty database secret fails the render with what to do" {
	for v in 3 4; do
		run zdm_helm "$v" template rel "$A"
		assert_failure
		assert_output --partial "zdm: zdm.database.existingSecret is empty: name an existing Secret that holds DATABASE_URL"
		assert_output --partial "zdm never takes a password in values"
	done
}

@test "templates: migrations over the 1 MiB ConfigMap limit fail the render; fromImage takes them from the image" {
	B="$BATS_TEST_TMPDIR/big"
	cp -r "$A" "$B"
	head -c 1100000 /dev/zero | tr '\0' 'x' | sed 's/^/-- /' >"$B/migrations/V4__big.sql"
	for v in 3 4; do
		run zdm_helm "$v" template rel "$B" "${SET[@]}"
		assert_failure
		assert_output --regexp 'the migrations in migrations/ add up to [0-9]+ bytes, over the 1 MiB \(1048576 bytes\) limit of a ConfigMap'
		assert_output --partial "zdm.migrations.fromImage=true"
		zdm_render "$v" "$B" "${SET[@]}" --set zdm.migrations.fromImage=true
		[ -z "$(zdm_obj ConfigMap rel-zdm-migrations)" ]
		J=$(job)
		[ "$(envval "$J" ZDM_MIGRATIONS_DIR)" = /migrations ]
		run jq -c '[.spec.template.spec.volumes[].name]' <<<"$J"
		assert_output '["tmp","assertions"]'
		zdm_render "$v" "$B" "${SET[@]}" --set zdm.migrations.fromImage=true --set zdm.migrations.imageDir=/app/sql
		[ "$(envval "$(job)" ZDM_MIGRATIONS_DIR)" = /app/sql ]
	done
}

@test "templates: a chart without zdm/assertions.yaml has no assertions ConfigMap or ZDM_ASSERTIONS" {
	B="$BATS_TEST_TMPDIR/noassert"
	cp -r "$A" "$B"
	rm -r "$B/zdm"
	for v in 3 4; do
		zdm_render "$v" "$B" "${SET[@]}"
		[ -z "$(zdm_obj ConfigMap rel-zdm-assertions)" ]
		run jq -c '[.spec.template.spec.containers[0].env[].name | select(. == "ZDM_ASSERTIONS")]' <<<"$(job)"
		assert_output '[]'
		zdm_render "$v" "$B" "${SET[@]}" --set zdm.assertions.imagePath=/etc/zdm/assertions.yaml
		[ "$(envval "$(job)" ZDM_ASSERTIONS)" = /etc/zdm/assertions.yaml ]
		[ -z "$(zdm_obj ConfigMap rel-zdm-assertions)" ]
	done
}

@test "templates: every setting under zdm: is honoured" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}" \
			--set zdm.image.repository=registry.example/zdm --set zdm.image.tag=9.9.9 \
			--set zdm.image.pullPolicy=Always --set zdm.lock.wait=30s --set zdm.lock.timeout=500ms \
			--set zdm.job.activeDeadlineSeconds=600 --set zdm.job.ttlSecondsAfterFinished=-1 \
			--set zdm.job.deleteOnSuccess=true --set zdm.strictContract=true \
			--set zdm.historyTable=flyway_schema_history --set zdm.appVersion=2.0.0 \
			--set zdm.resources.limits.memory=256Mi --set zdm.nodeSelector.pool=jobs \
			--set 'zdm.tolerations[0].key=dedicated' --set 'zdm.tolerations[0].operator=Exists' \
			--set 'zdm.extraEnv[0].name=ZDM_DDL_RETRIES' --set-string 'zdm.extraEnv[0].value=3' \
			--set 'zdm.imagePullSecrets[0].name=pull' --set zdm.serviceAccountName=migrator \
			--set zdm.runAsUser=1001 --set zdm.fullnameOverride=shop-db
		J=$(zdm_obj Job shop-db-migrate)
		[ -n "$J" ]
		run jq -c '[.spec.activeDeadlineSeconds, (.spec | has("ttlSecondsAfterFinished")),
			.metadata.annotations["helm.sh/hook-delete-policy"],
			.metadata.annotations["argocd.argoproj.io/hook-delete-policy"]]' <<<"$J"
		assert_output '[600,false,"before-hook-creation,hook-succeeded","BeforeHookCreation,HookSucceeded"]'
		run jq -c '.spec.template.spec | [.nodeSelector, .tolerations, .imagePullSecrets, .serviceAccountName, .securityContext.runAsUser]' <<<"$J"
		assert_output '[{"pool":"jobs"},[{"key":"dedicated","operator":"Exists"}],[{"name":"pull"}],"migrator",1001]'
		C=$(ctr "$J")
		run jq -c '[.image, .imagePullPolicy, .resources.limits.memory, .env[-1]]' <<<"$C"
		assert_output '["registry.example/zdm:9.9.9","Always","256Mi",{"name":"ZDM_DDL_RETRIES","value":"3"}]'
		for kv in ZDM_LOCK_WAIT=30s ZDM_LOCK_TIMEOUT=500ms ZDM_STRICT_CONTRACT=true \
			ZDM_HISTORY_TABLE=flyway_schema_history ZDM_APP_VERSION=2.0.0; do
			[ "$(envval "$J" "${kv%%=*}")" = "${kv#*=}" ]
		done
		[ -n "$(zdm_obj ConfigMap shop-db-migrations)" ]
		# the pod volume follows the renamed ConfigMap
		run jq -r '.spec.template.spec.volumes[] | select(.name == "migrations") | .configMap.name' <<<"$J"
		assert_output "shop-db-migrations"
	done
	run zdm_helm 4 template rel "$A" "${SET[@]}" --set zdm.runAsUser=0
	assert_failure
	assert_output --partial "zdm.runAsUser must be a non-zero numeric UID"
}

@test "templates: long release names keep every object name within 63 characters" {
	long=$(printf 'r%.0s' $(seq 1 53))
	zdm_helm 4 template "$long" "$A" "${SET[@]}" >"$BATS_TEST_TMPDIR/long.yaml"
	R=$(zdm_yaml2json <"$BATS_TEST_TMPDIR/long.yaml")
	run jqr '[.[] | select(.metadata.labels["app.kubernetes.io/name"] == "zdm") | .metadata.name | length] | max'
	[ "$output" -le 63 ]
}

@test "templates: nothing is gated on .Release.IsUpgrade or .Release.Revision" {
	for v in 3 4; do
		zdm_render "$v" "$A" "${SET[@]}"
		install=$R
		zdm_render "$v" "$A" "${SET[@]}" --is-upgrade
		[ "$install" = "$R" ]
	done
	run grep -n 'IsUpgrade\|IsInstall' "$A"/templates/zdm-*.yaml "$A/templates/_zdm.tpl"
	refute_output --regexp '\{\{[^}]*\.Release\.Is(Upgrade|Install)'
}

@test "templates: a missing or partial zdm: block still renders with the defaults" {
	B="$BATS_TEST_TMPDIR/partial"
	cp -r "$A" "$B"
	# helm create's values plus a user-written zdm block of one key
	sed '/^# zdm: zero-downtime/,$d' "$A/values.yaml" >"$B/values.yaml"
	printf 'zdm:\n  database:\n    existingSecret: mine\n' >>"$B/values.yaml"
	for v in 3 4; do
		run zdm_helm "$v" lint --strict "$B"
		assert_success
		zdm_render "$v" "$B"
		C=$(ctr "$(job)")
		run jq -c '[.envFrom[0].secretRef.name, .image, (.env | length)]' <<<"$C"
		assert_output '["mine","ghcr.io/zdm-project/zdm-hook:0.1.0",13]'
	done
}

@test "templates: chart-example lints and renders on Helm 3 and Helm 4" {
	for v in 3 4; do
		run zdm_helm "$v" lint --strict "$ZDM_ROOT/chart-example"
		assert_success
		refute_output --partial "[WARNING]"
		zdm_render "$v" "$ZDM_ROOT/chart-example"
		run jqr '[.[] | "\(.kind)/\(.metadata.name)"] | sort | join(" ")'
		if [ -f "$ZDM_ROOT/chart-example/zdm/assertions.yaml" ]; then
			assert_output "ConfigMap/rel-zdm-assertions ConfigMap/rel-zdm-migrations Deployment/rel-chart-example Job/rel-zdm-complete Job/rel-zdm-migrate Service/rel-chart-example"
		else
			assert_output "ConfigMap/rel-zdm-migrations Deployment/rel-chart-example Job/rel-zdm-complete Job/rel-zdm-migrate Service/rel-chart-example"
		fi
		[ "$(envval "$(job)" ZDM_APP_VERSION)" = "1.0.0" ]
		# the app's pods are not selected by anything of zdm, and vice versa
		run jqr '.[] | select(.kind == "Service") | .spec.selector["app.kubernetes.io/name"]'
		assert_output "chart-example"
	done
}

# --- the rendered Job, run for real --------------------------------------

# run_rendered_job JOBJSON: lay the rendered ConfigMaps out as Kubernetes
# mounts them (files are symlinks into ..data), then run the container's
# command with exactly its env plus what the Secret would provide
# (DATABASE_URL) and a PATH that finds zdm-hook.
run_rendered_job() {
	local J=$1 mnt="$T/mnt" cm name key
	local -a cmd envs
	rm -rf "$mnt"
	for name in migrations assertions; do
		cm=$(zdm_obj ConfigMap "rel-zdm-$name")
		[ -n "$cm" ] || continue
		local ts="..2025_01_01_00_00_00.000000001"
		mkdir -p "$mnt/$name/$ts"
		while IFS= read -r key; do
			jq -j --arg k "$key" '.data[$k]' <<<"$cm" >"$mnt/$name/$ts/$key"
			ln -s "..data/$key" "$mnt/$name/$key"
		done < <(jq -r '.data | keys[]' <<<"$cm")
		ln -s "$ts" "$mnt/$name/..data"
	done
	mapfile -t cmd < <(jq -r '.spec.template.spec.containers[0].command[]' <<<"$J")
	mapfile -t envs < <(jq -r '.spec.template.spec.containers[0].env[] | "\(.name)=\(.value)"' <<<"$J" |
		sed -e "s#^ZDM_MIGRATIONS_DIR=/zdm/migrations#ZDM_MIGRATIONS_DIR=$mnt/migrations#" \
			-e "s#^ZDM_ASSERTIONS=/zdm/assertions/#ZDM_ASSERTIONS=$mnt/assertions/#")
	run --separate-stderr env -i PATH="$ZDM_BUILD:/usr/bin:/bin" HOSTNAME=rel-zdm-migrate-abcde \
		DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$PGDATABASE" \
		ZDM_TERMINATION_LOG="$T/termination-log" "${envs[@]}" "${cmd[@]}"
}

@test "templates: the rendered Job's command and env apply the chart's migrations" {
	zdm_setup_db
	zdm_render 4 "$A" "${SET[@]}"
	run_rendered_job "$(job)"
	[ "$status" -eq 0 ] || { echo "$stderr"; cat "$T/termination-log" 2>/dev/null; false; }
	run q "select string_agg(version, ',' order by installed_rank) from zdm_schema_history where success"
	assert_output "1,2,3"
	run q "select count(*) from information_schema.columns where table_name = 'items' and column_name = 'price'"
	assert_output "1"
	run q "select release, namespace, revision, app_version, chart_version, phase, status, deployed_by from schema_deployment_log order by id"
	assert_output "rel|ns1|1|1.16.0|0.1.0|pre|succeeded|helm"
	# the post Job records the completed rollout
	run_rendered_job "$(post)"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	run q "select phase || ':' || status from schema_deployment_log order by id"
	assert_output $'pre:succeeded\npost:succeeded'
	# and a second pre run (Argo CD re-runs hooks every sync) has nothing to do
	run_rendered_job "$(job)"
	[ "$status" -eq 0 ]
	run q "select count(*) from zdm_schema_history"
	assert_output "3"
}

@test "templates: chart-example's rendered Job applies its migrations" {
	zdm_setup_db
	zdm_render 4 "$ZDM_ROOT/chart-example"
	run_rendered_job "$(job)"
	[ "$status" -eq 0 ] || { echo "$stderr"; cat "$T/termination-log" 2>/dev/null; false; }
	n=$(ls "$ZDM_ROOT"/chart-example/migrations/V*.sql | wc -l)
	run q "select count(*) >= 1 from zdm_schema_history where success"
	assert_output "t"
	run q "select status from schema_deployment_log where phase = 'pre'"
	assert_output "succeeded"
	[ "$n" -ge 1 ]
}
