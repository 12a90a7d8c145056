#!/usr/bin/env bats
# The Flyway corpus (tests/data/flyway/corpus, made by gen-corpus.py):
# five project histories, 100+ files, with every pattern issue 11 names.
# Each applies to an empty database with zdm and with psql (files in
# Flyway's order, placeholders substituted, Latin-1 transcoded by iconv)
# and the schemas pg_dump -s prints are equal; each continues a
# flyway_schema_history written the way Flyway writes it (checksums from
# gzip's CRC-32, a BASELINE or SQL_BASELINE row, a JDBC row) with nothing
# "changed" and nothing "missing".

load helpers
bats_require_minimum_version 1.5.0

setup() { zdm_setup_db; }
teardown() {
	zdm_teardown_db
	for d in "${EXTRA_DBS[@]:-}"; do
		[ -n "$d" ] && psql -q -X -d postgres -c "drop database if exists \"$d\"" >/dev/null 2>&1
	done
	return 0
}

C="$ZDM_ROOT/tests/data/flyway/corpus"

newdb() {
	psql -q -X -d postgres -c "drop database if exists \"$1\"" -c "create database \"$1\"" >/dev/null
	EXTRA_DBS+=("$1")
}

# The project's placeholders (flyway.conf or flyway.toml) as NAME=VALUE.
placeholders() {
	local p=$1
	if [ -f "$p/flyway.conf" ]; then
		sed -n 's/^flyway\.placeholders\.\([^=]*\)=\(.*\)$/\1=\2/p' "$p/flyway.conf"
	elif [ -f "$p/flyway.toml" ]; then
		sed -n '/^\[flyway.placeholders\]/,/^\[/{s/^\([A-Za-z_]*\) *= *"\(.*\)"$/\1=\2/p}' "$p/flyway.toml"
	fi
}

# The text psql runs: transcoded to UTF-8 and placeholders substituted.
prepared() {
	local p=$1 f=$2 kv
	if grep -q '^flyway.encoding=ISO-8859-1' "$p/flyway.conf" 2>/dev/null; then
		iconv -f ISO-8859-1 -t UTF-8 "$p/$f"
	else
		cat "$p/$f"
	fi | {
		local text
		text=$(cat; printf x)
		text=${text%x}
		while IFS= read -r kv; do
			[ -n "$kv" ] || continue
			text=${text//"\${${kv%%=*}}"/${kv#*=}}
		done < <(placeholders "$p")
		printf '%s' "$text"
	}
}

# Flyway's order on an empty database: the highest B file and the V files
# above it (or every V file), by version; then R files by description.
flyway_order() {
	local p=$1 b
	b=$(cd "$p" && ls B*__*.sql 2>/dev/null | sed -E 's/^B([0-9.]+)__.*/\1 &/' | sort -t. -k1,1n | tail -1)
	(cd "$p" && ls V*__*.sql) | sed -E 's/^V([0-9.]+)__.*/\1 &/' | sort -n |
		while read -r v f; do
			if [ -z "$b" ] || [ "$v" -gt "${b%% *}" ]; then echo "$f"; fi
		done | { [ -n "$b" ] && echo "${b#* }"; cat; }
	(cd "$p" && ls R__*.sql 2>/dev/null | sort)
}

# psql_apply DB PROJECT < FILES: each file, prepared, run by psql in a
# session of its own (\connect before each), in one psql process (a psql
# start per file was most of the time); an error names the file and line.
psql_apply() {
	local db=$1 p=$2 f n=0 dir
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/apply.XXXXXX")
	while read -r f; do
		n=$((n + 1))
		prepared "$p" "$f" >"$dir/$n-$f"
		{
			((n == 1)) || echo '\connect'
			echo "\\i '$dir/$n-$f'"
		} >>"$dir/script.psql"
	done
	((n > 0)) || return 0
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$dir/script.psql" >/dev/null || {
		echo "psql failed (on the file named above)"
		return 1
	}
}

dump() {
	pg_dump -s -d "$1" -T zdm_schema_history -T flyway_schema_history | grep -Ev '^(-- Dumped|\\(un)?restrict )'
}

# flyway_crc FILE-CONTENT-ON-STDIN: Flyway's checksum, independently.
crc_stdin() {
	local u
	u=$(tr -d '\r\n' | gzip -c | tail -c8 | head -c4 | od -An -tu4 | tr -d ' ')
	if [ "$u" -ge 2147483648 ]; then echo $((u - 4294967296)); else echo "$u"; fi
}

