#!/usr/bin/env bash
# Run the libFuzzer harnesses built by `make fuzz-build` (build/fuzz/).
#
#   tests/fuzz/run.sh SECONDS [NAME...]
#
# Each target (all of tests/fuzz/fuzz-*.c, or the NAMEs given) first runs
# every input of its corpus tests/fuzz/corpus/NAME/, then mutates them
# for SECONDS seconds, one process, one job. New inputs go to a working
# corpus (ZDM_FUZZ_WORK/NAME, default build/fuzz/corpus/NAME, kept between
# runs so longer runs build on shorter ones), never into tests/fuzz/corpus;
# a crashing input is saved as build/fuzz/artifacts/NAME-crash-<sha1>,
# and its reproducer printed. One line per target:
#
#   fuzz NAME: ok (N runs in S s, corpus C inputs)
#   fuzz NAME: FAILED (...)
#
# Exit status: the number of failed targets (0 when all passed).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
secs=${1:?usage: tests/fuzz/run.sh SECONDS [NAME...]}
shift
names=("$@")
if ((${#names[@]} == 0)); then
	for f in tests/fuzz/fuzz-*.c; do
		n=${f##*/fuzz-}
		names+=("${n%.c}")
	done
fi
work=${ZDM_FUZZ_WORK:-build/fuzz/corpus}
mkdir -p build/fuzz/artifacts
failed=0
for n in "${names[@]}"; do
	bin=build/fuzz/fuzz-$n
	log=build/fuzz/fuzz-$n.log
	seeds=tests/fuzz/corpus/$n
	dict=tests/fuzz/$n.dict
	if [ ! -x "$bin" ]; then
		echo "fuzz $n: FAILED ($bin is not built: make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$work/$n"
	args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536
		-print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$n-")
	[ -f "$dict" ] && args+=(-dict="$dict")
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$bin" "${args[@]}" "$work/$n" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
	took=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)
	size=$(find "$work/$n" "$seeds" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		echo "fuzz $n: ok (${runs:-?} runs in ${took:-$secs} s, corpus $size inputs)"
	else
		failed=$((failed + 1))
		echo "fuzz $n: FAILED (exit $rc, ${runs:-?} runs; log $log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/  /'
		grep -E '^artifact_prefix=|Test unit written to' "$log" | sed 's/^/  /'
		art=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1)
		[ -n "$art" ] && echo "  reproduce: $bin $art"
	fi
done
exit $failed
