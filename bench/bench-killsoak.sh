#!/usr/bin/env bash
# bench-killsoak.sh — exactly once under SIGKILL, as a soak: for each of N
# fresh databases, start zdm-hook migrate and SIGKILL it after a random
# 0–2 s, again and again without a pause, until a run finishes unkilled;
# then one more run must have nothing to do, and the database must equal
# an uninterrupted run's: the same pg_dump -s, each DML once, every
# backfilled row filled, no invalid index. Prints how many databases
# converged, the kills, and the first difference of any that did not.
# (tests/bats/exactly-once.bats is the bounded version in make test.)
#
# Environment:
#   ZDM_SOAK_ITERATIONS [100]   databases
#   ZDM_BUILD [build]           the binaries under test
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hook="$root/${ZDM_BUILD:-build}/zdm-hook"
n=${ZDM_SOAK_ITERATIONS:-100}
[ -x "$hook" ] || { echo "killsoak: error: $hook not built (run make)" >&2; exit 2; }
case "$n" in '' | *[!0-9]*) echo "killsoak: error: ZDM_SOAK_ITERATIONS must be a whole number" >&2; exit 2 ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/zdm-killsoak.XXXXXX")
sandbox=
cleanup() {
	[ -z "$sandbox" ] || "$root/scripts/pg-sandbox.sh" stop "$sandbox" || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

eval "$("$root/scripts/pg-sandbox.sh" start)" || exit 1
sandbox=$ZDM_SANDBOX

m="$work/migrations"
mkdir "$m"
cat >"$m/V1__big.sql" <<'EOF'
create table big (id bigint primary key, a int not null, c text);
insert into big select g, g % 100 from generate_series(1, 60000) g;
EOF
cat >"$m/V2__audit.sql" <<'EOF'
create table audit (id bigint generated always as identity primary key, note text not null);
insert into audit (note) values ('v2');
create table filler (g int not null);
insert into filler select generate_series(1, 400000);
EOF
cat >"$m/V3__idx.sql" <<'EOF'
-- zdm: transaction=off
create index concurrently big_a on big (a);
create index concurrently big_a_id on big (a, id);
create index concurrently big_c on big (c);
EOF
cat >"$m/V4__fill.sql" <<'EOF'
-- zdm: backfill table=big batch-size=5000
update big set c = 'x' || a where c is null;
EOF
cat >"$m/V5__t5.sql" <<'EOF'
create table t5 (g int primary key);
insert into t5 select g from generate_series(1, 50000) g;
insert into audit (note) values ('v5');
EOF

schema() { pg_dump -s -d "$1" | grep -Ev '^(--|\\(un)?restrict )'; }
check() {
	psql -X -At -d "$1" -c "select (select string_agg(note, ',' order by note) from audit),
		(select count(*) from big where c is distinct from 'x' || a),
		(select count(*) from pg_index where not indisvalid),
		(select count(distinct version) from zdm_schema_history where success)"
}

psql -qX -d postgres -c "create database soak_clean" >/dev/null
PGDATABASE=soak_clean "$hook" migrate --dir "$m" --quiet || { echo "killsoak: error: the clean run failed" >&2; exit 1; }
schema soak_clean >"$work/clean.schema"
want="v2,v5|0|0|5"

converged=0 kills=0 runs=0 first_bad=""
start=$(date +%s)
for ((i = 1; i <= n; i++)); do
	db="soak_$i"
	psql -qX -d postgres -c "create database $db" >/dev/null
	while :; do
		PGDATABASE=$db "$hook" migrate --dir "$m" --quiet >>"$work/runs.log" 2>&1 &
		pid=$!
		runs=$((runs + 1))
		sleep "$((RANDOM % 2)).$((RANDOM % 10))"
		if kill -9 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			kills=$((kills + 1))
			continue
		fi
		wait "$pid"
		break
	done
	out=$(PGDATABASE=$db "$hook" migrate --dir "$m" 2>&1)
	got=$(check "$db")
	if [[ $out == *"nothing to apply"* ]] && [ "$got" = "$want" ] &&
		schema "$db" | diff -q "$work/clean.schema" - >/dev/null; then
		converged=$((converged + 1))
	elif [ -z "$first_bad" ]; then
		first_bad="$db: ${out##*$'\n'} | $got (want $want)"
	fi
	psql -qX -d postgres -c "drop database $db with (force)" >/dev/null
done
echo "killsoak: $converged of $n databases converged to the clean schema after $kills SIGKILLs in $runs runs ($(($(date +%s) - start)) s)"
[ -z "$first_bad" ] || echo "killsoak: first that did not: $first_bad"
exit 0
