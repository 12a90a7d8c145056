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

# Each pass is one process over every file (a process per file spent
# most of the time starting clang-format): clang-format --dry-run names
# the files it would change, and only those are formatted again for the
# difference; one awk finds the banned calls in all of them.
present=()
for f in "${files[@]}"; do
	[ -f "$f" ] && present+=("$f")
done
unformatted=$'\n'
banned=()
if ((${#present[@]})); then
	# (violations are warnings: a non-zero exit is clang-format failing)
	if ! out=$("$cf" --style=file:"$root/.clang-format" --dry-run "${present[@]}" 2>&1); then
		echo "$out" >&2
		echo "checksrc: error: $cf failed" >&2
		exit 2
	fi
	unformatted+=$out$'\n'
	# banned functions, outside comments and strings (a rough strip: the
	# checker is a net, the compiler's -Werror the wall): FILE TAB LINE
	# TAB NAME, in file and line order
	mapfile -t banned < <(awk '
		{
			s = $0
			sub(/\/\/.*$/, "", s)
			gsub(/\/\*.*\*\//, "", s)
			gsub(/"([^"\\]|\\.)*"/, "\"\"", s)
			while (match(s, /(^|[^A-Za-z0-9_.>])(atoi|atol|atoll|sprintf|strcpy|strcat|gets)[[:space:]]*\(/)) {
				m = substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH)
				sub(/^[^A-Za-z]*/, "", m)
				sub(/[[:space:]]*\($/, "", m)
				print FILENAME "\t" FNR "\t" m
			}
		}' "${present[@]}")
fi

problems=0
declare -A bad=()
for f in "${present[@]}"; do
	if [[ $unformatted == *$'\n'"$f:"[0-9]*": warning: code should be clang-formatted"* ]]; then
		d=$("$cf" --style=file:"$root/.clang-format" "$f" | diff -u "$f" - | sed -n '4,12p')
		n=$("$cf" --style=file:"$root/.clang-format" "$f" | diff "$f" - | grep -c '^>')
		echo "$f: clang-format would change $n lines; first:"
		sed 's/^/    /' <<<"$d"
		problems=$((problems + 1))
		bad[$f]=1
	fi
	for hit in "${banned[@]}"; do
		[ "${hit%%$'\t'*}" = "$f" ] || continue
		hit=${hit#*$'\t'}
		echo "$f:${hit%%$'\t'*}: banned function ${hit#*$'\t'}()"
		problems=$((problems + 1))
		bad[$f]=1
	done
done
echo "checksrc: $problems problems in ${#bad[@]} files (${#files[@]} checked)"
((problems == 0))
