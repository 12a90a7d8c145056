#!/usr/bin/env bash
# scripts/checksrc.sh — `make checksrc`: the mechanical style check of the
# C sources (hook/, plugin/, tests/unit/, tests/fuzz/, tests/rollout/),
# curl's checksrc in spirit:
#   1. clang-format (Debian's package) against the committed .clang-format:
#      a file that clang-format would change is named with the first lines
#      of the difference;
#   2. banned functions: atoi atol atoll sprintf strcpy strcat gets (use
#      util_parse_*/strtoll with its end pointer checked, snprintf, sb_*).
# Prints one line per problem and, last, `checksrc: N problems in M files`;
# exits 1 when there is any, 2 when it cannot run (no clang-format).
#
#   scripts/checksrc.sh            every C file git tracks under those dirs
#   scripts/checksrc.sh FILE...    only these
# Environment: CLANG_FORMAT (default clang-format).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
cf=${CLANG_FORMAT:-clang-format}
command -v "$cf" >/dev/null || {
	echo "checksrc: error: $cf is not installed (Debian: apt-get install clang-format)" >&2
	exit 2
}
[ -f .clang-format ] || { echo "checksrc: error: no .clang-format at $root" >&2; exit 2; }

if (($#)); then
	files=("$@")
else
	mapfile -t files < <(git ls-files -- 'hook/*.[ch]' 'plugin/*.[ch]' 'tests/unit/*.[ch]' \
		'tests/fuzz/*.[ch]' 'tests/rollout/*.[ch]')
fi

problems=0
declare -A bad=()
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	if ! d=$("$cf" --style=file:"$root/.clang-format" "$f" | diff -u "$f" - | sed -n '4,12p'); then
		:
	fi
	if [ -n "$d" ]; then
		n=$("$cf" --style=file:"$root/.clang-format" "$f" | diff "$f" - | grep -c '^>')
		echo "$f: clang-format would change $n lines; first:"
		sed 's/^/    /' <<<"$d"
		problems=$((problems + 1))
		bad[$f]=1
	fi
	# banned functions, outside comments and strings (a rough strip: the
	# checker is a net, the compiler's -Werror the wall)
	while IFS= read -r hit; do
		echo "$f:$hit"
		problems=$((problems + 1))
		bad[$f]=1
	done < <(sed -E 's://.*$::; s:/\*.*\*/::g; s/"([^"\\]|\\.)*"/""/g' "$f" |
		grep -noE '(^|[^A-Za-z0-9_.>])(atoi|atol|atoll|sprintf|strcpy|strcat|gets)[[:space:]]*\(' |
		sed -E 's/^([0-9]+):.*(atoi|atol|atoll|sprintf|strcpy|strcat|gets)[[:space:]]*\($/\1: banned function \2()/')
done
echo "checksrc: $problems problems in ${#bad[@]} files (${#files[@]} checked)"
((problems == 0))
