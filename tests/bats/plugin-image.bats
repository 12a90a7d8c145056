#!/usr/bin/env bats
# hook/Dockerfile, checked without a Docker engine: its stages and user,
# its runtime package list against what build/zdm-hook really links
# (ldd + dpkg -S), and the default image of the templates against
# docs/helm.md.

load helm_helpers

DOCKERFILE="$ZDM_ROOT/hook/Dockerfile"

# The value of `ARG NAME=...` in the Dockerfile, quotes removed.
dockerfile_arg() {
	sed -nE "s/^ARG $1=\"?([^\"]*)\"?\$/\\1/p" "$DOCKERFILE" | tail -n 1
}

# The Debian package that ships shared library PATH (as ldd prints it):
# tries the path, its target, and both sides of the /usr merge.
lib_package() {
	local p=$1 real cand out
	real=$(readlink -f "$p")
	for cand in "$p" "$real" "$(dirname "$p")/$(basename "$real")" \
		"${p/#\/lib\//\/usr\/lib\/}" "${real/#\/usr\/lib\//\/lib\/}" \
		"$(dirname "${p/#\/lib\//\/usr\/lib\/}")/$(basename "$real")" \
		"$(dirname "${real/#\/usr\/lib\//\/lib\/}")/$(basename "$real")"; do
		out=$(dpkg -S "$cand" 2>/dev/null | head -n 1 | cut -d: -f1)
		[ -n "$out" ] && { echo "$out"; return 0; }
	done
	return 1
}

# Every package the given ones pull in through Depends/Pre-Depends.
dep_closure() {
	local -A seen=()
	local -a todo=("$@")
	local p deps d
	while ((${#todo[@]})); do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		[ -n "${seen[$p]:-}" ] && continue
		seen[$p]=1
		deps=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$p" 2>/dev/null) || continue
		while IFS= read -r d; do
			d=$(sed -E 's/\(.*\)//; s/:any//; s/[[:space:]]//g' <<<"$d")
			[ -n "$d" ] && todo+=("$d")
		done < <(tr ',|' '\n\n' <<<"$deps")
	done
	printf '%s\n' "${!seen[@]}"
}

@test "plugin: hook/Dockerfile is a two-stage Debian 12 build" {
	[ -f "$DOCKERFILE" ]
	base=$(dockerfile_arg DEBIAN_IMAGE)
	[[ "$base" == debian:bookworm* || "$base" == debian:12* ]]
	run grep -cE '^FROM \$\{DEBIAN_IMAGE\} AS (build|runtime)$' "$DOCKERFILE"
	assert_output "2"
	# the build stage has the -dev packages and runs make
	build=$(sed -n '/ AS build$/,/ AS runtime$/p' "$DOCKERFILE")
	for p in build-essential pkg-config libpq-dev libyaml-dev libjansson-dev; do
		grep -qw -- "$p" <<<"$build"
	done
	grep -qE '^RUN make build/zdm-hook' <<<"$build"
	# the runtime stage takes only the binary from it, and no -dev package
	runtime=$(sed -n '/ AS runtime$/,$p' "$DOCKERFILE")
	grep -qx 'COPY --from=build /src/build/zdm-hook /usr/local/bin/zdm-hook' <<<"$runtime"
	run grep -E -- '-dev|build-essential' <<<"$runtime"
	assert_failure
}

@test "plugin: the image runs zdm-hook as the numeric non-root user of the Job" {
	user=$(sed -nE 's/^USER (.*)$/\1/p' "$DOCKERFILE" | tail -n 1)
	[[ "$user" =~ ^[1-9][0-9]*(:[1-9][0-9]*)?$ ]]
	run grep -x 'ENTRYPOINT \["zdm-hook"\]' "$DOCKERFILE"
	assert_success
	# the templates' default runAsUser/runAsGroup is the image's user
	run grep -E '^  runAs(User|Group): ' "$ZDM_ROOT/templates/values-zdm.yaml"
	assert_output "  runAsUser: ${user%%:*}
  runAsGroup: ${user##*:}"
}

@test "plugin: zdm-hook as the image builds it links a static libpq and needs only libc" {
	zdm_skip_under_asan "the release image's libraries are not those of"
	ldd "$ZDM_HOOK" | grep -q 'libpq\.so' && skip "this build links the system libpq (make LIBPQ=system)"
	run ldd "$ZDM_HOOK"
	assert_success
	refute_output --regexp 'libpq|libssl|libcrypto|libgssapi|libkrb5|libldap|libyaml|libjansson'
	# what scripts/build-libpq.sh built, and how
	run head -n 1 "$ZDM_ROOT/build/libpq/VERSION"
	assert_output --regexp '^libpq 1[0-9.]+, static, without GSSAPI and LDAP$'
	run sed -n 2p "$ZDM_ROOT/build/libpq/VERSION"
	assert_output --partial "--without-gssapi --without-ldap"
	assert_output --partial "--with-ssl=openssl"
}

@test "plugin: the runtime packages provide every shared library zdm-hook links" {
	zdm_skip_under_asan "the release image's libraries are not those of"
	command -v dpkg >/dev/null || skip "not a Debian system"
	[ -x "$ZDM_HOOK" ]
	ldd "$ZDM_HOOK" | grep -q 'libpq\.so' && skip "this build links the system libpq (make LIBPQ=system); the image's does not"
	read -r -a listed <<<"$(dockerfile_arg RUNTIME_PACKAGES)"
	[[ " ${listed[*]} " == *" ca-certificates "* ]]
	closure=$(dep_closure "${listed[@]}")
	# the libraries zdm-hook names itself come from a listed package...
	needed=$(objdump -p "$ZDM_HOOK" | awk '$1 == "NEEDED" { print $2 }')
	used=()
	while read -r lib path; do
		[ -n "$path" ] || continue
		case "$lib" in libc.so.*|ld-linux*|linux-vdso*) continue ;; esac
		pkg=$(lib_package "$path") || { echo "no package ships $path ($lib)"; false; }
		if grep -qxF "$lib" <<<"$needed"; then
			[[ " ${listed[*]} " == *" $pkg "* ]] || { echo "$lib comes from $pkg, not listed in RUNTIME_PACKAGES"; false; }
			used+=("$pkg")
		else
			# ...and what those pull in comes with them
			grep -qxF "$pkg" <<<"$closure" || { echo "$lib ($pkg) is not a dependency of ${listed[*]}"; false; }
		fi
	done < <(ldd "$ZDM_HOOK" | awk '$2 == "=>" { print $1, $3 }')
	# no listed library package is dead weight
	for p in "${listed[@]}"; do
		[ "$p" = ca-certificates ] && continue
		[[ " ${used[*]} " == *" $p "* ]] || { echo "$p is listed but zdm-hook links nothing from it"; false; }
	done
}

@test "plugin: docs/helm.md documents the default image repository and tag" {
	zdm_helm_setup_file
	C="$BATS_TEST_TMPDIR/app"
	zdm_new_chart "$C"
	"$ZDM_PLUGIN" inject "$C" >/dev/null
	zdm_render 4 "$C" --set zdm.database.existingSecret=db
	image=$(jqr '.[] | select(.kind == "Job") | .spec.template.spec.containers[0].image' | sort -u)
	[ "$image" = "ghcr.io/zdm-project/zdm-hook:0.1.0" ]
	grep -qF "${image%:*}" "$ZDM_ROOT/docs/helm.md"
	grep -qF "$image" "$ZDM_ROOT/docs/helm.md"
	grep -qF "${image%:*}" "$ZDM_ROOT/templates/values-zdm.yaml"
	# the tag is the plugin's version
	[ "${image##*:}" = "$("$ZDM_PLUGIN" version | cut -d' ' -f2)" ]
	[ "$(dockerfile_arg ZDM_VERSION)" = "${image##*:}" ]
}
