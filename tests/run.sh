#!/usr/bin/env bash
# Run every test: the C unit tests, then every tests/bats/*.bats against one
# throwaway PostgreSQL (each test makes its own database in it). Prints,
# as its last line, `tests: N passed, M failed` and exits non-zero when
# anything failed.
#
#   tests/run.sh                 everything
#   tests/run.sh --unit-only     the C unit tests only
#   tests/run.sh FILE.bats...    the unit tests and only these bats files
# Environment: ZDM_BUILD (default build) picks the binaries under test;
# ZDM_VALGRIND=1 runs the unit tests under valgrind; ZDM_FUZZ_SECONDS
# (default 10; 0 skips) is how long each fuzz target runs, ZDM_FUZZ_JOBS
# (default nproc) how many run at once.
#
# The full run (no --unit-only, no FILEs, or ZDM_FUZZ_SECONDS set) also
# builds the libFuzzer harnesses when clang is installed (make
# fuzz-build) and runs each target over its seed corpus, then mutating it
# for ZDM_FUZZ_SECONDS (tests/fuzz/run.sh, a fresh working corpus): one
# test per target. (scripts/checksrc.sh runs as tests/bats/checksrc.bats.)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ZDM_BUILD=${ZDM_BUILD:-build}
export ZDM_ROOT=$root
passed=0 failed=0 skipped=0
unit_only=0
files=()
for a in "$@"; do
	case "$a" in
		--unit-only) unit_only=1 ;;
		*) files+=("$a") ;;
	esac
done

log=$(mktemp "${TMPDIR:-/tmp}/zdm-tests.XXXXXX")
fuzzwork=$(mktemp -d "${TMPDIR:-/tmp}/zdm-fuzz.XXXXXX")
trap 'rm -f "$log"; rm -rf "$fuzzwork"; [ -n "${ZDM_SANDBOX:-}" ] && scripts/pg-sandbox.sh stop "$ZDM_SANDBOX"' EXIT

echo "== unit tests ($ZDM_BUILD)"
for t in "$ZDM_BUILD"/test-*; do
	[ -x "$t" ] || continue
	if [ "${ZDM_VALGRIND:-0}" = 1 ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 "$t" >"$log" 2>&1
	else
		"$t" >"$log" 2>&1
	fi
	rc=$?
	line=$(grep -E '^# unit [^:]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ] || [ $rc -ne 0 ]; then
		cat "$log"
	else
		echo "$line"
	fi
	if [ -n "$line" ]; then
		p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/' <<<"$line")
		f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/' <<<"$line")
		passed=$((passed + p)) failed=$((failed + f))
	fi
	# a crash, a valgrind error or a missing summary is one more failure
	if [ $rc -ne 0 ] && { [ -z "$line" ] || [ "${f:-0}" -eq 0 ]; }; then
		failed=$((failed + 1))
	fi
done

fuzz_secs=${ZDM_FUZZ_SECONDS:-10}
if [ $unit_only -eq 0 ] && [ "$fuzz_secs" != 0 ] &&
	{ ((${#files[@]} == 0)) || [ -n "${ZDM_FUZZ_SECONDS:-}" ]; }; then
	if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
		echo "== fuzz: skipped (no clang; scripts/deps.sh installs it)"
	elif ! make --no-print-directory -j2 fuzz-build >"$log" 2>&1; then
		echo "== fuzz: the harnesses do not build"
		tail -20 "$log"
		failed=$((failed + 1))
	else
		echo "== fuzz (${fuzz_secs} s per target)"
		ZDM_FUZZ_WORK="$fuzzwork" tests/fuzz/run.sh "$fuzz_secs" | tee "$log"
		passed=$((passed + $(grep -cE '^fuzz [^:]+: ok ' "$log")))
		failed=$((failed + $(grep -cE '^fuzz [^:]+: FAILED' "$log")))
	fi
fi

if [ $unit_only -eq 0 ]; then
	if ((${#files[@]} == 0)); then
		files=(tests/bats/*.bats)
	fi
	eval "$(scripts/pg-sandbox.sh start)" || { echo "tests: 0 passed, 1 failed"; exit 1; }
	echo "== bats (PostgreSQL on port $PGPORT)"
	bats --formatter tap "${files[@]}" 2>&1 | tee "$log"
	passed=$((passed + $(grep -cE '^ok ' "$log" | tr -d ' ') ))
	skipped=$(grep -cE '^ok .* # skip' "$log")
	passed=$((passed - skipped))
	failed=$((failed + $(grep -cE '^not ok ' "$log")))
	# bats that dies before running a test prints no plan line
	if ! grep -qE '^1\.\.[0-9]+' "$log"; then
		failed=$((failed + 1))
	fi
fi

if [ "$skipped" -gt 0 ]; then
	echo "tests: $passed passed, $failed failed, $skipped skipped"
else
	echo "tests: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
