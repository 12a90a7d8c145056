#!/usr/bin/env bash
# bench-lint.sh — zdm-hook lint against squawk, in one run, no database:
#
#   1. the corpus: every statement of tests/data/lint/ (all cases), linted by
#      zdm (one `zdm-hook lint --dir CASE` per case, as the corpus runner
#      does) and by squawk (per file, --assume-in-transaction exactly for
#      the files zdm wraps in a transaction); per squawk rule that concerns
#      locking or breaking changes, how many statements each tool flags, and
#      every statement where they disagree, classified: safe by context (zdm
#      knows why), safe by semantics (squawk over-flags), flagged by zdm
#      under another rule, refused by zdm as input, or a MISS for zdm
#   2. the safe rewrites: the cases whose `expected` lists no finding, and
#      how many of their statements each tool flags
#   3. the wall time to lint BENCH_LINT_MIGRATIONS generated migrations
#      (bench/lint/gen-migrations.sh): one `zdm-hook lint --dir` against one
#      squawk invocation over the same files, median of BENCH_LINT_RUNS
#
# Prints a table and the lists (bench/lint/compare.py), writes the figures
# to $ZDM_BUILD/bench/lint.csv. Figures are printed, never asserted: the exit
# status is non-zero only when the benchmark could not run (no squawk, a tool
# that crashed or printed no JSON).
#
# squawk is the npm package @squawk-cli/linux-x64 (the binary the squawk-cli
# package installs through its optionalDependencies), unpacked under
# $ZDM_BUILD/bench/squawk/ once and reused; nothing else is fetched. The
# statement dumper bench/lint/stmts.c is built against $ZDM_BUILD/libzdm.a
# into $ZDM_BUILD/bench/lint-stmts.
#
# Environment (defaults in brackets):
#   ZDM_BUILD [build]           where zdm-hook and libzdm.a are, results go
#   ZDM_SQUAWK_NPM [@squawk-cli/linux-x64@2.66.0, linux-arm64 on aarch64]
#   BENCH_LINT_MIGRATIONS [1000]  BENCH_LINT_RUNS [5]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${ZDM_BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
out=$build/bench
zdm=$build/zdm-hook
case $(uname -m) in
aarch64 | arm64) squawk_pkg=@squawk-cli/linux-arm64 ;;
*) squawk_pkg=@squawk-cli/linux-x64 ;;
esac
squawk_spec=${ZDM_SQUAWK_NPM:-$squawk_pkg@2.66.0}
squawk_dir=$out/squawk
squawk=$squawk_dir/bin/squawk
stmts=$out/lint-stmts
csv=$out/lint.csv

N=${BENCH_LINT_MIGRATIONS:-1000}
RUNS=${BENCH_LINT_RUNS:-5}
TOOL_TIMEOUT=120 # seconds; a run that takes longer is killed (and fails)

die() {
	echo "bench-lint: error: $*" >&2
	exit 2
}
note() { echo "bench-lint: $*" >&2; }