# The raw text Flyway checksums for V/B files (transcoded), or the
# substituted one for R files.
checksum_of() {
	local p=$1 f=$2
	case "$f" in
		R__*) prepared "$p" "$f" | crc_stdin ;;
		*) if grep -q '^flyway.encoding=ISO-8859-1' "$p/flyway.conf" 2>/dev/null; then
			iconv -f ISO-8859-1 -t UTF-8 "$p/$f" | crc_stdin
		else
			crc_stdin <"$p/$f"
		fi ;;
	esac
}

@test "flyway corpus: five projects, 100+ files" {
	run bash -c "find '$C' -name '*.sql' | wc -l"
	[ "$output" -ge 100 ]
	run bash -c "ls '$C' | wc -l"
	assert_output "5"
}

@test "flyway corpus: each project applies to an empty database with zdm and with psql, same schema" {
	local p name
	for p in "$C"/*/; do
		p=${p%/}
		name=$(basename "$p")
		newdb "zc_${name}_zdm_$$"
		newdb "zc_${name}_psql_$$"
		run "$ZDM_HOOK" migrate --dir "$p" --database-url "dbname=zc_${name}_zdm_$$"
		[ "$status" -eq 0 ] || { echo "$name: $output"; return 1; }
		refute_output --partial "lint-warning"
		flyway_order "$p" | psql_apply "zc_${name}_psql_$$" "$p"
		diff <(dump "zc_${name}_zdm_$$") <(dump "zc_${name}_psql_$$") || { echo "$name: schemas differ"; return 1; }
	done
}

@test "flyway corpus: each project continues a flyway_schema_history Flyway wrote" {
	local p name db files half i f v rank kind desc rows
	for p in "$C"/*/; do
		p=${p%/}
		name=$(basename "$p")
		db="zc_${name}_fw_$$"
		newdb "$db"
		newdb "zc_${name}_ref_$$"
		"$ZDM_HOOK" migrate --dir "$p" --database-url "dbname=zc_${name}_ref_$$" >/dev/null 2>&1
		mapfile -t files < <(flyway_order "$p" | grep -v '^R__')
		half=$(( ${#files[@]} / 2 ))
		printf '%s\n' "${files[@]:0:$half}" | psql_apply "$db" "$p"
		psql -X -q -d "$db" -c "create table flyway_schema_history (installed_rank int not null primary key, version varchar(50),
		     description varchar(200) not null, type varchar(20) not null, script varchar(1000) not null,
		     checksum int, installed_by varchar(100) not null, installed_on timestamp not null default now(),
		     execution_time int not null, success boolean not null)" >/dev/null
		rank=0 rows=""
		for ((i = 0; i < half; i++)); do
			f=${files[$i]}
			v=$(sed -E 's/^[VB]([0-9._]+)__.*/\1/' <<<"$f")
			desc=$(sed -E 's/^[VB][0-9._]+__(.*)\.sql$/\1/; s/_/ /g' <<<"$f")
			kind=SQL
			case "$f" in B*) kind=SQL_BASELINE ;; esac
			rank=$((rank + 1))
			if [ "$i" -eq 0 ] && [ "$kind" = SQL ] && [ "$name" = shop ]; then
				# a database Flyway baselined at 1 (V1 applied by hand)
				rows+="insert into flyway_schema_history values ($rank, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', null, 'app', now(), 0, true);"$'\n'
				continue
			fi
			rows+="insert into flyway_schema_history values ($rank, '$v', '$desc', '$kind', '$f', $(checksum_of "$p" "$f"), 'app', now(), 7, true);"$'\n'
		done
		# a Java migration between the SQL ones
		rank=$((rank + 1))
		rows+="insert into flyway_schema_history values ($rank, '$(sed -E 's/^[VB]([0-9]+).*/\1/' <<<"${files[$((half - 1))]}").5', 'Java fix', 'JDBC', 'db.migration.V_Java_fix', null, 'app', now(), 3, true);"
		# the rows, one statement each (autocommit), in one psql
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<<"$rows" >/dev/null
		run "$ZDM_HOOK" migrate --dir "$p" --database-url "dbname=$db" --history-table flyway_schema_history --since 999
		[ "$status" -eq 0 ] || { echo "$name: $output"; return 1; }
		refute_output --partial "changed"
		refute_output --partial "missing"
		run "$ZDM_HOOK" status --dir "$p" --database-url "dbname=$db" --history-table flyway_schema_history
		refute_output --partial "problems found"
		diff <(dump "zc_${name}_ref_$$") <(dump "$db") || { echo "$name: schemas differ"; return 1; }
	done
}
