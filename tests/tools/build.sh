#!/usr/bin/env bash
# build.sh TOOL — build a Go tool pinned in tests/tools/go.mod (modules
# from the Go module proxy, checked against go.sum) into a cache outside
# the repository, and print its path. A second call with the same go.mod
# and go.sum returns at once.
#
#   tests/tools/build.sh actionlint   -> ~/.cache/zdm/tools/actionlint-<sum>
#
# ZDM_TOOLS_CACHE moves the cache. Needs Go (1.22 or later): exit 2 with
# what to install when it is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tool=${1:?usage: tests/tools/build.sh actionlint}
case "$tool" in
	actionlint) pkg=github.com/rhysd/actionlint/cmd/actionlint ;;
	*) echo "tools: error: unknown tool \"$tool\"" >&2; exit 2 ;;
esac
go=$(command -v go || true)
[ -n "$go" ] || [ ! -x /usr/local/go/bin/go ] || go=/usr/local/go/bin/go
[ -n "$go" ] || { echo "tools: error: building $tool needs Go (https://go.dev/dl, or Debian's golang-go >= 1.22)" >&2; exit 2; }
cache=${ZDM_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zdm/tools}
sum=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-12)
bin=$cache/$tool-$sum
if [ ! -x "$bin" ]; then
	mkdir -p "$cache"
	(cd "$here" && GOFLAGS=-mod=readonly nice "$go" build -trimpath -o "$bin.tmp" "$pkg") >&2 ||
		{ echo "tools: error: go build $pkg failed" >&2; exit 1; }
	mv -f "$bin.tmp" "$bin"
fi
echo "$bin"
