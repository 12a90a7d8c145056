#!/usr/bin/env bash
# dist.sh — the plugin's release tarball (make dist), as helm-diff ships
# its plugin: plugin.yaml, the templates and prebuilt binaries, so that
# `helm plugin install` needs no compiler:
#
#   build/dist/helm-zdm-VERSION-linux-ARCH.tar.gz   (ARCH: this machine's)
#   build/dist/helm-zdm-VERSION-linux-ARCH.tar.gz.sha256
#   build/dist/SHA256SUMS                           (every tarball there)
#
# Layout: Helm 3's HTTP installer wants plugin.yaml at the archive's
# root (and no "." entry: it refuses to make a directory twice); Helm 4's
# installer of a local tarball wants it in <name>/, name being the file's
# name without the version (helm-zdm); Helm 4's HTTP installer takes
# either. Helm 3 has no local tarball installer at all (unpack it and
# install the directory, as helm-diff documents). So the archive holds
#   helm-zdm/     the plugin, laid out as a checkout after `make`:
#                 plugin.yaml, README.md, templates/, scripts/ (install
#                 hook, Helm 3 post-renderer), build/helm-zdm,
#                 build/zdm-hook
#   plugin.yaml   the same plugin.yaml with its command and hooks pointing
#                 into helm-zdm/ (helm-zdm then finds its templates beside
#                 itself)
#   README.md
# and every installer finds a plugin.yaml whose paths are right. The
# install hook (scripts/plugin-hook.sh) finds the prebuilt binaries and
# runs them instead of building. Helm 4's post-renderer plugin
# (plugin/postrenderer) is not in it: Helm 4 could take its plugin.yaml
# for the archive's.
#
# The binaries need only glibc: zdm-hook links PostgreSQL's libpq,
# OpenSSL, libyaml and jansson statically (LIBPQ=static, as the image),
# helm-zdm libyaml and jansson. They are built in build/dist-build/ with
# the Makefile's release flags and stripped. Only this machine's
# architecture is built: cross-building needs the other architecture's
# static OpenSSL, libyaml and jansson (Debian multiarch -dev packages)
# and a cross compiler for PostgreSQL's libpq, which this script does not
# set up; CI builds each architecture on its own runner.
#
# The tarball is reproducible: names sorted, owner 0, mtimes of the last
# commit (SOURCE_DATE_EPOCH overrides), gzip without a timestamp.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
die() { echo "dist: error: $*" >&2; exit 2; }

version=$(sed -nE 's/^VERSION[[:space:]]*:=[[:space:]]*(.*)$/\1/p' Makefile)
pversion=$(sed -nE 's/^version: "?([^"]*)"?$/\1/p' plugin.yaml)
[ "$version" = "$pversion" ] || die "the Makefile's VERSION ($version) and plugin.yaml's version ($pversion) differ"
case "$(uname -m)" in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 ;;
	*) die "no release name for the architecture $(uname -m)" ;;
esac
for t in cc make tar gzip sha256sum; do
	command -v "$t" >/dev/null || die "$t is missing (scripts/deps.sh installs what make dist needs)"
done

bld=build/dist-build
nice make --no-print-directory -j2 BUILD="$bld" LIBPQ=static \
	PLUGIN_LIBS='-Wl,-Bstatic -lyaml -ljansson -Wl,-Bdynamic' \
	"$bld/zdm-hook" "$bld/helm-zdm" >&2

name=helm-zdm-$version-linux-$arch
stage=build/dist/stage
top=$stage/helm-zdm
rm -rf "$stage"
mkdir -p "$top/build" "$top/scripts"
cp plugin.yaml README.md "$top/"
cp README.md "$stage/"
sed -e 's|\$HELM_PLUGIN_DIR/build/|$HELM_PLUGIN_DIR/helm-zdm/build/|' \
	-e 's|\$HELM_PLUGIN_DIR/scripts/|$HELM_PLUGIN_DIR/helm-zdm/scripts/|g' plugin.yaml >"$stage/plugin.yaml"
grep -q 'HELM_PLUGIN_DIR/helm-zdm/build/helm-zdm' "$stage/plugin.yaml" &&
	[ "$(grep -c 'HELM_PLUGIN_DIR/helm-zdm/scripts/plugin-hook.sh' "$stage/plugin.yaml")" = 2 ] ||
	die "plugin.yaml's command or hooks are not where dist.sh expects them"
cp -r templates "$top/templates"
cp scripts/plugin-hook.sh scripts/zdm-post-renderer "$top/scripts/"
for b in helm-zdm zdm-hook; do
	strip -o "$top/build/$b" "$bld/$b"
done
# what they link: nothing but glibc
for b in helm-zdm zdm-hook; do
	if objdump -p "$top/build/$b" | awk '$1 == "NEEDED" { print $2 }' |
		grep -vE '^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|ld-linux.*)$'; then
		die "build/$b links a shared library besides glibc (above)"
	fi
done
"$top/build/helm-zdm" version >/dev/null || die "the built helm-zdm does not run"
"$top/build/zdm-hook" --version >/dev/null || die "the built zdm-hook does not run"

epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
out=build/dist/$name.tar.gz
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) |
	tar --no-recursion --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
		--mode='u+rwX,go+rX,go-w' -C "$stage" -T - -cf - | gzip -n -9 >"$out.tmp"
mv -f "$out.tmp" "$out"
rm -rf "$stage"
(cd build/dist && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256" &&
	sha256sum -- *.tar.gz >SHA256SUMS)
echo "dist: $out ($(du -k "$out" | cut -f1) KiB), sha256 $(cut -d' ' -f1 "$out.sha256")" >&2
