#!/usr/bin/env bats
# make dist (scripts/dist.sh): the plugin's release tarball with prebuilt
# binaries, installed the ways users install helm-diff: from a URL (here
# a loopback HTTP server) and from a path, by Helm 3.17 and Helm 4.1, on a
# PATH without a compiler or make; and a git checkout that still builds
# from source on install and on `helm plugin update`.

load helm_helpers

VERSION=$(sed -nE 's/^VERSION[[:space:]]*:=[[:space:]]*(.*)$/\1/p' "$ZDM_ROOT/Makefile")

setup_file() {
	zdm_helm_setup_file
	case "$(uname -m)" in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
	TGZ_NAME=helm-zdm-$VERSION-linux-$ARCH.tar.gz
	TGZ=$ZDM_ROOT/build/dist/$TGZ_NAME
	"$ZDM_ROOT/scripts/dist.sh" >"$BATS_FILE_TMPDIR/dist.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/dist.log" >&2; return 1; }
	# a loopback HTTP server for the URL installs
	mkdir -p "$BATS_FILE_TMPDIR/www"
	cp "$TGZ" "$BATS_FILE_TMPDIR/www/"
	python3 - "$BATS_FILE_TMPDIR/www" >"$BATS_FILE_TMPDIR/port" 2>"$BATS_FILE_TMPDIR/http.log" <<-'PY' &
	import functools, http.server, sys
	h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
	s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
	print(s.server_address[1], flush=True)
	s.serve_forever()
	PY
	echo $! >"$BATS_FILE_TMPDIR/http.pid"
	local i
	for i in $(seq 50); do [ -s "$BATS_FILE_TMPDIR/port" ] && break; sleep 0.1; done
	[ -s "$BATS_FILE_TMPDIR/port" ]
	URL="http://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/port")/$TGZ_NAME"
	# a PATH with what a laptop without build tools has: no cc, no make
	NOCC="$BATS_FILE_TMPDIR/nocc"
	mkdir -p "$NOCC"
	local t
	for t in sh bash uname dirname cat env ls tar gzip; do
		ln -s "$(command -v "$t")" "$NOCC/$t"
	done
	export ARCH TGZ_NAME TGZ URL NOCC
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/http.pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/http.pid")" 2>/dev/null || true
}

# helm_nocc 3|4 HOME ARGS...: that Helm with fresh homes under HOME and
# the compiler-less PATH.
helm_nocc() {
	local v=$1 home=$2
	shift 2
	env -i PATH="$NOCC" HOME="$home" HELM_DATA_HOME="$home/data" HELM_CONFIG_HOME="$home/config" \
		HELM_CACHE_HOME="$home/cache" "$ZDM_TOOLS/helm$v/helm" "$@"
}

# check_installed 3|4 HOME: helm zdm runs the prebuilt binaries and finds
# its templates (inject), still without a compiler.
check_installed() {
	local v=$1 home=$2 chart
	run helm_nocc "$v" "$home" zdm version
	assert_success
	assert_output "helm-zdm $VERSION"
	chart="$home/chart"
	cp -r "$ZDM_ROOT/chart-example" "$chart"
	rm "$chart"/templates/zdm-*.yaml "$chart/templates/_zdm.tpl"
	run helm_nocc "$v" "$home" zdm inject "$chart"
	assert_success
	[ -f "$chart/templates/zdm-migrate-job.yaml" ]
	# the zdm-hook that came with it needs only libc, too
	run sh -c "ls '$home'/data/plugins/*/build/zdm-hook '$home'/data/plugins/*/helm-zdm/build/zdm-hook 2>/dev/null | head -n 1"
	[ -n "$output" ]
	run env -i "$output" --version
	assert_output "zdm-hook $VERSION"
}

@test "dist: the tarball holds plugin.yaml, the templates and binaries that need only glibc" {
	[ -f "$TGZ" ]
	(cd "$(dirname "$TGZ")" && sha256sum -c "$TGZ_NAME.sha256")
	grep -qF "$TGZ_NAME" "$ZDM_ROOT/build/dist/SHA256SUMS"
	run tar -tzf "$TGZ"
	assert_success
	for f in plugin.yaml helm-zdm/plugin.yaml helm-zdm/build/helm-zdm helm-zdm/build/zdm-hook \
		helm-zdm/scripts/plugin-hook.sh helm-zdm/templates/_zdm.tpl helm-zdm/templates/zdm-migrate-job.yaml; do
		assert_line "$f"
	done
	# no "." entry (Helm 3's extractor refuses to make a directory twice),
	# no source, no Makefile: nothing to build
	refute_line --regexp '^\./?$'
	refute_line --regexp '(Makefile|\.c|\.h)$'
	mkdir -p "$BATS_TEST_TMPDIR/x"
	tar -xzf "$TGZ" -C "$BATS_TEST_TMPDIR/x"
	for b in helm-zdm zdm-hook; do
		run sh -c "objdump -p '$BATS_TEST_TMPDIR/x/helm-zdm/build/$b' | awk '\$1 == \"NEEDED\" { print \$2 }'"
		assert_success
		refute_line --regexp '^lib(pq|ssl|crypto|yaml|jansson|gssapi|krb5|ldap)'
	done
	# the root plugin.yaml is the plugin's, pointing into helm-zdm/
	diff <(sed 's|/helm-zdm/|/|' "$BATS_TEST_TMPDIR/x/plugin.yaml") "$ZDM_ROOT/plugin.yaml"
	cmp "$BATS_TEST_TMPDIR/x/helm-zdm/plugin.yaml" "$ZDM_ROOT/plugin.yaml"
	# reproducible: a second make dist writes the same bytes
	sum=$(sha256sum <"$TGZ")
	"$ZDM_ROOT/scripts/dist.sh" 2>/dev/null
	[ "$(sha256sum <"$TGZ")" = "$sum" ]
}

