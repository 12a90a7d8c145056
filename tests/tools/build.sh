#!/usr/bin/env bash
# build.sh TOOL — build a Go program pinned in a go.mod of its own (modules
# from the Go module proxy, checked against its go.sum) into a cache outside
# the repository, and print its path. A second call with the same go.mod,
# go.sum and build flags returns at once. Nothing built is committed.
#
#   tests/tools/build.sh actionlint  -> ~/.cache/zdm/tools/actionlint-<sum>
#   tests/tools/build.sh migrate     golang-migrate (-tags postgres), bench/peers/migrate
#   tests/tools/build.sh goose       goose, PostgreSQL driver only, bench/peers/goose
#   tests/tools/build.sh atlas       Atlas's community CLI, bench/peers/atlas
#   tests/tools/build.sh pgroll      pgroll, bench/peers/pgroll
#   tests/tools/build.sh --list      the tools, one a line
#   tests/tools/build.sh --cached TOOL  its path when it is built already,
#                                     else exit 3 (builds nothing)
#
# The tool's version is the one its go.mod requires; the directory's
# tools.go names the package. ZDM_TOOLS_CACHE moves the cache. Needs Go
# (1.22 or later; /usr/local/go/bin/go is used when go is not on PATH):
# exit 2 with what to install when it is missing, 1 when the build fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tools="actionlint migrate goose atlas pgroll"
cached_only=0
if [ "${1:-}" = --cached ]; then
	cached_only=1
	shift
fi
tool=${1:?usage: tests/tools/build.sh [--cached] TOOL (one of: $tools)}
tags=
case "$tool" in
	--list) printf '%s\n' $tools; exit 0 ;;
	actionlint) dir=tests/tools pkg=github.com/rhysd/actionlint/cmd/actionlint ;;
	migrate) dir=bench/peers/migrate pkg=github.com/golang-migrate/migrate/v4/cmd/migrate tags=postgres ;;
	goose) dir=bench/peers/goose pkg=github.com/pressly/goose/v3/cmd/goose
		tags=no_mssql,no_azuresql,no_clickhouse,no_mysql,no_sqlite3,no_libsql,no_vertica,no_ydb ;;
	atlas) dir=bench/peers/atlas pkg=ariga.io/atlas/cmd/atlas ;;
	pgroll) dir=bench/peers/pgroll pkg=github.com/xataio/pgroll ;;
	*) echo "tools: error: unknown tool \"$tool\" (one of: $tools)" >&2; exit 2 ;;
esac
go=$(command -v go || true)
[ -n "$go" ] || [ ! -x /usr/local/go/bin/go ] || go=/usr/local/go/bin/go
[ -n "$go" ] || { echo "tools: error: building $tool needs Go (https://go.dev/dl, or Debian's golang-go >= 1.22)" >&2; exit 2; }
cache=${ZDM_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zdm/tools}
# actionlint's key stays what it was (go.mod + go.sum), so caches carry over
sum=$({ cat "$root/$dir/go.mod" "$root/$dir/go.sum"; [ -z "$tags" ] || echo "tags=$tags"; } | sha256sum | cut -c1-12)
bin=$cache/$tool-$sum
[ "$cached_only" = 0 ] || [ -x "$bin" ] || exit 3
if [ ! -x "$bin" ]; then
	mkdir -p "$cache"
	start=$SECONDS
	echo "tools: building $tool ($pkg${tags:+, tags $tags}); the first build takes minutes" >&2
	(cd "$root/$dir" && GOFLAGS=-mod=readonly nice "$go" build -trimpath ${tags:+-tags "$tags"} -o "$bin.tmp.$$" "$pkg") >&2 ||
		{ rm -f "$bin.tmp.$$"; echo "tools: error: go build $pkg failed" >&2; exit 1; }
	mv -f "$bin.tmp.$$" "$bin"
	echo "tools: built $tool in $((SECONDS - start))s: $bin" >&2
fi
echo "$bin"
