#!/usr/bin/env bats
# Every zdm-hook command under valgrind against the real database, in its
# success and failure paths: no leak of any kind, no invalid access.
# (tests/valgrind.supp holds the only suppressions: process-lifetime
# allocations, still reachable, of libpq's TLS code and of Kerberos when
# libpq probes GSSAPI.) The sandbox serves TLS, so the connections here
# run through OpenSSL.

load helpers

setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed (scripts/deps.sh installs it)"
	zdm_skip_under_asan
	zdm_setup_db
	cp "$ZDM_ROOT"/tests/data/rename-by-hand/migrations/*.sql "$M/"
}
teardown() { zdm_teardown_db; }

vg() {
	valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
		--suppressions="$ZDM_ROOT/tests/valgrind.supp" --error-exitcode=99 "$ZDM_HOOK" "$@"
}

@test "memcheck: migrate, status, run pre/post, assert, stamp are clean" {
	run vg run --phase pre --dir "$M" --assertions "$ZDM_ROOT/chart-example/zdm/assertions.yaml" --app-version 1.0.0 --output json
	assert_success
	run vg run --phase post --dir "$M" --app-version 2.0.0 --contract-in-post
	assert_success
	run vg status --dir "$M" --output json
	assert_success
	run vg assert --file "$ZDM_ROOT/chart-example/zdm/assertions.yaml"
	assert_success
	run vg stamp --phase pre --status failed --error boom
	assert_success
	mig V4__notx.sql $'-- zdm: transaction=off\ncreate index concurrently users_email_idx on users (email);'
	run vg migrate --dir "$M"
	assert_success
}

@test "memcheck: failure paths are clean too" {
	rm "$M/V3__drop_full_name.sql"
	printf 'select 1/0;\n' >"$M/V4__bad.sql"
	run vg run --phase pre --dir "$M" --app-version 1.0.0 --termination-log "$T/term"
	assert_failure 1
	printf 'tables:\n  users: [\n' >"$T/bad.yaml"
	run vg assert --file "$T/bad.yaml"
	assert_failure 2
	run vg migrate --dir "$T/nowhere"
	assert_failure 2
	run vg migrate --dir "$M" --database-url "postgres://u:pw@127.0.0.1:1/x" --connect-retries 0
	assert_failure 4
	run vg migrate --nope
	assert_failure 2
	mig V1__create_users.sql "create table changed (id int);"
	run vg migrate --dir "$M"
	assert_failure 2
}

@test "memcheck: recipes (expand, backfill, contract, --dry-run, refusals) are clean" {
	rm -f "$M"/*.sql
	mig V1__t.sql "create table t (id int primary key, a int not null default 1, b text); insert into t select g, g, 'x' from generate_series(1, 500) g;"
	mig V2__rename.sql "-- zdm: recipe=rename-column table=t column=a to=a2 contract-after=2.0.0"
	mig V3__type.sql $'-- zdm: recipe=change-type table=t column=a2 to=a3 type=bigint contract-after=2.0.0\n-- zdm: up\na2::bigint\n-- zdm: down\na3::integer'
	# joins V3's backfill: one pass for both
	mig V3.1__label.sql $'-- zdm: recipe=add-column table=t column=label type=text contract-after=2.0.0\n-- zdm: fill\nb || id'
	mig V4__uniq.sql "-- zdm: recipe=add-unique table=t columns=b,id name=t_b_key"
	run vg migrate --dir "$M" --dry-run
	assert_success
	run vg migrate --dir "$M"
	assert_success
	assert_output --partial "V3__type.sql and V3.1__label.sql: their backfills of t run as one pass"
	run vg migrate --dir "$M" --force-contract
	assert_success
	assert_output --partial "contracted V3__type.sql"
	mig V5__bad.sql "-- zdm: recipe=rename-column table=t column=nope to=x contract-after=2"
	run vg migrate --dir "$M"
	assert_failure 2
	mig V5__bad.sql "-- zdm: recipe=rename-column table=t column=b"
	run vg migrate --dir "$M"
	assert_failure 2
}
