#!/usr/bin/env bash
# plot.sh — the rollout simulator's results as one PNG (gnuplot, pngcairo):
# application latency over time, one panel per run, with the phases as
# bands and the errors as red bars.
#
#   tests/rollout/plot.sh rollout   PNG ZDM_DIR NAIVE_DIR
#   tests/rollout/plot.sh lockqueue PNG ZDM_DIR PLAIN_DIR [LOCK_TIMEOUT_MS]
#
# Each DIR is a --out directory of run-scenario.sh (requests.csv,
# phases.tsv, events.tsv). rollout: p99 and max latency of each app
# version per second (log scale) and errors per second; lockqueue: the
# slowest request of every 100 ms, the holder's open transaction and the
# migration as bands, the lock_timeout as a dashed line.
# Environment: ZDM_BUILD [build] (for zdm-loadgen series).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${ZDM_BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
loadgen=$build/zdm-loadgen

die() { echo "plot: error: $*" >&2; exit 2; }
(($# >= 4)) || die "usage: plot.sh rollout|lockqueue PNG DIR_A DIR_B [LOCK_TIMEOUT_MS]"
kind=$1 png=$2 a=$3 b=$4 lt_ms=${5:-1000}
case $kind in rollout | lockqueue) ;; *) die "unknown plot \"$kind\"" ;; esac
command -v gnuplot >/dev/null || die "gnuplot is missing (Debian: apt-get install gnuplot-nox)"
[ -x "$loadgen" ] || die "$loadgen not found; run make first"
for d in "$a" "$b"; do
	for f in requests.csv phases.tsv events.tsv; do
		[ -f "$d/$f" ] || die "$d/$f not found (a run-scenario.sh --out directory?)"
	done
	case $d in *[\"\\]*) die "\"$d\": quotes in the path" ;; esac
done
case $png in *[\"\\]*) die "\"$png\": quotes in the path" ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

t0_of() { awk -F'\t' 'NR == 1 || $2 < m {m = $2} END {print m}' "$1/phases.tsv"; }
tend_of() { awk -F'\t' '$3 > m {m = $3} END {print m}' "$1/phases.tsv"; }
event_of() { awk -F'\t' -v n="$2" '$1 == n {print $2; exit}' "$1/events.tsv"; }
# totals DIR T0 TEND: "requests errors max_ms" of the phases
totals() {
	awk -F, -v s="$2" -v e="$3" 'NR > 1 && $1 >= s && $1 < e {n++; if ($5 == 0) err++; if ($4 > m) m = $4}
		END {printf "%d %d %.0f\n", n, err, m / 1000}' "$1/requests.csv"
}

bucket=1s
[ "$kind" = lockqueue ] && bucket=100ms
xmax=0 ymax=0 errmax=0
declare -A n_of err_of max_of
for i in a b; do
	d=${!i}
	t0=$(t0_of "$d")
	tend=$(tend_of "$d")
	"$loadgen" series --csv "$d/requests.csv" --t0 "$t0" --bucket "$bucket" --out "$tmp/$i" >/dev/null
	read -r n err maxms < <(totals "$d" "$t0" "$tend")
	n_of[$i]=$n err_of[$i]=$err max_of[$i]=$maxms
	if [ "$kind" = lockqueue ]; then
		# every request: start (s) and latency (ms), per version, ok and failed apart
		awk -F, -v t0="$t0" -v p="$tmp/$i" 'NR > 1 {
			f = p ".pts." $2 ($5 == 1 ? ".ok" : ".err")
			printf "%.3f %.3f\n", ($1 - t0) / 1000, $4 / 1000 >f }' "$d/requests.csv"
	fi
	xmax=$(awk -v x="$xmax" -v t="$(((tend - t0) / 1000 + 1))" 'BEGIN {print (t > x ? t : x)}')
	ymax=$(awk -v y="$ymax" -v m="$maxms" 'BEGIN {print (m > y ? m : y)}')
	e=$(awk 'FNR > 1 && $3 > m {m = $3} END {print m + 0}' "$tmp/$i".*.dat)
	errmax=$(awk -v x="$errmax" -v e="$e" 'BEGIN {print (e > x ? e : x)}')
done

# bands DIR: gnuplot objects for the phases (rollout) or holder/migration (lockqueue)
bands() {
	local d=$1 t0
	t0=$(t0_of "$d")
	if [ "$kind" = rollout ]; then
		awk -F'\t' -v t0="$t0" '{
			x1 = ($2 - t0) / 1000; x2 = ($3 - t0) / 1000
			c = (NR % 2) ? "#e8e8e8" : "#f7f7f7"
			printf "set object rect from %.3f, graph 0 to %.3f, graph 1 fc rgb \"%s\" fs solid 1.0 noborder behind\n", x1, x2, c
			split($1, w, " ")
			printf "set label \"%s\" at %.3f, graph 0.95 center font \",10\" tc rgb \"#555555\" front\n", w[1], x1 + (x2 - x1) / 2
		}' "$d/phases.tsv"
	else
		local h r m0 m1
		h=$(event_of "$d" "holder read users")
		r=$(event_of "$d" "holder committed")
		m0=$(event_of "$d" "ALTER issued")
		m1=$(event_of "$d" "migration done")
		if [ -n "$h" ] && [ -n "$r" ]; then
			awk -v t0="$t0" -v h="$h" -v r="$r" 'BEGIN {
				printf "set object rect from %.3f, graph 0 to %.3f, graph 1 fc rgb \"#e4e4e4\" fs solid 1.0 noborder behind\n", (h - t0) / 1000, (r - t0) / 1000
				printf "set label \"open transaction that read users (the lock holder)\" at %.3f, graph 0.70 font \",8\" tc rgb \"#555555\" front\n", (h - t0) / 1000 + 0.1 }'
		fi
		if [ -n "$m0" ] && [ -n "$m1" ]; then
			awk -v t0="$t0" -v a="$m0" -v b="$m1" 'BEGIN {
				printf "set object rect from %.3f, graph 0.60 to %.3f, graph 0.63 fc rgb \"#f0a030\" fs solid 1.0 noborder front\n", (a - t0) / 1000, (b - t0) / 1000
				printf "set label \"migration (ALTER TABLE ... ADD COLUMN) running\" at %.3f, graph 0.55 font \",8\" tc rgb \"#a06000\" front\n", (a - t0) / 1000 + 0.1 }'
		fi
	fi
}

