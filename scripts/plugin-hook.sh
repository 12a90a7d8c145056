#!/bin/sh
# plugin-hook.sh install|update — the zdm plugin's install and update hook
# (plugin.yaml's hooks), run by `helm plugin install` / `helm plugin
# update` in the plugin's directory:
#
#   - a release tarball (make dist; no Makefile): the prebuilt binaries
#     in build/ are used as they are; nothing is compiled, so no compiler
#     is needed. Binaries that do not run here (another architecture) are
#     an error that says which tarball to take instead;
#   - a checkout (git clone, or a source directory): install uses the
#     binaries already built in build/, else builds them; update (after
#     Helm's git pull) always runs make, which rebuilds what changed
#     (build/zdm-hook and build/helm-zdm: not the test programs).
#     LIBPQ=system: a workstation links the installed libpq instead of
#     fetching PostgreSQL's source for the static one the image carries.
#
# Plain POSIX sh, no HELM_BIN (Helm 4 gives hooks only HELM_PLUGIN_DIR and
# HELM_PLUGIN_NAME).
set -eu

event=${1:-install}
# the plugin's own directory: HELM_PLUGIN_DIR, or helm-zdm/ below it in a
# release tarball installed whole (scripts/dist.sh)
dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$dir"

runs() {
	[ -x build/helm-zdm ] && [ -x build/zdm-hook ] &&
		build/helm-zdm version >/dev/null 2>&1 && build/zdm-hook --version >/dev/null 2>&1
}

if [ ! -f Makefile ]; then
	if runs; then
		echo "zdm: using the prebuilt binaries in build/ ($(build/helm-zdm version))"
		exit 0
	fi
	echo "zdm: error: the prebuilt binaries in \"$dir/build\" do not run on this machine ($(uname -s) $(uname -m))" >&2
	echo "hint: install the release tarball for this platform (helm-zdm-VERSION-linux-amd64.tar.gz), or install from a git checkout to build from source" >&2
	exit 1
fi

if [ "$event" = install ] && runs; then
	echo "zdm: using the built binaries in build/"
	exit 0
fi
missing=
for t in make cc pkg-config; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	echo "zdm: error: building zdm from source needs:$missing" >&2
	echo "hint: install a C compiler, make, pkg-config, libpq-dev, libyaml-dev and libjansson-dev (Debian: scripts/deps.sh), or install the release tarball, which has prebuilt binaries: helm plugin install https://github.com/zdm-project/zdm/releases/download/vVERSION/helm-zdm-VERSION-linux-amd64.tar.gz" >&2
	exit 1
fi
# only what the plugin runs, not the test programs `make` also builds
exec make LIBPQ=system BUILD=build build/zdm-hook build/helm-zdm