@test "dist: the test PATH has no compiler and no make" {
	env -i PATH="$NOCC" sh -c 'command -v sh' >/dev/null
	! env -i PATH="$NOCC" sh -c 'command -v cc || command -v gcc || command -v make'
}

@test "dist: Helm 3.17 installs the tarball from a URL without a compiler" {
	home="$BATS_TEST_TMPDIR/h3"
	run helm_nocc 3 "$home" plugin install "$URL"
	assert_success
	assert_output --partial "zdm: using the prebuilt binaries in build/ (helm-zdm $VERSION)"
	assert_output --partial "Installed plugin: zdm"
	check_installed 3 "$home"
}

@test "dist: Helm 4.1 installs the tarball from a URL without a compiler" {
	home="$BATS_TEST_TMPDIR/h4"
	# no .prov (the release is not signed): Helm 4 verifies by default
	run helm_nocc 4 "$home" plugin install "$URL"
	assert_failure
	run helm_nocc 4 "$home" plugin install "$URL" --verify=false
	assert_success
	assert_output --partial "zdm: using the prebuilt binaries in build/ (helm-zdm $VERSION)"
	check_installed 4 "$home"
}

@test "dist: Helm 4.1 installs the tarball from a path without a compiler" {
	home="$BATS_TEST_TMPDIR/h4p"
	run helm_nocc 4 "$home" plugin install "$TGZ" --verify=false
	assert_success
	assert_output --partial "Installed plugin: zdm"
	check_installed 4 "$home"
}

@test "dist: Helm 3.17 installs the unpacked tarball from a path without a compiler" {
	home="$BATS_TEST_TMPDIR/h3p"
	# Helm 3 has no installer for a local tarball...
	run helm_nocc 3 "$home" plugin install "$TGZ"
	assert_failure
	# ...so, as for helm-diff: unpack it, install the plugin's directory
	mkdir -p "$home/unpacked"
	tar -xzf "$TGZ" -C "$home/unpacked"
	run helm_nocc 3 "$home" plugin install "$home/unpacked/helm-zdm"
	assert_success
	assert_output --partial "zdm: using the prebuilt binaries in build/"
	check_installed 3 "$home"
}

@test "dist: binaries that do not run here are an error naming the tarball to take" {
	home="$BATS_TEST_TMPDIR/bad"
	mkdir -p "$home/src"
	tar -xzf "$TGZ" -C "$home/src"
	printf '#!/bin/sh\nexit 126\n' >"$home/src/helm-zdm/build/helm-zdm"
	run helm_nocc 4 "$home" plugin install "$home/src/helm-zdm"
	assert_failure
	assert_output --partial "zdm: error: the prebuilt binaries in"
	assert_output --partial "helm-zdm-VERSION-linux-amd64.tar.gz"
}

@test "dist: a git install builds from source, and helm plugin update pulls and rebuilds" {
	command -v git >/dev/null || skip "no git"
	# the upstream repository, a clone of this one's HEAD; Helm names the
	# plugin's directory after the URL's last part and finds it again by
	# that name on update, so it is .../zdm
	origin="$BATS_TEST_TMPDIR/src/zdm"
	git clone -q "$ZDM_ROOT" "$origin"
	unset HELM_BIN
	export MAKEFLAGS=-j2
	for v in 3 4; do
		extra=()
		[ "$v" = 4 ] && extra=(--verify=false)   # git has no provenance
		run zdm_helm "$v" plugin install "file://$origin" "${extra[@]}"
		[ "$status" -eq 0 ] || { echo "$output" | tail -n 30; false; }
		assert_output --partial "Installed plugin: zdm"
		co="$BATS_FILE_TMPDIR/helm$v/data/plugins/zdm"
		# no binaries in git: the hook built them, with the workstation's libpq
		assert_output --partial "build/zdm-hook"
		ldd "$co/build/zdm-hook" | grep -q 'libpq\.so'
		run zdm_helm "$v" zdm version
		assert_output "helm-zdm $VERSION"
	done
	# a new commit upstream: update pulls it and make rebuilds what changed
	printf '\n/* touched by dist.bats */\n' >>"$origin/plugin/cmd-version.c"
	git -C "$origin" -c user.email=t@e -c user.name=t commit -q -am "touch cmd-version.c"
	for v in 3 4; do
		co="$BATS_FILE_TMPDIR/helm$v/data/plugins/zdm"
		run zdm_helm "$v" plugin update zdm
		[ "$status" -eq 0 ] || { echo "$output" | tail -n 30; false; }
		assert_output --partial "Updated plugin: zdm"
		assert_output --partial "plugin/cmd-version.c"
		[ "$(git -C "$co" rev-parse HEAD)" = "$(git -C "$origin" rev-parse HEAD)" ]
		run zdm_helm "$v" zdm version
		assert_output "helm-zdm $VERSION"
	done
}
