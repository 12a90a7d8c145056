#!/usr/bin/env bats
# .github/workflows: linted with actionlint (built from the Go module
# proxy at the version tests/tools/go.mod pins, cached outside the
# repository), and wired to what make image and make dist write.

load helpers

setup_file() {
	if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
		export ZDM_NO_GO=1
		return 0
	fi
	ACTIONLINT=$("$ZDM_ROOT/tests/tools/build.sh" actionlint)
	export ACTIONLINT
}

need_actionlint() {
	[ -z "${ZDM_NO_GO:-}" ] || skip "no Go toolchain to build actionlint (tests/tools/build.sh)"
}

@test "workflows: actionlint is the pinned version" {
	need_actionlint
	run "$ACTIONLINT" -version
	assert_success
	want=$(awk '$1 == "require" && $2 == "github.com/rhysd/actionlint" { print $3 }' "$ZDM_ROOT/tests/tools/go.mod")
	[ -n "$want" ]
	assert_line --index 0 "$want"
}

@test "workflows: actionlint finds nothing in .github/workflows" {
	need_actionlint
	ls "$ZDM_ROOT"/.github/workflows/*.yml >/dev/null
	cd "$ZDM_ROOT"
	run "$ACTIONLINT" -no-color
	assert_success
	assert_output ""
}

@test "workflows: actionlint fails a broken workflow (the lint can fail)" {
	need_actionlint
	mkdir -p "$BATS_TEST_TMPDIR/w/.github/workflows"
	sed 's/runs-on: ubuntu-24.04/runs-on: ubuntu-24.04\n    stesp: []/; s/\${{ github.ref_name }}/${{ github.ref_nme }}/' \
		"$ZDM_ROOT/.github/workflows/release.yml" >"$BATS_TEST_TMPDIR/w/.github/workflows/release.yml"
	cd "$BATS_TEST_TMPDIR/w"
	git init -q .
	run "$ACTIONLINT" -no-color
	assert_failure 1
	assert_output --partial 'property "ref_nme" is not defined'
}

@test "workflows: the release publishes what make image and make dist write" {
	r="$ZDM_ROOT/.github/workflows/release.yml"
	grep -q "tags: \['v\*'\]" "$r"
	for t in 'make image' 'make dist' 'make test' 'sha256sum' 'skopeo copy'; do
		grep -qF "$t" "$r" || { echo "release.yml does not run $t"; false; }
	done
	grep -qF 'oci-archive:build/image/$image-$VERSION.oci.tar' "$r"
	grep -qF 'build/dist/*.tar.gz' "$r"
	grep -qF 'build/dist/SHA256SUMS' "$r"
	# the archives the workflow names are the ones scripts/image.sh writes
	grep -qF 'file=$out/zdm-hook-$version.oci.tar' "$ZDM_ROOT/scripts/image.sh"
	grep -qF 'file=$out/zdm-argocd-cmp-$version.oci.tar' "$ZDM_ROOT/scripts/image.sh"
	grep -qF 'name=helm-zdm-$version-linux-$arch' "$ZDM_ROOT/scripts/dist.sh"
	# ci runs the suite
	grep -qF 'make test' "$ZDM_ROOT/.github/workflows/ci.yml"
}
