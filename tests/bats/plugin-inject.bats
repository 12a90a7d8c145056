#!/usr/bin/env bats
# helm zdm inject: what it writes, what it keeps byte for byte, what it
# refuses. Charts come from the real `helm create` of Helm 4.

load helm_helpers

setup_file() {
	zdm_helm_setup_file
}

setup() {
	C="$BATS_TEST_TMPDIR/app"
	zdm_new_chart "$C"
}

inject() {
	"$ZDM_PLUGIN" inject "$@"
}

# --- conformance -------------------------------------------------------

@test "inject: --help, and an unknown option is exit 2" {
	run inject --help
	assert_success
	assert_line --index 0 "usage: helm zdm inject CHART_DIR [--dry-run] [--force]"
	run inject "$C" --frobnicate
	assert_failure 2
	assert_output --partial 'helm-zdm: error: unknown option "--frobnicate"'
	run inject "$C" --dry-run=maybe
	assert_failure 2
	assert_output --partial '"maybe" is not a boolean'
}

# --- what it writes ----------------------------------------------------

@test "inject: adds the zdm templates, the zdm: block and nothing else" {
	rm -r "$C/migrations"
	cp "$C/values.yaml" "$BATS_TEST_TMPDIR/values.orig"
	tree_sum "$C" | grep -v ' ./values.yaml$' >"$BATS_TEST_TMPDIR/before"
	run inject "$C"
	assert_success
	assert_output "created templates/_zdm.tpl
created templates/zdm-assertions-configmap.yaml
created templates/zdm-complete-job.yaml
created templates/zdm-migrate-job.yaml
created templates/zdm-migrations-configmap.yaml
appended the zdm: block to values.yaml
created migrations/README.md
chart \"app\" now has zdm 0.1.0; next: name the database Secret in zdm.database.existingSecret and add migrations/V1__<description>.sql
then: add {{- include \"zdm.appEnv\" . | nindent 12 }} to the env of your workloads' containers (PGAPPNAME=<release>/<app version>), so contracts wait while an older app version is connected"
	# every file the chart had is untouched, values.yaml only grew
	tree_sum "$C" | grep -F -f <(cut -d' ' -f3- "$BATS_TEST_TMPDIR/before" | sed 's/^/  /') \
		>"$BATS_TEST_TMPDIR/after-old" || true
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after-old"
	size=$(stat -c %s "$BATS_TEST_TMPDIR/values.orig")
	cmp <(head -c "$size" "$C/values.yaml") "$BATS_TEST_TMPDIR/values.orig"
	# the templates are the plugin's, behind one header line
	for f in "$ZDM_ROOT"/templates/_zdm.tpl "$ZDM_ROOT"/templates/zdm-*.yaml; do
		n=$(basename "$f")
		head -n 1 "$C/templates/$n" | grep -qE '^\{\{- /\* zdm 0\.1\.0 template '"$n"' crc32:[0-9a-f]{8}: .* \*/ -\}\}$'
		cmp <(tail -n +2 "$C/templates/$n") <(sed 's/@ZDM_VERSION@/0.1.0/g' "$f")
	done
	[ -f "$C/migrations/README.md" ]
	grep -q 'V<version>__<description>.sql' "$C/migrations/README.md"
	# the block is the documented one, and values.yaml still parses
	tail -c +"$((size + 1))" "$C/values.yaml" | tail -n +2 | cmp - <(sed 's/@ZDM_VERSION@/0.1.0/g' "$ZDM_ROOT/templates/values-zdm.yaml")
	run jq -r '.[0].zdm.database.existingSecret, .[0].replicaCount' <<<"$(zdm_yaml2json <"$C/values.yaml")"
	assert_output $'\n1'
}

@test "inject: a second run changes nothing, byte for byte" {
	inject "$C" >/dev/null
	tree_sum "$C" >"$BATS_TEST_TMPDIR/one"
	find "$C" -exec touch -d '2001-01-01' {} +
	run inject "$C"
	assert_success
	assert_output "note: values.yaml already has a top-level zdm: key (line $(grep -n '^zdm:' "$C/values.yaml" | cut -d: -f1)): left alone
chart \"app\" already has zdm 0.1.0: nothing to change"
	tree_sum "$C" >"$BATS_TEST_TMPDIR/two"
	diff "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two"
	# not even rewritten with the same bytes
	[ -z "$(find "$C" -newermt '2002-01-01')" ]
}

@test "inject: an odd values.yaml keeps every byte (CRLF, tabs, no final newline, ---)" {
	# helm create's values (its templates need them), made odd
	{
		printf -- '---\r\n# app settings\t(tab)  \r\n'
		sed 's/^replicaCount: .*/replicaCount: 3/; s/$/\r/' "$C/values.yaml"
		printf 'list:\r\n  - a  # a comment with\ta tab\r\n  - b   # trailing\r\nempty:\r\nlast: "no newline"'
	} >"$BATS_TEST_TMPDIR/odd"
	mv "$BATS_TEST_TMPDIR/odd" "$C/values.yaml"
	cp "$C/values.yaml" "$BATS_TEST_TMPDIR/orig"
	run inject "$C"
	assert_success
	size=$(stat -c %s "$BATS_TEST_TMPDIR/orig")
	cmp <(head -c "$size" "$C/values.yaml") "$BATS_TEST_TMPDIR/orig"
	# the file's own line ending finishes the last line, then the block in CRLF
	[ "$(tail -c +"$((size + 1))" "$C/values.yaml" | head -c 4 | od -An -c | tr -s ' ')" = ' \r \n \r \n' ]
	[ "$(grep -c $'\r$' "$C/values.yaml")" = "$(wc -l <"$C/values.yaml")" ]
	run jq -c '.[0] | [.replicaCount, .last, .zdm.enabled, .zdm.lock.wait]' <<<"$(zdm_yaml2json <"$C/values.yaml")"
	assert_output '[3,"no newline",true,"2m"]'
	# helm reads it
	run zdm_helm 4 template rel "$C" --set zdm.database.existingSecret=db --show-only templates/zdm-migrate-job.yaml
	assert_success
	run inject "$C"
	assert_success
	assert_output --partial "nothing to change"
}

@test "inject: an empty or comment-only values.yaml gets the block" {
	printf '# nothing set yet\n' >"$C/values.yaml"
	run inject "$C"
	assert_success
	head -n 1 "$C/values.yaml" | grep -qx '# nothing set yet'
	rm "$C/values.yaml"
	: >"$C/values.yaml"
	run inject "$C"
	assert_success
	cmp "$C/values.yaml" <(sed 's/@ZDM_VERSION@/0.1.0/g' "$ZDM_ROOT/templates/values-zdm.yaml")
}

@test "inject: a chart without values.yaml or templates/ gets both" {
	rm -r "$C/values.yaml" "$C/templates"
	run inject "$C"
	assert_success
	assert_line "created values.yaml"
	[ -f "$C/templates/zdm-migrate-job.yaml" ]
	run zdm_helm 4 lint --strict "$C"
	assert_success
}

@test "inject: a top-level zdm: key is found by parsing, not by grep" {
	cp "$C/values.yaml" "$BATS_TEST_TMPDIR/values.helm"
	# "zdm:" in a comment, a string and a nested key: not top-level
	printf '# zdm: later\nnote: "zdm: no"\nother:\n  zdm: 1\n' >"$C/values.yaml"
	run inject "$C"
	assert_success
	assert_line "appended the zdm: block to values.yaml"
	# a quoted top-level key, null-valued: left alone
	printf 'replicaCount: 1\n"zdm":\n' >"$C/values.yaml"
	cp "$C/values.yaml" "$BATS_TEST_TMPDIR/orig"
	run inject "$C"
	assert_success
	assert_line "note: values.yaml already has a top-level zdm: key (line 2): left alone"
	cmp "$C/values.yaml" "$BATS_TEST_TMPDIR/orig"
	# a user's own block, even a partial one, stays as it is and still renders
	{ cat "$BATS_TEST_TMPDIR/values.helm"; printf 'zdm:\n  database:\n    existingSecret: mine\n'; } >"$C/values.yaml"
	cp "$C/values.yaml" "$BATS_TEST_TMPDIR/orig"
	run inject "$C"
	assert_success
	cmp "$C/values.yaml" "$BATS_TEST_TMPDIR/orig"
	run zdm_helm 3 template rel "$C" --show-only templates/zdm-migrate-job.yaml
	assert_success
}

@test "inject: a chart path with spaces and a quote" {
	D="$BATS_TEST_TMPDIR/dir with space's \"quoted\""
	mkdir -p "$D"
	mv "$C" "$D/my app"
	run inject "$D/my app/"
	assert_success
	assert_line "created templates/zdm-migrate-job.yaml"
	[ -f "$D/my app/templates/zdm-migrate-job.yaml" ]
	run --separate-stderr inject --dry-run "$D/my app"
	assert_success
	assert_output ""
	run zdm_helm 4 lint --strict "$D/my app" --set zdm.database.existingSecret=db
	assert_success
}

@test "inject: the chart's existing migrations/ is left alone" {
	tree_sum "$C/migrations" >"$BATS_TEST_TMPDIR/m1"
	run inject "$C"
	assert_success
	refute_line --partial "migrations/README.md"
	tree_sum "$C/migrations" >"$BATS_TEST_TMPDIR/m2"
	diff "$BATS_TEST_TMPDIR/m1" "$BATS_TEST_TMPDIR/m2"
}

# --- refusals ----------------------------------------------------------

@test "inject: refuses a directory that is not a chart, exit 2" {
	mkdir -p "$BATS_TEST_TMPDIR/plain"
	run --separate-stderr inject "$BATS_TEST_TMPDIR/plain"
	assert_failure 2
	[ "$stderr" = "helm-zdm: error: \"$BATS_TEST_TMPDIR/plain\" is not a Helm chart: it has no Chart.yaml
hint: give the directory that holds the chart's Chart.yaml (helm create NAME makes a new chart)" ]
	[ -z "$output" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/plain")" ]
	run --separate-stderr inject "$BATS_TEST_TMPDIR/absent"
	assert_failure 2
	[[ "$stderr" == "helm-zdm: error: chart directory \"$BATS_TEST_TMPDIR/absent\" does not exist"* ]]
	run --separate-stderr inject "$C/Chart.yaml"
	assert_failure 2
	[[ "$stderr" == "helm-zdm: error: \"$C/Chart.yaml\" is not a chart directory"* ]]
	touch "$BATS_TEST_TMPDIR/app-1.0.0.tgz"
	run --separate-stderr inject "$BATS_TEST_TMPDIR/app-1.0.0.tgz"
	assert_failure 2
	[[ "$stderr" == *"hint: inject works on a chart's source: unpack the archive first"* ]]
}

@test "inject: refuses a library chart (type parsed from Chart.yaml), exit 2" {
	printf 'apiVersion: v2\nname: lib\n# type: application\nversion: 0.1.0\ntype: "library"\n' >"$C/Chart.yaml"
	tree_sum "$C" >"$BATS_TEST_TMPDIR/before"
	run --separate-stderr inject "$C"
	assert_failure 2
	[ "$stderr" = "helm-zdm: error: \"$C\" is a library chart ($C/Chart.yaml:5: type: library)
detail: a library chart renders no resources, so it cannot carry the migration Job
hint: inject into the application chart that uses this library" ]
	tree_sum "$C" | diff "$BATS_TEST_TMPDIR/before" -
	# the word in a comment does not make a library chart
	printf 'apiVersion: v2\nname: app\n# type: library\nversion: 0.1.0\ntype: application\n' >"$C/Chart.yaml"
	run inject "$C"
	assert_success
}

@test "inject: refuses a broken Chart.yaml with its position, exit 2" {
	printf 'apiVersion: v2\nname: [app\n' >"$C/Chart.yaml"
	run --separate-stderr inject "$C"
	assert_failure 2
	[[ "$stderr" == "helm-zdm: error: $C/Chart.yaml:"*"invalid YAML"* ]]
}

@test "inject: refuses a chart it cannot write, exit 2, and changes nothing" {
	W=$(mktemp -d "${TMPDIR:-/tmp}/zdm-ro.XXXXXX")
	chmod 755 "$W"
	cp -r "$C" "$W/app"
	tree_sum "$W/app" >"$BATS_TEST_TMPDIR/before"
	chmod -R a-w "$W/app"
	if [ "$(id -u)" -eq 0 ]; then
		# root writes anywhere: run as nobody, if nobody can reach the binary
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		"${as[@]}" "$ZDM_PLUGIN" version >/dev/null 2>&1 ||
			{ chmod -R u+w "$W"; rm -rf "$W"; skip "uid 65534 cannot run $ZDM_PLUGIN"; }
	else
		as=()
	fi
	run --separate-stderr "${as[@]}" env ZDM_TEMPLATES_DIR="$ZDM_ROOT/templates" "$ZDM_PLUGIN" inject "$W/app"
	rc=$status
	chmod -R u+w "$W/app"
	after=$(tree_sum "$W/app")
	rm -rf "$W"
	[ "$rc" -eq 2 ]
	[[ "$stderr" == "helm-zdm: error: chart \"$W/app\": cannot write to \""*"\": Permission denied"* ]]
	[[ "$stderr" == *"hint: inject needs write access to the chart; nothing was changed"* ]]
	diff "$BATS_TEST_TMPDIR/before" <(printf '%s\n' "$after")
}

@test "inject: refuses an edited zdm template without --force, exit 2; --force overwrites it" {
	inject "$C" >/dev/null
	printf '# my tweak\n' >>"$C/templates/zdm-migrate-job.yaml"
	cp "$C/templates/zdm-migrate-job.yaml" "$BATS_TEST_TMPDIR/edited"
	# a newer zdm wants to update the files
	cp -r "$ZDM_ROOT/templates" "$BATS_TEST_TMPDIR/newer"
	printf '{{/* newer */}}\n' >>"$BATS_TEST_TMPDIR/newer/zdm-migrate-job.yaml"
	printf '{{/* newer */}}\n' >>"$BATS_TEST_TMPDIR/newer/_zdm.tpl"
	tree_sum "$C" >"$BATS_TEST_TMPDIR/before"
	ZDM_TEMPLATES_DIR="$BATS_TEST_TMPDIR/newer" run --separate-stderr inject "$C"
	assert_failure 2
	[ "$stderr" = "helm-zdm: error: refusing to overwrite files in chart \"$C\"
detail: these files have zdm's names but not zdm's content:
  templates/zdm-migrate-job.yaml (edited since zdm wrote it)
hint: move your changes into the zdm: values (or rename your file), then run inject again; --force overwrites them and your edits are lost" ]
	tree_sum "$C" | diff "$BATS_TEST_TMPDIR/before" -
	ZDM_TEMPLATES_DIR="$BATS_TEST_TMPDIR/newer" run inject --force "$C"
	assert_success
	assert_line "updated templates/_zdm.tpl"
	assert_line "updated templates/zdm-migrate-job.yaml (your edits were overwritten: --force)"
	tail -n 1 "$C/templates/zdm-migrate-job.yaml" | grep -qxF '{{/* newer */}}'
	# the same refusal without a newer zdm: an edited file is never rewritten silently
	inject "$C" >/dev/null
	printf '# again\n' >>"$C/templates/zdm-complete-job.yaml"
	run inject "$C"
	assert_failure 2
	assert_output --partial "templates/zdm-complete-job.yaml (edited since zdm wrote it)"
}

@test "inject: refuses a user's file that has a zdm template's name" {
	printf 'kind: ConfigMap\n' >"$C/templates/zdm-migrate-job.yaml"
	run inject "$C"
	assert_failure 2
	assert_output --partial "templates/zdm-migrate-job.yaml (not written by zdm)"
	[ "$(cat "$C/templates/zdm-migrate-job.yaml")" = "kind: ConfigMap" ]
	[ ! -e "$C/templates/_zdm.tpl" ]
}

@test "inject: refuses a values.yaml the block cannot be appended to, exit 2" {
	printf '{replicaCount: 1}\n' >"$C/values.yaml"
	run inject "$C"
	assert_failure 2
	assert_output --partial "cannot append the zdm: block to $C/values.yaml"
	assert_output --partial "hint: add the block by hand from the plugin's templates/values-zdm.yaml"
	printf 'a: 1\n---\nb: 2\n' >"$C/values.yaml"
	run inject "$C"
	assert_failure 2
	assert_output --partial "holds 2 YAML documents"
	printf 'base: &b {x: 1}\nother: *nope\n' >"$C/values.yaml"
	run inject "$C"
	assert_failure 2
	assert_output --partial "values.yaml:2:8: alias *nope names no anchor (&nope) before it"
	assert_output --partial "hint: fix values.yaml first; zdm reads it as Helm does"
	printf -- '- a\n- b\n' >"$C/values.yaml"
	run inject "$C"
	assert_failure 2
	assert_output --partial "values.yaml is a list, not a mapping"
	[ ! -e "$C/templates/_zdm.tpl" ]
}

# --- dry run and upgrades -----------------------------------------------

@test "inject: --dry-run writes nothing and prints a unified diff that patch applies" {
	cp -r "$C" "$BATS_TEST_TMPDIR/copy"
	tree_sum "$C" >"$BATS_TEST_TMPDIR/before"
	run --separate-stderr inject --dry-run "$C"
	assert_success
	[ -z "$stderr" ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/diff"
	tree_sum "$C" | diff "$BATS_TEST_TMPDIR/before" -
	assert_line --index 0 "--- /dev/null"
	assert_line --index 1 "+++ b/templates/_zdm.tpl"
	assert_line "--- a/values.yaml"
	assert_line "+++ b/values.yaml"
	assert_line "+zdm:"
	# the diff is exactly what a real run does
	inject "$C" >/dev/null
	(cd "$BATS_TEST_TMPDIR/copy" && patch -p1 -s <"$BATS_TEST_TMPDIR/diff")
	diff -r "$C" "$BATS_TEST_TMPDIR/copy"
	# nothing left to do: an empty diff
	run --separate-stderr inject --dry-run "$C"
	assert_success
	assert_output ""
	[[ "$stderr" == *'chart "app" already has zdm 0.1.0: nothing to change' ]]
}

@test "inject: --dry-run shows a values.yaml without a final newline correctly" {
	printf 'a: 1' >"$C/values.yaml"
	cp -r "$C" "$BATS_TEST_TMPDIR/copy"
	run inject --dry-run "$C"
	assert_success
	assert_output --partial $'--- a/values.yaml\n+++ b/values.yaml\n@@ -1 +1,'
	assert_output --partial $'-a: 1\n\\ No newline at end of file\n+a: 1\n+\n'
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/diff"
	(cd "$BATS_TEST_TMPDIR/copy" && patch -p1 -s <"$BATS_TEST_TMPDIR/diff")
	inject "$C" >/dev/null
	diff -r "$C" "$BATS_TEST_TMPDIR/copy"
}

@test "inject: a newer zdm updates and removes only its own untouched templates" {
	inject "$C" >/dev/null
	printf 'kind: ConfigMap\n' >"$C/templates/zdm-mine.yaml"   # the user's, no header
	cp "$C/values.yaml" "$BATS_TEST_TMPDIR/values"
	cp -r "$ZDM_ROOT/templates" "$BATS_TEST_TMPDIR/newer"
	printf '{{/* changed */}}\n' >>"$BATS_TEST_TMPDIR/newer/zdm-complete-job.yaml"
	rm "$BATS_TEST_TMPDIR/newer/zdm-assertions-configmap.yaml"
	printf 'zdm:\n  changed: true\n' >"$BATS_TEST_TMPDIR/newer/values-zdm.yaml"
	ZDM_TEMPLATES_DIR="$BATS_TEST_TMPDIR/newer" run inject --dry-run "$C"
	assert_success
	assert_line "+{{/* changed */}}"
	assert_line "+++ /dev/null"
	ZDM_TEMPLATES_DIR="$BATS_TEST_TMPDIR/newer" run inject "$C"
	assert_success
	assert_line "updated templates/zdm-complete-job.yaml"
	assert_line "removed templates/zdm-assertions-configmap.yaml"
	refute_line --partial "zdm-mine"
	refute_line --regexp '^(created|updated|appended).*values\.yaml'
	cmp "$C/values.yaml" "$BATS_TEST_TMPDIR/values"
	[ "$(cat "$C/templates/zdm-mine.yaml")" = "kind: ConfigMap" ]
	[ ! -e "$C/templates/zdm-assertions-configmap.yaml" ]
	# and back with the current zdm
	run inject "$C"
	assert_success
	assert_line "updated templates/zdm-complete-job.yaml"
	assert_line "created templates/zdm-assertions-configmap.yaml"
}

@test "inject: chart-example is exactly what inject produces" {
	cp -r "$ZDM_ROOT/chart-example" "$BATS_TEST_TMPDIR/ce"
	tree_sum "$BATS_TEST_TMPDIR/ce" >"$BATS_TEST_TMPDIR/before"
	run inject "$BATS_TEST_TMPDIR/ce"
	assert_success
	assert_output --partial 'chart "chart-example" already has zdm 0.1.0: nothing to change'
	tree_sum "$BATS_TEST_TMPDIR/ce" | diff "$BATS_TEST_TMPDIR/before" -
}

# --- real charts: Helm's YAML rules, inherited settings, hook Jobs -------

@test "inject: duplicate keys, anchors and merge keys: Helm's rules, a warning naming both lines, bytes kept" {
	cat >>"$C/values.yaml" <<'EOF'
defaults: &defaults
  pullPolicy: Always
  tag: "1.0"
worker:
  <<: *defaults
  tag: "2.0"
replicaCount: 3
EOF
	cp "$C/values.yaml" "$BATS_TEST_TMPDIR/values.orig"
	first=$(grep -n -m1 '^replicaCount:' "$C/values.yaml" | cut -d: -f1)
	last=$(grep -n '^replicaCount:' "$C/values.yaml" | tail -n1 | cut -d: -f1)
	run --separate-stderr inject "$C"
	assert_success
	[ "$stderr" = "warning: $C/values.yaml:$last: key \"replicaCount\" is set again (first at line $first): Helm uses the last one, and so does zdm" ]
	refute_output --partial "helm lint shows the same problem"
	size=$(stat -c %s "$BATS_TEST_TMPDIR/values.orig")
	cmp <(head -c "$size" "$C/values.yaml") "$BATS_TEST_TMPDIR/values.orig"
	# Helm agrees: last wins, merge keys merged, lint --strict clean
	for v in 3 4; do
		run zdm_helm "$v" lint --strict "$C" --set zdm.database.existingSecret=db
		assert_success
		zdm_render "$v" "$C" --set zdm.database.existingSecret=db
		run jqr -r '[.[] | select(.kind == "Deployment") | .spec.replicas] | .[0]'
		assert_output 3
	done
	# a second run: the same warning, nothing to change
	run --separate-stderr inject "$C"
	assert_success
	assert_output --partial "nothing to change"
}

@test "inject: names the chart's pod settings the zdm Jobs inherit" {
	cat >>"$C/values.yaml" <<'EOF'
global:
  imagePullSecrets: [regcred]
tolerations:
  - {key: pool, operator: Equal, value: db, effect: NoSchedule}
EOF
	sed -i 's/^  create: true/  create: false/; s/^  name: ""/  name: app-sa/' "$C/values.yaml"
	g=$(grep -n '^  imagePullSecrets: \[regcred\]' "$C/values.yaml" | cut -d: -f1)
	t=$(grep -n '^tolerations:' "$C/values.yaml" | tail -n1 | cut -d: -f1)
	s=$(grep -n '^  name: app-sa' "$C/values.yaml" | cut -d: -f1)
	run --separate-stderr inject "$C"
	assert_success
	assert_line "note: the zdm Jobs follow the chart's global.imagePullSecrets (line $g), tolerations (line $t), serviceAccount.name (line $s) of $C/values.yaml (zdm.inherit)"
	zdm_render 4 "$C" --set zdm.database.existingSecret=db
	run jqr -c '.[] | select(.kind == "Job" and .metadata.name == "rel-zdm-migrate") | .spec.template.spec | [.imagePullSecrets, .tolerations, .serviceAccountName]'
	assert_output '[[{"name":"regcred"}],[{"effect":"NoSchedule","key":"pool","operator":"Equal","value":"db"}],"app-sa"]'
	# a chart that creates its account: not taken, and inject says why
	sed -i 's/^  create: false/  create: true/' "$C/values.yaml"
	sed -i '/^zdm:/,$d' "$C/values.yaml"
	rm "$C"/templates/zdm-* "$C/templates/_zdm.tpl"
	run --separate-stderr inject "$C"
	assert_success
	assert_line "note: the chart creates serviceAccount.name ($C/values.yaml:$s) itself, so it does not exist yet when the pre-install Job starts: the zdm Jobs keep the namespace's default account (zdm.serviceAccountName names one that exists)"
	zdm_render 4 "$C" --set zdm.database.existingSecret=db
	run jqr -c '.[] | select(.kind == "Job" and .metadata.name == "rel-zdm-migrate") | .spec.template.spec.serviceAccountName'
	assert_output null
}

@test "inject: names the chart's own pre-install/PreSync hook Jobs and the order they run in" {
	cat >"$C/templates/db-migrate.yaml" <<'EOF'
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "app.fullname" . }}-db-migrate
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-20"
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: seed
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: s, image: busybox}]
EOF
	run --separate-stderr inject "$C"
	assert_success
	assert_output --partial 'note: templates/db-migrate.yaml:2: Job {{ include "app.fullname" . }}-db-migrate is a pre-install/pre-upgrade hook of the chart, run before the release
  Helm runs hooks by ascending helm.sh/hook-weight, then kind, then name: zdm'"'"'s migration Job (weight -5) runs after it (weight -20)
  Argo CD runs PreSync hooks by sync wave (else hook weight), then kind, then name: zdm'"'"'s (wave -5) runs after it (wave -20)
  to change the order, set zdm.hooks.jobWeight (with zdm.hooks.configWeight below it) or that Job'"'"'s weight and wave'
	assert_output --partial 'note: templates/db-migrate.yaml:15: Job seed is an Argo CD PreSync hook of the chart, run before the release
  Argo CD runs PreSync hooks by sync wave (else hook weight), then kind, then name: zdm'"'"'s (wave -5) runs before it (wave 0)'
	# what Helm really renders agrees with the note: weights as stated
	zdm_render 4 "$C" --set zdm.database.existingSecret=db
	run jqr -r '[.[] | select(.kind == "Job" and (.metadata.annotations["helm.sh/hook"] // "" | test("pre-install"))) | "\(.metadata.annotations["helm.sh/hook-weight"]) \(.metadata.name)"] | sort_by(split(" ")[0] | tonumber) | .[]'
	assert_output $'-20 rel-app-db-migrate\n-5 rel-zdm-migrate'
}

@test "inject: no leak or memory error under valgrind" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	zdm_skip_under_asan
	printf 'a: 1\nb: &b {x: [1, 2]}\nc: {<<: *b, y: 2}\na: 2\nglobal: {imagePullSecrets: [r]}\nserviceAccount: {create: true, name: s}\n' >"$C/values.yaml"
	printf 'kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-weight: "{{ .Values.w }}"\n---\nkind: Job\nmetadata:\n  name: k\n  annotations:\n    argocd.argoproj.io/hook: PreSync\n' >"$C/templates/hooks.yaml"
	run valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
		"$ZDM_PLUGIN" inject --dry-run "$C"
	assert_success
	printf 'a: 1' >"$C/values.yaml"
	run valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
		"$ZDM_PLUGIN" inject --dry-run "$C"
	assert_success
	run valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
		"$ZDM_PLUGIN" inject "$C"
	assert_success
	printf '# edit\n' >>"$C/templates/_zdm.tpl"
	run valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
		"$ZDM_PLUGIN" inject "$C"
	assert_failure 2
	run valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
		"$ZDM_PLUGIN" inject --force "$C"
	assert_success
}
