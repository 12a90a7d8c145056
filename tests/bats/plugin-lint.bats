#!/usr/bin/env bats
# helm zdm lint CHART: the migrations, the values files and the zdm
# wiring of the rendered chart, for CI. Clean on chart-example; a broken
# copy (unsafe migration, backoffLimit changed, a password in values, a
# deadline past --timeout) names each problem at its file:line:col.

load helm_helpers

setup_file() {
	zdm_helm_setup_file install
	export HELM_BIN="$HELM3"
}

setup() {
	C="$BATS_TEST_TMPDIR/chart"
	cp -r "$ZDM_ROOT/chart-example" "$C"
}

lint() {
	"$ZDM_PLUGIN" lint "$@"
}

# line_of FILE TEXT: the first line number of FILE containing TEXT.
line_of() {
	grep -n -F -m1 -- "$2" "$1" | cut -d: -f1
}

# --- conformance -------------------------------------------------------

@test "plugin lint: --help, bad options and arguments are exit 2" {
	run --separate-stderr lint --help
	assert_success
	assert_line --index 0 "usage: helm zdm lint CHART_DIR [--output text|json|github] [--timeout DURATION] [--check-values zdm|all] [OPTIONS]"
	assert_line "  --values FILES               comma-separated values files, applied after the chart's values.yaml and .zdm.yaml [env ZDM_VALUES]"
	assert_line "  --check-values SCOPE         scan the zdm: values for credentials, or all the values [default zdm]"
	run --separate-stderr lint "$C" --check-values some
	assert_failure 2
	[[ "$stderr" == *'"some" is not one of zdm|all'* ]]
	run --separate-stderr lint "$C" --frobnicate
	assert_failure 2
	[ "$stderr" = 'helm-zdm: error: unknown option "--frobnicate"
hint: run "helm zdm lint --help" for its options' ]
	run --separate-stderr lint
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: lint needs the chart directory'* ]]
	run --separate-stderr lint "$C" "$C"
	assert_failure 2
	run --separate-stderr lint "$C" --output xml
	assert_failure 2
	[[ "$stderr" == *'"xml" is not one of text|json|github'* ]]
	run --separate-stderr lint "$C" --timeout 5
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: --timeout: "5" is not a duration'* ]]
	run --separate-stderr lint "$BATS_TEST_TMPDIR"
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: "'"$BATS_TEST_TMPDIR"'" is not a Helm chart: it has no Chart.yaml'* ]]
	printf 'V1_bad.sql' >"$C/migrations/V1_bad.sql"
	run --separate-stderr lint "$C"
	assert_failure 2
	[[ "$stderr" == *"V1_bad.sql"* ]]
}

# --- clean -------------------------------------------------------------

@test "plugin lint: chart-example is clean (exit 0, no error, no warning)" {
	run --separate-stderr lint "$ZDM_ROOT/chart-example"
	assert_success
	assert_line --regexp "^$ZDM_ROOT/chart-example: [0-9]+ migration files, 0 unsafe, 0 warnings; no chart problems\$"
	refute_output --partial "hint:"
	[ -z "$stderr" ]
	# the same through helm on both majors
	for v in 3 4; do
		run --separate-stderr zdm_helm "$v" zdm lint "$ZDM_ROOT/chart-example" --output json
		assert_success
		run jq -c '[.exit, .unsafe, .wiring, .warnings, ([.findings[] | select(.severity != "allowed")] | length)]' <<<"$output"
		assert_output '[0,0,0,0,0]'
	done
}

@test "plugin lint: a chart that relies on render (no templates) is checked as render deploys it" {
	rm "$C"/templates/zdm-*.yaml "$C/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$C/templates/deployment.yaml"
	run --separate-stderr lint "$C"
	assert_success
	assert_line --partial "; no chart problems"
	# with zdm switched off nothing would run the migrations
	run --separate-stderr lint "$C" --set zdm.enabled=false
	assert_failure 1
	assert_line "$C/values.yaml:$(line_of "$C/values.yaml" "  enabled: true"):12: zdm-job-missing: chart \"chart-example\" renders no zdm migration Job: its migrations would never run before the rollout"
}

# --- the broken copy ---------------------------------------------------

@test "plugin lint: an unsafe migration is exit 6 with file:line:col, rule and hint" {
	printf -- '-- an index on a live table\nCREATE INDEX users_created_idx ON users (created_at);\n' >"$C/migrations/V9__index.sql"
	run --separate-stderr lint "$C"
	assert_failure 6
	# the classifier's own words follow the rule id (hook/lib/lint.c)
	assert_line --regexp "^$C/migrations/V9__index.sql:2:1: index-not-concurrent: .*users.*\$"
	assert_line --regexp "^  hint: .*CONCURRENTLY"
	[ -z "$stderr" ]
	assert_line --regexp ": [0-9]+ migration files, 1 unsafe, 0 warnings; no chart problems\$"
}

@test "plugin lint: since: in the migrations' zdm.yaml grandfathers older files, as zdm-hook lint does" {
	printf -- '-- an index on a live table\nCREATE INDEX users_created_idx ON users (created_at);\n' >"$C/migrations/V9__index.sql"
	printf 'since: "9"\n' >"$C/migrations/zdm.yaml"
	run --separate-stderr lint "$C"
	assert_success
	refute_output --partial "index-not-concurrent"
	run "$ZDM_HOOK" lint --dir "$C/migrations"
	assert_success
	# a later file is judged; a since: that is not a version names the file
	printf 'since: "8"\n' >"$C/migrations/zdm.yaml"
	run --separate-stderr lint "$C"
	assert_failure 6
	printf 'since: "8.x"\n' >"$C/migrations/zdm.yaml"
	run --separate-stderr lint "$C"
	assert_failure 2
	[[ "$stderr" == *'migrations/zdm.yaml:1: since "8.x" is not a version'* ]]
}

@test "plugin lint: a Job template whose backoffLimit was changed is a wiring problem, exit 1" {
	sed -i 's/backoffLimit: 0/backoffLimit: 3/' "$C/templates/_zdm.tpl"
	line=$(line_of "$C/templates/_zdm.tpl" "backoffLimit: 3")
	run --separate-stderr lint "$C"
	assert_failure 1
	assert_line "$C/templates/_zdm.tpl:$line:3: job-backoff-limit: Job \"chart-example-zdm-migrate\" has backoffLimit 3: Kubernetes would re-run a failed migration, and the release waits through every retry"
	assert_line "$C/templates/_zdm.tpl:$line:3: job-backoff-limit: Job \"chart-example-zdm-complete\" has backoffLimit 3: Kubernetes would re-run a failed migration, and the release waits through every retry"
	assert_line "  hint: keep backoffLimit: 0 as zdm's template has it: zdm-hook retries lock timeouts itself, and a failed migration must fail the release at once (helm zdm inject --force restores the template)"
	assert_line --regexp ": [0-9]+ migration files, 0 unsafe, 0 warnings; 2 job-backoff-limit\$"
}

@test "plugin lint: --check-values all: a password in values is named at its key, references are not" {
	cat >>"$C/values.yaml" <<'EOF'
postgresql:
  auth:
    username: app
    password: hunter2
    existingSecret: app-db
    secretKeys:
      userPasswordKey: password
    passwordLength: 24
  primary:
    extraEnv:
      - name: DATABASE_URL
        value: postgres://app:s3cret@db:5432/app?sslmode=require
      - name: REPLICA_URL
        value: postgres://app@db-ro:5432/app
EOF
	# not zdm's values: not zdm's business by default
	run --separate-stderr lint "$C"
	assert_success
	run --separate-stderr lint "$C" --check-values all
	assert_failure 1
	assert_line --regexp ": [0-9]+ migration files, 0 unsafe, 0 warnings; 1 values-credentials, 1 values-password\$"
	assert_line "$C/values.yaml:$(line_of "$C/values.yaml" "password: hunter2"):15: values-password: \"postgresql.auth.password\" holds a literal password"
	assert_line "$C/values.yaml:$(line_of "$C/values.yaml" "s3cret"):16: values-credentials: \"postgresql.primary.extraEnv[0].value\" holds a connection string with a password"
	assert_line --partial "  hint: put the password in a Secret and reference it (for zdm: zdm.database.existingSecret)"
	refute_output --partial "hunter2"
	refute_output --partial "s3cret"
	run grep -c -E 'values-(password|credentials):' <<<"$output"
	assert_output 2
}

@test "plugin lint: activeDeadlineSeconds must stay below helm's --timeout" {
	line=$(line_of "$C/values.yaml" "activeDeadlineSeconds: 240")
	run --separate-stderr lint "$C" --timeout 3m
	assert_failure 1
	assert_line "$C/values.yaml:$line:28: job-deadline: Job \"chart-example-zdm-migrate\" has activeDeadlineSeconds 240, not below helm's --timeout 3m: helm gives up on the release while the migration still runs"
	run --separate-stderr lint "$C" --timeout 4m1s
	assert_success
	# no deadline at all, and no TTL
	run --separate-stderr lint "$C" --set zdm.job.activeDeadlineSeconds=0,zdm.job.ttlSecondsAfterFinished=-1
	assert_failure 1
	assert_line "$C/values.yaml:$line:28: job-deadline: Job \"chart-example-zdm-migrate\" has no activeDeadlineSeconds: a stuck migration runs on after helm gives up at --timeout 5m"
	assert_line --regexp "^$C/values.yaml:[0-9]+:30: job-ttl: Job \"chart-example-zdm-migrate\" has no ttlSecondsAfterFinished: finished Jobs and their pods pile up in the namespace\$"
}

@test "plugin lint: everything at once: unsafe wins (exit 6); github and json formats" {
	printf 'CREATE INDEX users_created_idx ON users (created_at);\n' >"$C/migrations/V9__index.sql"
	printf -- '-- zdm: phase=contract requires-app=2.0.0\nALTER TABLE users DROP COLUMN email;\n' >"$C/migrations/V3__drop_email.sql"
	sed -i 's/backoffLimit: 0/backoffLimit: 3/' "$C/templates/_zdm.tpl"
	printf 'db:\n  password: "hunter2"\n' >>"$C/values.yaml"
	run --separate-stderr lint "$C" --output github --check-values all
	assert_failure 6
	assert_line --regexp "^::error file=$C/migrations/V9__index.sql,line=1,col=1,title=zdm index-not-concurrent::index-not-concurrent: .*%0Ahint: .*CONCURRENTLY"
	assert_line --regexp "^::notice file=$C/migrations/V3__drop_email.sql,line=2,col=[0-9]+,title=zdm drop-column::"
	assert_line --regexp "^zdm lint $C: [0-9]+ migration files, 1 unsafe, 0 warnings; 2 job-backoff-limit, 1 values-password\$"
	assert_line --regexp "^::error file=$C/values.yaml,line=[0-9]+,col=13,title=zdm values-password::values-password: \"db.password\" holds a literal password%0Ahint: "
	assert_line --regexp "^::error file=$C/templates/_zdm.tpl,line=[0-9]+,col=3,title=zdm job-backoff-limit::"
	run --separate-stderr lint "$C" --output json --check-values all
	assert_failure 6
	run jq -c '[.exit, .unsafe, .wiring, .problems, .accepted, ([.findings[] | select(.severity == "error") | "\(.kind):\(.rule)"] | sort)]' <<<"$output"
	assert_output '[6,1,3,{"job-backoff-limit":2,"values-password":1},0,["migration:index-not-concurrent","values:values-password","wiring:job-backoff-limit","wiring:job-backoff-limit"]]'
}

@test "plugin lint: a chart that does not render is a wiring problem with helm's reason" {
	run --separate-stderr lint "$C" --set zdm.database.existingSecret=
	assert_failure 1
	assert_line --partial "$C/Chart.yaml:1:1: chart-render: helm template fails: Error: execution error at (chart-example/templates/zdm-"
	assert_output --partial "zdm.database.existingSecret is empty"
}

@test "plugin lint: the zdm: block is always scanned; placeholders are not passwords" {
	cat >>"$C/values.yaml" <<'EOF'
admin:
  password: None
  passwords: [changeme]
  rootPassword: "<password>"
  userPassword: ""
  replicaPassword: ${REPLICA_PASSWORD}
  backupPassword: xxxxxx
  apiPassword: CHANGE_ME
  url: postgres://app:changeme@db/app
EOF
	run --separate-stderr lint "$C" --check-values all
	assert_success
	assert_line --regexp "; no chart problems\$"
	# zdm's own block is zdm's business whatever the scope
	printf 'zdm:\n  extraEnv:\n    - name: PGPASSWORD\n      value: hunter2\n    - name: X\n      value: postgres://u:s3cret@h/d\n' >"$C/extra.yaml"
	run --separate-stderr lint "$C" --values "$C/extra.yaml"
	assert_failure 1
	assert_line "$C/extra.yaml:6:14: values-credentials: \"zdm.extraEnv[1].value\" holds a connection string with a password"
	assert_line --regexp "; 1 values-credentials\$"
}

@test "plugin lint: a finding accepted with a reason in .zdm.yaml is printed as accepted and passes" {
	sed -i 's/backoffLimit: 0/backoffLimit: 3/' "$C/templates/_zdm.tpl"
	line=$(line_of "$C/templates/_zdm.tpl" "backoffLimit: 3")
	printf 'zdm:\n  extraEnv:\n    - name: X\n      value: postgres://u:s3cret@h/d\n' >"$C/.zdm.yaml"
	cat >>"$C/.zdm.yaml" <<EOF
  lint:
    accept:
      - kind: values-credentials
        key: zdm.extraEnv[0].value
        reason: a throwaway test database
      - kind: job-backoff-limit
        key: templates/_zdm.tpl:$line
        reason: retries wanted on this cluster
      - kind: values-password
        key: nothing.here
        reason: stale
EOF
	run --separate-stderr lint "$C"
	assert_success
	assert_line "$C/.zdm.yaml:4:14: values-credentials: \"zdm.extraEnv[0].value\" holds a connection string with a password (accepted in $C/.zdm.yaml:7: a throwaway test database)"
	assert_line "$C/templates/_zdm.tpl:$line:3: job-backoff-limit: Job \"chart-example-zdm-migrate\" has backoffLimit 3: Kubernetes would re-run a failed migration, and the release waits through every retry (accepted in $C/.zdm.yaml:10: retries wanted on this cluster)"
	assert_line --regexp ": [0-9]+ migration files, 0 unsafe, 0 warnings; no chart problems; 3 accepted\$"
	[ "$stderr" = "note: $C/.zdm.yaml:13: zdm.lint.accept entry (kind values-password, key nothing.here) matches no finding" ]
	run --separate-stderr lint "$C" --output json
	assert_success
	run jq -c '[.exit, .wiring, .accepted, ([.findings[] | select(.accepted) | .severity] | unique)]' <<<"$output"
	assert_output '[0,0,3,["allowed"]]'
	# no reason: exit 2 at the entry
	sed -i '/reason: stale/d' "$C/.zdm.yaml"
	run --separate-stderr lint "$C"
	assert_failure 2
	[ "$stderr" = "helm-zdm: error: $C/.zdm.yaml:13:9: zdm.lint.accept[2] has no reason
hint: an accepted finding needs a reason: say why it is not a problem (reason: ...)" ]
}
