#!/usr/bin/env bash
# apt-mirror.sh [main|security] — the Debian mirror this machine's apt
# already uses, read from /etc/apt/sources.list and /etc/apt/sources.list.d
# (one-line .list files and deb822 .sources files alike), so that builds
# fetch from the same place apt does: a corporate mirror, a proxy or a
# snapshot archive works without editing the repository, which names no
# mirror host.
#
#   main      (default) the URI that serves the release's own suite
#             (<codename>, e.g. bookworm)
#   security  the URI that serves <codename>-security; nothing (exit 0)
#             when apt has none
#
# APT_ROOT (default /) reads another root's configuration (a container's).
# Exit status: 0 printed (or no security source), 2 no Debian source for
# this release in apt's configuration.
set -euo pipefail

what=${1:-main}
root=${APT_ROOT:-/}
die() { echo "apt-mirror: error: $*" >&2; exit 2; }

codename=$(. "$root/etc/os-release" 2>/dev/null && echo "${VERSION_CODENAME:-}") || true
[ -n "$codename" ] || die "no VERSION_CODENAME in $root/etc/os-release"
case "$what" in
	main) suite=$codename ;;
	security) suite=$codename-security ;;
	*) echo "usage: scripts/apt-mirror.sh [main|security]" >&2; exit 2 ;;
esac

# Every "type uri suite" triple apt knows, one per line (deb and deb-src).
entries() {
	local f
	for f in "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [opts] uri suite comp...
		sed -E 's/#.*//; s/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" || $1 == "deb-src" { print $1, $2, $3 }'
	done
	for f in "$root"/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas: Types, URIs and Suites may each list several
		awk '
			function flush(   t, u, s, nt, nu, ns, i, j, k) {
				if (enabled != "no" && types != "" && uris != "" && suites != "") {
					nt = split(types, t, " "); nu = split(uris, u, " "); ns = split(suites, s, " ")
					for (i = 1; i <= nt; i++) for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++)
						print t[i], u[j], s[k]
				}
				types = uris = suites = ""; enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
				if (key == "types") types = $0
				else if (key == "uris") uris = $0
				else if (key == "suites") suites = $0
				else if (key == "enabled") enabled = tolower($0)
			}
			END { flush() }
		' "$f"
	done
}

uri=$(entries | awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }')
if [ -z "$uri" ]; then
	[ "$what" = security ] && exit 0
	die "apt has no \"deb ... $suite\" source in $root/etc/apt/sources.list(.d); add the Debian mirror you use there"
fi
echo "${uri%/}"
