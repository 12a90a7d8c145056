#!/usr/bin/env bash
# Run the libFuzzer harnesses built by `make fuzz-build` (build/fuzz/).
#
#   tests/fuzz/run.sh SECONDS [NAME...]
#
# Each target (all of tests/fuzz/fuzz-*.c, or the NAMEs given) first runs
# every input of its corpus tests/fuzz/corpus/NAME/, then mutates them
# for SECONDS seconds, one process, one job; ZDM_FUZZ_JOBS targets
# (default: the number of CPUs, nproc) run at once: on an otherwise idle
# machine each still has a core to itself for its SECONDS, as it had when
# they ran one after another. New inputs go to a working
# corpus (ZDM_FUZZ_WORK/NAME, default build/fuzz/corpus/NAME, kept between
# runs so longer runs build on shorter ones), never into tests/fuzz/corpus;
# a crashing input is saved as build/fuzz/artifacts/NAME-crash-<sha1>,
# and its reproducer printed. One line per target:
#
#   fuzz NAME: ok (N runs in S s, corpus C inputs)
#   fuzz NAME: FAILED (...)
#
# in the order of the targets. Exit status: the number of failed
# targets (0 when all passed).
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
jobs=${ZDM_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "tests/fuzz/run.sh: ZDM_FUZZ_JOBS must be a positive integer" >&2; exit 2; }
results=$(mktemp -d "${TMPDIR:-/tmp}/zdm-fuzz-results.XXXXXX")
trap 'rm -rf "$results"' EXIT

# fuzz_one NAME: run one target; its line(s) on stdout, 1 when it failed
fuzz_one() {
	local n=$1 bin log seeds dict rc runs took size art args
	bin=build/fuzz/fuzz-$n
	log=build/fuzz/fuzz-$n.log
	seeds=tests/fuzz/corpus/$n
	dict=tests/fuzz/$n.dict
	if [ ! -x "$bin" ]; then
		echo "fuzz $n: FAILED ($bin is not built: make fuzz-build)"
		return 1
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
		return 0
	fi
	echo "fuzz $n: FAILED (exit $rc, ${runs:-?} runs; log $log)"
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/  /'
	grep -E '^artifact_prefix=|Test unit written to' "$log" | sed 's/^/  /'
	art=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1)
	[ -n "$art" ] && echo "  reproduce: $bin $art"
	return 1
}

# at most $jobs at once; each result printed as soon as it and every
# target before it are done
running=0 next=0
for i in "${!names[@]}"; do
	if ((running >= jobs)); then
		wait -n
		running=$((running - 1))
	fi
	(fuzz_one "${names[$i]}" >"$results/$i.out"; echo $? >"$results/$i.rc") &
	running=$((running + 1))
	while [ -f "$results/$next.rc" ]; do
		cat "$results/$next.out"
		next=$((next + 1))
	done
done
wait
failed=0
for i in "${!names[@]}"; do
	((i < next)) || cat "$results/$i.out"
	[ "$(cat "$results/$i.rc")" = 0 ] || failed=$((failed + 1))
done
exit $failed
