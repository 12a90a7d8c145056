#!/usr/bin/env bats
# helm-zdm's command line, directly and as `helm zdm` through real Helm 3
# and Helm 4 with the plugin installed from the working tree.

load helm_helpers

setup_file() {
	zdm_helm_setup_file install
}

# --- conformance -----------------------------------------------------

@test "plugin: --help lists the commands on stdout, exit 0" {
	run --separate-stderr "$ZDM_PLUGIN" --help
	assert_success
	assert_line --index 0 "usage: helm zdm COMMAND [OPTIONS]"
	assert_output --partial "  inject "
	assert_output --partial "  version "
	assert_output --partial "Exit codes: 0 ok, 1 failure, 2 usage or input error, 6 unsafe migration."
	[ -z "$stderr" ]
}

@test "plugin: version and --version print the version" {
	run "$ZDM_PLUGIN" version
	assert_success
	assert_output "helm-zdm 0.1.0"
	run "$ZDM_PLUGIN" --version
	assert_success
	assert_output "helm-zdm 0.1.0"
}

@test "plugin: an unknown option is a usage error, exit 2" {
	run --separate-stderr "$ZDM_PLUGIN" inject --no-such-flag chart
	assert_failure 2
	[ "$stderr" = 'helm-zdm: error: unknown option "--no-such-flag"
hint: run "helm zdm inject --help" for its options' ]
	[ -z "$output" ]
	run --separate-stderr "$ZDM_PLUGIN" --no-such-flag
	assert_failure 2
	[[ "$stderr" == 'helm-zdm: error: unknown option "--no-such-flag"'* ]]
}

@test "plugin: an unknown command is a usage error, exit 2" {
	run --separate-stderr "$ZDM_PLUGIN" frobnicate
	assert_failure 2
	[ "$stderr" = 'helm-zdm: error: unknown command "frobnicate"
hint: run "helm zdm --help" for the list of commands' ]
}

@test "plugin: no command prints the usage on stderr, exit 2" {
	run --separate-stderr "$ZDM_PLUGIN"
	assert_failure 2
	[ -z "$output" ]
	[[ "$stderr" == "usage: helm zdm COMMAND"* ]]
}

@test "plugin: COMMAND --help and help COMMAND show the command's options" {
	run "$ZDM_PLUGIN" inject --help
	assert_success
	assert_line --index 0 "usage: helm zdm inject CHART_DIR [--dry-run] [--force]"
	assert_output --regexp '--dry-run +print the changes as a unified diff'
	assert_output --regexp '--force +overwrite zdm templates'
	run "$ZDM_PLUGIN" help inject
	assert_success
	assert_line --index 0 "usage: helm zdm inject CHART_DIR [--dry-run] [--force]"
	run "$ZDM_PLUGIN" help nope
	assert_failure 2
}

@test "plugin: version takes no argument, and no inject option" {
	run "$ZDM_PLUGIN" version extra
	assert_failure 2
	assert_output --partial 'unexpected argument "extra"'
	run "$ZDM_PLUGIN" version --force
	assert_failure 2
	assert_output --partial 'unknown option "--force"'
}

@test "plugin: inject needs exactly one chart directory" {
	run "$ZDM_PLUGIN" inject
	assert_failure 2
	assert_output --partial "inject needs the chart directory"
	run "$ZDM_PLUGIN" inject a b
	assert_failure 2
	assert_output --partial "inject takes one chart directory, got 2"
}

# --- through real Helm -------------------------------------------------

@test "plugin: Helm 3.17 and Helm 4.1 are the versions under test" {
	run zdm_helm 3 version --template '{{.Version}}'
	assert_success
	assert_output --regexp '^v3\.17\.'
	run zdm_helm 4 version --template '{{.Version}}'
	assert_success
	assert_output --regexp '^v4\.1\.'
}

@test "plugin: installs from the working tree into Helm 3 and Helm 4" {
	for v in 3 4; do
		run zdm_helm "$v" plugin list
		assert_success
		assert_output --regexp $'(^|\n)zdm[[:space:]]+0\.1\.0'
		# the install hook ran and found the binaries (no HELM_BIN needed)
		run cat "$BATS_FILE_TMPDIR/install$v.log"
		assert_output --partial "zdm: using the built binaries in build/"
		assert_output --partial "Installed plugin: zdm"
	done
}

@test "plugin: helm zdm --help runs the binary through Helm 3 and Helm 4" {
	for v in 3 4; do
		run --separate-stderr zdm_helm "$v" zdm --help
		assert_success
		assert_line --index 0 "usage: helm zdm COMMAND [OPTIONS]"
		run zdm_helm "$v" zdm version
		assert_success
		assert_output "helm-zdm 0.1.0"
	done
}

@test "plugin: helm passes the plugin's exit code and message through" {
	for v in 3 4; do
		run --separate-stderr zdm_helm "$v" zdm inject "$BATS_TEST_TMPDIR/nowhere"
		assert_failure 2
		[[ "$stderr" == *'helm-zdm: error: chart directory "'*'/nowhere" does not exist'* ]]
	done
}

@test "plugin: -n and --debug reach the plugin as HELM_NAMESPACE and HELM_DEBUG" {
	for v in 3 4; do
		run --separate-stderr zdm_helm "$v" --debug -n team-a zdm version
		assert_success
		assert_output "helm-zdm 0.1.0"
		[[ "$stderr" == *"helm-zdm: debug: command version, namespace team-a"* ]]
	done
	HELM_NAMESPACE=ns-x HELM_DEBUG=true run --separate-stderr "$ZDM_PLUGIN" version
	[[ "$stderr" == *"namespace ns-x"* ]]
	HELM_DEBUG=false run --separate-stderr "$ZDM_PLUGIN" version
	[ -z "$stderr" ]
}

@test "plugin: helm zdm inject finds the templates from HELM_PLUGIN_DIR" {
	for v in 3 4; do
		mkdir -p "$BATS_TEST_TMPDIR/h$v"
		zdm_new_chart "$BATS_TEST_TMPDIR/h$v/app"
		run zdm_helm "$v" --debug zdm inject "$BATS_TEST_TMPDIR/h$v/app"
		assert_success
		assert_output --regexp "templates from $BATS_FILE_TMPDIR/helm$v/data/plugins/[^/]+/templates"
		assert_output --partial "created templates/zdm-migrate-job.yaml"
		[ -f "$BATS_TEST_TMPDIR/h$v/app/templates/zdm-migrate-job.yaml" ]
	done
}

@test "plugin: plugin.yaml is the legacy format both Helms accept" {
	run grep -E '^(apiVersion|platformCommand|platformHooks|type|runtime):' "$ZDM_ROOT/plugin.yaml"
	assert_failure
	run grep -E '^version: "?[0-9]+\.[0-9]+\.[0-9]+"?$' "$ZDM_ROOT/plugin.yaml"
	assert_success
	# the plugin version is the binary's
	v=$(sed -nE 's/^version: "?([0-9.]+)"?$/\1/p' "$ZDM_ROOT/plugin.yaml")
	[ "$("$ZDM_PLUGIN" version)" = "helm-zdm $v" ]
}

@test "plugin: the install hook builds when a binary is missing (no HELM_BIN)" {
	for v in 3 4; do
		# a copy of the plugin without binaries: the hook must run make there
		src="$BATS_TEST_TMPDIR/zdm-src$v"
		mkdir -p "$src/build"
		mkdir -p "$src/scripts"
		cp "$ZDM_ROOT/plugin.yaml" "$src/"
		cp "$ZDM_ROOT/scripts/plugin-hook.sh" "$src/scripts/"
		cp -r "$ZDM_ROOT/templates" "$src/"
		# a stand-in Makefile records that make ran and provides the two
		# binaries, the only targets the hook asks for
		printf 'all:\n\tfalse\nbuild/helm-zdm:\n\techo made $(LIBPQ) > made\n\tcp "%s" build/helm-zdm\nbuild/zdm-hook:\n\tcp "%s" build/zdm-hook\n' \
			"$ZDM_PLUGIN" "$ZDM_HOOK" >"$src/Makefile"
		home="$BATS_TEST_TMPDIR/home$v"
		run env -u HELM_BIN HELM_DATA_HOME="$home/data" HELM_CONFIG_HOME="$home/config" \
			HELM_CACHE_HOME="$home/cache" HELM_PLUGINS="$home/data/plugins" \
			"$ZDM_TOOLS/helm$v/helm" plugin install "$src"
		assert_success
		[ "$(cat "$src/made")" = "made system" ]
		run env HELM_DATA_HOME="$home/data" HELM_CONFIG_HOME="$home/config" \
			HELM_CACHE_HOME="$home/cache" HELM_PLUGINS="$home/data/plugins" \
			"$ZDM_TOOLS/helm$v/helm" zdm version
		assert_success
		assert_output "helm-zdm 0.1.0"
	done
}
