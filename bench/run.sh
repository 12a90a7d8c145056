#!/usr/bin/env bash
# bench/run.sh — `make bench`: run every benchmark, bench/bench-*.sh, in
# turn and print what each prints. Figures are printed, never asserted: the
# exit status is non-zero only when a benchmark could not run (it exited
# non-zero), after the others have had their turn. An interrupt stops at once.
#
#   bench/run.sh               every bench/bench-*.sh
#   bench/run.sh NAME...       only these (bench-migrate.sh, or just migrate)
# Environment: ZDM_BUILD (default build) picks the binaries under test.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export ZDM_BUILD=${ZDM_BUILD:-build}

scripts=()
if (($#)); then
	for a in "$@"; do
		a=${a##*/}
		a=${a#bench-}
		a=${a%.sh}
		[ -f "$here/bench-$a.sh" ] || { echo "bench: error: no benchmark bench/bench-$a.sh" >&2; exit 2; }
		scripts+=("$here/bench-$a.sh")
	done
else
	for f in "$here"/bench-*.sh; do
		[ -f "$f" ] && scripts+=("$f")
	done
fi
((${#scripts[@]})) || { echo "bench: error: no bench/bench-*.sh found" >&2; exit 2; }

failed=()
for f in "${scripts[@]}"; do
	name=$(basename "$f" .sh)
	echo "== ${name#bench-}"
	bash "$f"
	rc=$?
	case $rc in
	0) ;;
	130 | 143) echo "bench: interrupted" >&2; exit "$rc" ;;
	*) echo "bench: ${name#bench-} could not run (exit $rc)" >&2; failed+=("${name#bench-}") ;;
	esac
	echo
done

if ((${#failed[@]})); then
	echo "bench: ${#failed[@]} of ${#scripts[@]} benchmarks could not run: ${failed[*]}" >&2
	exit 1
fi
echo "bench: ${#scripts[@]} benchmarks ran"