# curves PREFIX: the plot command of one panel
curves() {
	local p=$1 cmd=() colors=("#1f5fbf" "#2a9d3a" "#8e44ad" "#d35400") i=0 f v
	for f in "$p".*.dat; do
		v=${f##*/}
		v=${v#*.}
		v=${v%.dat}
		[ "$v" = all ] && continue
		[ "$(wc -l <"$f")" -gt 1 ] || continue
		local c=${colors[$((i % 4))]}
		if [ "$kind" = rollout ]; then
			cmd+=("\"$f\" using 1:5 axes x1y1 with steps lw 2 lc rgb \"$c\" title \"$v p99\"")
			cmd+=("\"$f\" using 1:6 axes x1y1 with steps lw 1 dt 3 lc rgb \"$c\" title \"$v max\"")
		else
			[ -s "$p.pts.$v.ok" ] &&
				cmd+=("\"$p.pts.$v.ok\" using 1:(0):(0):2 with vectors nohead lw 1 lc rgb \"$c\" notitle, \"$p.pts.$v.ok\" using 1:2 with points pt 7 ps 0.5 lc rgb \"$c\" title \"$v request (x: start, y: latency)\"")
			[ -s "$p.pts.$v.err" ] &&
				cmd+=("\"$p.pts.$v.err\" using 1:2 with points pt 2 ps 0.8 lc rgb \"#d62728\" title \"$v error\"")
		fi
		i=$((i + 1))
	done
	if [ "$kind" = rollout ]; then
		cmd+=("\"$p.all.dat\" using 1:(\$3 > 0 ? \$3 : 1/0) axes x1y2 with impulses lw 3 lc rgb \"#d62728\" title \"errors/s (right axis)\"")
	else
		cmd+=("$lt_ms axes x1y1 with lines dt 2 lw 1 lc rgb \"#d62728\" title \"lock_timeout\"")
	fi
	local IFS=,
	echo "plot ${cmd[*]}"
}

# phases DIR: "1 baseline (v1) | 2 ..." for a title
phases() { awk -F'\t' '{gsub(/"/, "", $1); s = s (NR > 1 ? "   |   " : "") $1} END {print s}' "$1/phases.tsv"; }
if [ "$kind" = rollout ]; then
	title_a="zdm: expand, switch, contract (zdm-hook run pre/post) — ${n_of[a]} requests, ${err_of[a]} errors\nphases: $(phases "$a")"
	title_b="naive: ALTER TABLE users RENAME COLUMN with psql, then switch — ${n_of[b]} requests, ${err_of[b]} errors\nphases: $(phases "$b")"
	yaxis='set logscale y; set yrange [0.05:*]; set ylabel "latency (ms, log)"'
	y2="set y2range [0:$(awk -v e="$errmax" 'BEGIN {print (e > 0 ? e * 1.15 : 10)}')]; set y2tics; set y2label \"errors per second\""
	height=820
else
	title_a="zdm-hook migrate (lock_timeout $((lt_ms))ms, retries) — slowest app request ${max_of[a]} ms, ${err_of[a]} errors"
	title_b="psql ALTER TABLE users ADD COLUMN — slowest app request ${max_of[b]} ms, ${err_of[b]} errors"
	yaxis="set yrange [0:$(awk -v y="$ymax" 'BEGIN {printf "%d", y * 1.1 + 50}')]; set ylabel \"latency (ms)\""
	y2="unset y2tics"
	height=640
fi

{
	echo "set terminal pngcairo noenhanced size 1000,$height font \"sans,9\""
	echo "set output \"$png\""
	echo 'set multiplot layout 2,1'
	if [ "$kind" = rollout ]; then
		echo 'set key below horizontal font ",8" spacing 1.2'
		echo 'set bmargin 5.5'
	else
		echo 'set key top right opaque box font ",8"'
	fi
	echo 'set grid ytics lc rgb "#dddddd"'
	echo "set xrange [0:$xmax]"
	echo 'set xlabel "seconds since the v1 baseline started"'
	echo "$yaxis"
	echo "$y2"
	echo "set title \"$title_a\""
	bands "$a"
	curves "$tmp/a"
	echo 'unset object; unset label'
	echo "set title \"$title_b\""
	bands "$b"
	curves "$tmp/b"
	echo 'unset multiplot'
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp" 2> >(grep -v 'Skipping data file with no valid points' >&2)
echo "plot: wrote $png ($(($(wc -c <"$png") / 1024)) KB)"
