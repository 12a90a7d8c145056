#!/usr/bin/env bats
# Checksums of files in other encodings and with placeholders, against
# values computed by an independent oracle of Flyway's algorithm
# (tests/data/flyway/checksums/FlywayChecksum.java, run once with Java 17;
# the values are in tests/data/flyway/checksums/expected).

load helpers
bats_require_minimum_version 1.5.0

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

D="$ZDM_ROOT/tests/data/flyway/checksums"

@test "flyway checksums: every vector matches the oracle (encodings, BOMs, line ends, placeholders)" {
	local n=0 file enc want kind ph name got
	while read -r file enc want kind ph; do
		case "$file" in '#'* | '') continue ;; esac
		rm -f "$M"/*
		if [ "$kind" = R ]; then name="R__vector.sql"; else name="V1__vector.sql"; fi
		cp "$D/$file" "$M/$name"
		if [ -n "$ph" ]; then
			got=$(env "ZDM_PLACEHOLDER_${ph%%=*}=${ph#*=}" "$ZDM_HOOK" status --dir "$M" --encoding "$enc" --output json | jq -r '.migrations[0].checksum')
		else
			got=$(hook status --dir "$M" --encoding "$enc" --output json | jq -r '.migrations[0].checksum')
		fi
		[ "$got" = "$want" ] || { echo "$file ($enc, $kind $ph): zdm $got, oracle $want"; return 1; }
		n=$((n + 1))
	done <"$D/expected"
	[ "$n" -eq 7 ]
}

@test "flyway checksums: a Latin-1 file applies as text and records Flyway's checksum" {
	cp "$D/latin1.sql" "$M/V1__latin1.sql"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "not valid UTF-8"
	assert_output --partial "--encoding"
	run hook migrate --dir "$M" --encoding ISO-8859-1
	assert_success
	run q "select obj_description('café'::regclass)"
	assert_output "déjà vu ½"
	run q "select checksum from zdm_schema_history where version = '1'"
	assert_output "1429969190"
	# the same from the settings: flyway.conf, then zdm.yaml over it
	printf 'flyway.encoding=ISO-8859-1\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "nothing to apply"
	printf 'encoding: UTF-8\n' >"$M/zdm.yaml"
	run hook migrate --dir "$M"
	assert_failure 2
	rm "$M/zdm.yaml"
	ZDM_ENCODING=UTF-8 run hook migrate --dir "$M"
	assert_failure 2
}

@test "flyway checksums: invalid bytes for the encoding, or an unknown encoding, are exit 2 before anything runs" {
	printf '\xff\xfec\x00r\x00' >"$M/V1__ok.sql"
	printf '\xff\xfec\x00r\x00\x00' >"$M/V2__odd.sql"
	run hook migrate --dir "$M" --encoding UTF-16
	assert_failure 2
	assert_output --partial "V2__odd.sql: not valid UTF-16: an odd number of bytes (7)"
	run q "select to_regclass('zdm_schema_history') is null"
	assert_output "t"
	printf '\x00\xd8\x41\x00' >"$M/V2__odd.sql"
	run hook migrate --dir "$M" --encoding UTF-16LE
	assert_failure 2
	assert_output --partial "unpaired surrogate"
	run hook migrate --dir "$M" --encoding EBCDIC
	assert_failure 2
	assert_output --partial 'encoding "EBCDIC" is not supported'
}
