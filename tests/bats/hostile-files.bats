#!/usr/bin/env bats
# Hostile entries in the migrations directory: nothing named like a
# migration is skipped. A symlink loop, a dangling symlink, a directory,
# a FIFO or an unreadable file named V<n>__x.sql, and a file that is not
# valid UTF-8, are exit 2 naming the path before anything runs: the
# database is left untouched, earlier files included.

load helpers

setup() {
	zdm_setup_db
	mig V1__t.sql "create table t (id int);"
}
teardown() { zdm_teardown_db; }

# nothing_applied: migrate touched nothing (no table, no history)
nothing_applied() {
	run q "select count(*) from pg_tables where tablename in ('t', 'zdm_schema_history', 'schema_deployment_log')"
	assert_output 0
}

@test "hostile: a symlink loop named like a migration is exit 2 naming it, nothing applied" {
	ln -s V2__loop.sql "$M/V2__loop.sql"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "\"$M/V2__loop.sql\" is a symlink loop"
	assert_output --partial "hint: point the symlink at the migration file, or remove it"
	nothing_applied
	ln -s V3__b.sql "$M/V3__a.sql"
	ln -s V3__a.sql "$M/V3__b.sql"
	rm "$M/V2__loop.sql"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "is a symlink loop"
}

@test "hostile: a dangling symlink named like a migration is exit 2 naming its target" {
	ln -s "$T/elsewhere/V2__gone.sql" "$M/V2__gone.sql"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "\"$M/V2__gone.sql\" is a dangling symlink: \"$T/elsewhere/V2__gone.sql\" does not exist"
	assert_output --partial "hint: restore the file it points to, or remove the symlink"
	nothing_applied
}

@test "hostile: a directory named like a migration is exit 2, also given as a file" {
	mkdir "$M/V3__dir.sql"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "\"$M/V3__dir.sql\" is a directory, not a migration file"
	assert_output --partial "hint: migrations are files directly in the migrations directory"
	nothing_applied
	run hook lint "$M/V1__t.sql" "$M/V3__dir.sql"
	assert_failure 2
	assert_output --partial "\"$M/V3__dir.sql\" is a directory"
}

@test "hostile: a FIFO named like a migration is exit 2 at once, not a hang" {
	mkfifo "$M/V2__fifo.sql"
	run timeout 10 "$ZDM_HOOK" migrate --dir "$M"
	assert_failure 2
	assert_output --partial "\"$M/V2__fifo.sql\" is not a regular file (a FIFO)"
	nothing_applied
}

@test "hostile: an unreadable migration is exit 2 naming it" {
	# root reads anything: drop to nobody for the check (lint needs no database)
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/zdm-unreadable.XXXXXX")
	chmod 755 "$d"
	printf 'create table t (id int);\n' >"$d/V1__t.sql"
	printf 'create table u (id int);\n' >"$d/V2__u.sql"
	chmod 644 "$d/V1__t.sql"
	chmod 000 "$d/V2__u.sql"
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "running as root without setpriv"
		run setpriv --reuid=nobody --regid=nogroup --clear-groups "$ZDM_HOOK" lint --dir "$d"
	else
		run hook lint --dir "$d"
	fi
	rm -rf "$d"
	assert_failure 2
	assert_output --partial "cannot open \"$d/V2__u.sql\": Permission denied"
	assert_output --partial "hint: make it readable by the user zdm-hook runs as"
}

@test "hostile: a file that is not UTF-8 is exit 2 with line and offset, before earlier files run" {
	printf 'create table u (id int);\n-- caf\xe9\ncreate table v (id int);\n' >"$M/V2__latin1.sql"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "$M/V2__latin1.sql:2:7: not valid UTF-8: byte 0xE9 at offset 31"
	assert_output --partial "hint: convert the file, e.g. iconv -f LATIN1 -t UTF-8"
	nothing_applied
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "not valid UTF-8"
}

@test "hostile: overlong forms, surrogates, code points past U+10FFFF and cut sequences are not UTF-8" {
	local bad
	for bad in '\xc0\xaf' '\xe0\x80\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80' '\xf8\x88\x80\x80\x80' '\xe2\x82' '\xff'; do
		printf "select 'x$bad';\\n" >"$M/V2__bad.sql"
		run hook lint --dir "$M"
		assert_failure 2
		assert_output --partial "V2__bad.sql:1:10: not valid UTF-8"
	done
	# a cut sequence at the very end of the file
	printf "select 1; -- \xe2\x82" >"$M/V2__bad.sql"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "V2__bad.sql:1:14: not valid UTF-8: byte 0xE2 at offset 13"
	nothing_applied
}

@test "hostile: valid UTF-8 (a BOM, 2- to 4-byte characters) still applies" {
	printf '\xef\xbb\xbfcreate table u (name text default '"'"'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'"'"');\n' >"$M/V2__utf8.sql"
	run hook migrate --dir "$M"
	assert_success
	run q "select count(*) from zdm_schema_history where success"
	assert_output 2
	run q "select column_default from information_schema.columns where table_name = 'u'"
	assert_output "'café € 😀'::text"
}

@test "hostile: entries not named like migrations are still ignored, ConfigMap symlinks followed" {
	# a ConfigMap mount: the files are symlinks into ..data
	mkdir "$M/..2024_01_01" && ln -s ..2024_01_01 "$M/..data"
	mv "$M/V1__t.sql" "$M/..2024_01_01/" && ln -s ..data/V1__t.sql "$M/V1__t.sql"
	ln -s nowhere "$M/README.md"
	ln -s notes.txt "$M/notes.txt"
	mkdir "$M/docs"
	run hook migrate --dir "$M"
	assert_success
	run q "select version from zdm_schema_history"
	assert_output 1
}