for v in BENCH_LINT_MIGRATIONS:$N BENCH_LINT_RUNS:$RUNS; do
	[[ ${v#*:} =~ ^[1-9][0-9]*$ ]] || die "${v%%:*} must be a positive integer (got \"${v#*:}\")"
done
[ -x "$zdm" ] || die "$zdm not found; run make first"
[ -f "$build/libzdm.a" ] || die "$build/libzdm.a not found; run make first"
for t in npm tar python3 cc pkg-config timeout sort awk; do
	command -v "$t" >/dev/null || die "$t is missing (run scripts/deps.sh)"
done
# Nothing from the caller's environment may steer either tool.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(ZDM_|SQUAWK_)' || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-bench-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
started=$(now_us)

# --- squawk, from npm, under the build directory --------------------------
# shellcheck source=bench/npm-bin.sh
. "$root/bench/npm-bin.sh"
squawk_want=${squawk_spec##*@}
npm_bin "$squawk_spec" "$squawk_dir" bin/squawk "$tmp"
# an empty configuration, so that no .squawk.toml of the caller's steers it
: >"$tmp/squawk.toml"

# --- the statement dumper, against the engine under test -----------------
if [ ! -x "$stmts" ] || [ "$stmts" -ot bench/lint/stmts.c ] || [ "$stmts" -ot "$build/libzdm.a" ]; then
	mkdir -p "$out"
	libs=$(pkg-config --libs libpq yaml-0.1 jansson 2>/dev/null || true)
	cflags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Ihook/lib)
	# shellcheck disable=SC2086
	cc "${cflags[@]}" -o "$stmts.new" bench/lint/stmts.c "$build/libzdm.a" $libs 2>"$tmp/cc.log" ||
		cc "${cflags[@]}" -fsanitize=address,undefined -o "$stmts.new" bench/lint/stmts.c \
			"$build/libzdm.a" $libs 2>>"$tmp/cc.log" ||
		{ cat "$tmp/cc.log" >&2; die "cannot build the statement dumper bench/lint/stmts.c"; }
	mv "$stmts.new" "$stmts"
fi

zdm_version=$("$zdm" --version | awk '{print $NF}')
note "zdm-hook $zdm_version vs squawk $squawk_want: the corpus, then $N migrations x $RUNS runs"

# --- 1./2. the corpus -------------------------------------------------------
mapfile -t cases < <(find tests/data/lint -name expected -type f -printf '%h\n' | LC_ALL=C sort)
((${#cases[@]})) || die "no lint cases under tests/data/lint"
"$stmts" "${cases[@]}" >"$tmp/stmts.tsv" || die "the statement dumper failed"

# --- 3. lint time of N generated migrations -------------------------------
bench/lint/gen-migrations.sh "$N" "$tmp/gen"
mapfile -t gen_files < <(find "$tmp/gen" -name '*.sql' -type f | LC_ALL=C sort)
# findings on them, squawk run the way the corpus is (mirroring transactions)
rc=0
timeout "$TOOL_TIMEOUT" "$zdm" lint --dir "$tmp/gen" --output json >"$tmp/gen.zdm.json" 2>"$tmp/gen.zdm.err" || rc=$?
((rc == 0 || rc == 6)) || { cat "$tmp/gen.zdm.err" >&2; die "zdm-hook lint failed on the generated migrations (exit $rc)"; }
mapfile -t gen_off < <(grep -l -- '^-- zdm: transaction=off' "${gen_files[@]}" || true)
mapfile -t gen_tx < <(grep -L -- '^-- zdm: transaction=off' "${gen_files[@]}" || true)
gen_squawk=()
for set in tx off; do
	if [ "$set" = tx ]; then files=("${gen_tx[@]}") flag=--assume-in-transaction
	else files=("${gen_off[@]}") flag=--no-assume-in-transaction; fi
	((${#files[@]})) || continue
	rc=0
	timeout "$TOOL_TIMEOUT" "$squawk" --config "$tmp/squawk.toml" --reporter json "$flag" \
		"${files[@]}" >"$tmp/gen.squawk.$set.json" 2>"$tmp/gen.squawk.err" || rc=$?
	((rc == 0 || rc == 1)) || { cat "$tmp/gen.squawk.err" >&2; die "squawk failed on the generated migrations (exit $rc)"; }
	gen_squawk+=(--gen-squawk-json "$tmp/gen.squawk.$set.json")
done

# The measured runs: the tool started directly, output discarded, runs of
# the two tools alternating (a slow moment of a shared machine hits both);
# run 0 warms the page cache and is not counted.
: >"$tmp/t.zdm" && : >"$tmp/t.squawk"
for ((r = 0; r <= RUNS; r++)); do
	order="zdm squawk"
	((r % 2)) || order="squawk zdm"
	for tool in $order; do
		rc=0
		case $tool in
		zdm)
			t0=$(now_us)
			"$zdm" lint --dir "$tmp/gen" --output json >/dev/null 2>&1 || rc=$?
			t1=$(now_us)
			((rc == 0 || rc == 6)) || die "zdm-hook lint failed a timed run (exit $rc)" ;;
		squawk)
			t0=$(now_us)
			"$squawk" --config "$tmp/squawk.toml" --reporter json "${gen_files[@]}" >/dev/null 2>&1 || rc=$?
			t1=$(now_us)
			((rc == 0 || rc == 1)) || die "squawk failed a timed run (exit $rc)" ;;
		esac
		((r == 0)) || echo "$((t1 - t0))" >>"$tmp/t.$tool"
	done
done
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
t_zdm=$(median <"$tmp/t.zdm")
t_squawk=$(median <"$tmp/t.squawk")

# --- compare, print, write the CSV ----------------------------------------
python3 bench/lint/compare.py --root "$root" --stmts "$tmp/stmts.tsv" --zdm "$zdm" \
	--squawk "$squawk" --squawk-config "$tmp/squawk.toml" --squawk-version "$squawk_want" \
	--zdm-version "$zdm_version" --csv "$csv" --started-us "$started" \
	--gen-n "$N" --gen-runs "$RUNS" --gen-zdm-us "$t_zdm" --gen-squawk-us "$t_squawk" \
	--gen-zdm-json "$tmp/gen.zdm.json" "${gen_squawk[@]}" ||
	die "the comparison (bench/lint/compare.py) failed"
