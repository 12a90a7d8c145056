#!/usr/bin/env bats
# The contract guard's connected-sessions rule: a phase=contract file is
# deferred while a session of the release with an older app version is
# connected (application_name "<release>/<app version>", what the chart's
# zdm.appEnv sets as PGAPPNAME), and `zdm-hook status` lists the app
# versions connected now.

load helpers

setup() {
	zdm_setup_db
	mig V1__t.sql "create table t (id int, old_col int);"
	mig V2__drop_old.sql $'-- zdm: phase=contract requires-app=2.0.0\nalter table t drop column old_col;'
	APPS=()
	ROLE="" BDIR="" HOLD=""
}

teardown() {
	local p
	[ -z "${HOLD:-}" ] || exec 7>&-
	for p in "${APPS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${APPS[@]}"; do wait "$p" 2>/dev/null || true; done
	zdm_stop_bouncer
	zdm_teardown_db
	[ -z "$ROLE" ] || psql -q -X -d postgres -c "drop role if exists $ROLE" >/dev/null 2>&1 || true
}

# app NAME: a session with application_name NAME in the test database,
# held open until the test ends (or `leave NAME`); waits until it shows
# in pg_stat_activity.
app() {
	local before
	before=$(sessions "$1")
	PGAPPNAME=$1 psql -X -q -c 'select pg_sleep(600)' >/dev/null 2>&1 &
	APPS+=("$!")
	wait_for "select count(*) from pg_stat_activity where application_name = '$1'" $((before + 1))
}

# leave NAME: end every session named NAME and wait until they are gone.
leave() {
	q "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = '$1'" >/dev/null
	wait_for "select count(*) from pg_stat_activity where application_name = '$1'" 0
}

sessions() {
	q "select count(*) from pg_stat_activity where application_name = '$1'"
}

# completed APP_VERSION [RELEASE]: record a completed rollout.
completed() {
	hook run --phase post --dir "$M" --release "${2:-rel}" --app-version "$1" >/dev/null 2>&1
}

has_old_col() {
	q "select count(*) from information_schema.columns where table_name = 't' and column_name = 'old_col'"
}

@test "guard: a contract is deferred while an older app version of the release is connected, applied once it is gone" {
	completed 2.0.0
	app rel/1.0.0
	run hook migrate --dir "$M" --release rel
	assert_success
	assert_output --partial "applied V1__t.sql"
	assert_output --regexp 'DEFERRED: V2__drop_old.sql \(phase=contract requires-app=2.0.0\) is deferred while sessions of release "rel" with an app version older than 2.0.0 are connected \(application_name "<release>/<app version>"\): 1 session: pid [0-9]+ \(app 1.0.0, client 127.0.0.1, connected since [0-9-]+T[0-9:]+Z\)'
	[ "$(has_old_col)" = 1 ]
	run hook migrate --dir "$M" --release rel --strict-contract
	assert_failure 5
	assert_output --partial "app version older than 2.0.0 are connected"
	leave rel/1.0.0
	run hook migrate --dir "$M" --release rel
	assert_success
	assert_output --partial "applied V2__drop_old.sql"
	refute_output --partial "DEFERRED"
	[ "$(has_old_col)" = 0 ]
}

@test "guard: the same or a newer app version, another release, or another name does not defer" {
	completed 2.0.0
	app rel/2.0.0
	app rel/2.10.0
	app rel/v3.0.0-rc.1
	app other/1.0.0
	app rel
	app psql
	app rel/
	app rel/1.0.0/x
	app Rel/1.0.0
	run hook migrate --dir "$M" --release rel
	assert_success
	assert_output --partial "applied V2__drop_old.sql"
	refute_output --partial "DEFERRED"
}

@test "guard: the log rule still comes first, and SemVer order decides (1.10.0 is older than 2.0.0, newer than 1.9.0)" {
	app rel/1.10.0
	run hook migrate --dir "$M" --release rel
	assert_output --partial "is deferred until a rollout of app 2.0.0 or later has completed; no completed rollout is recorded"
	completed 2.0.0
	run hook migrate --dir "$M" --release rel
	assert_output --partial "(app 1.10.0, client"
	[ "$(has_old_col)" = 1 ]
	sed -i 's/requires-app=2.0.0/requires-app=1.9.0/' "$M/V2__drop_old.sql"
	run hook migrate --dir "$M" --release rel
	assert_success
	assert_output --partial "applied V2__drop_old.sql"
}

@test "guard: names the first three sessions and counts the rest; a PgBouncer ' - host:port' suffix is ignored" {
	completed 2.0.0
	app rel/1.0.0
	app rel/1.0.0
	app rel/1.1.0
	app "rel/1.2.0 - 10.1.2.3:5432"
	app rel/1.3.0
	run hook migrate --dir "$M" --release rel
	assert_output --partial ": 5 sessions: pid "
	assert_output --partial " and 2 more"
	[ "$(grep -o 'pid [0-9]* (app' <<<"$output" | wc -l)" = 3 ]
	run hook status --dir "$M" --release rel --output json
	assert_success
	run jq -r '.connected[] | "\(.app_version) \(.sessions)"' <<<"$output"
	assert_output $'1.0.0 2\n1.1.0 1\n1.2.0 1\n1.3.0 1'
}

@test "guard: without --release every release's sessions count, zdm-hook's own do not" {
	completed 2.0.0 rel
	app zdm-hook/some-pod
	app other/1.0.0
	run hook migrate --dir "$M"
	assert_success
	assert_output --regexp 'deferred while sessions of any release with an app version older than 2.0.0 are connected .*: 1 session: pid [0-9]+ \(release other, app 1.0.0,'
	[ "$(has_old_col)" = 1 ]
	leave other/1.0.0
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "applied V2__drop_old.sql"
}

@test "guard: versions that are not SemVer compare as strings, warned once per guard, not per session" {
	sed -i 's/requires-app=2.0.0/requires-app=2024-06-01/' "$M/V2__drop_old.sql"
	completed 2024-06-01
	app rel/2024-05-01
	app rel/2024-05-02
	run hook migrate --dir "$M" --release rel
	assert_output --partial "DEFERRED: V2__drop_old.sql"
	assert_output --partial "2 sessions: pid"
	n=$(grep -c '(session [0-9]*) and "2024-06-01" are not both semantic versions; compared them as strings' <<<"$output")
	[ "$n" -ge 1 ]
	# one per guard, as the deployment-log rule's own warning
	[ "$n" = "$(grep -c 'app versions "2024-06-01" and "2024-06-01" are not both semantic versions' <<<"$output")" ]
}

@test "guard: --force-contract applies it anyway, naming the sessions" {
	completed 2.0.0
	app rel/1.0.0
	run hook migrate --dir "$M" --release rel --force-contract
	assert_success
	assert_output --regexp 'FORCED: applying contract migration V2__drop_old.sql .*1 session: pid [0-9]+ \(app 1.0.0'
	[ "$(has_old_col)" = 0 ]
}

@test "guard: works for a role without pg_read_all_stats (other roles' client and start are hidden)" {
	ROLE="zdm_guard_$$"
	psql -q -X -d postgres -c "create role $ROLE login password 'pw'" -c "alter database \"$PGDATABASE\" owner to $ROLE" >/dev/null
	export ZDM_DATABASE_URL="postgresql://$ROLE:pw@$PGHOST:$PGPORT/$PGDATABASE"
	completed 2.0.0
	app rel/1.0.0
	run hook migrate --dir "$M" --release rel
	assert_success
	assert_output --regexp 'DEFERRED: V2__drop_old.sql .*1 session: pid [0-9]+ \(app 1.0.0, client hidden, connected since hidden\)'
	[ "$(has_old_col)" = 1 ]
	run hook status --dir "$M"
	assert_success
	assert_output --regexp 'rel +1.0.0 +1  \(hidden\)'
	leave rel/1.0.0
	run hook migrate --dir "$M" --release rel
	assert_success
	assert_output --partial "applied V2__drop_old.sql"
}

@test "guard: status lists the app versions connected now, per release, in text and JSON" {
	run hook status --dir "$M"
	assert_success
	assert_output --partial "connected app versions: none (no session with application_name <release>/<app version>)"
	hook status --dir "$M" --output json >"$T/s.json"
	run jq -c '.connected' "$T/s.json"
	assert_output "[]"
	app shop/2.0.0
	app shop/1.10.0
	app shop/1.10.0
	app cron/0.3.1
	run hook status --dir "$M"
	assert_success
	assert_output --partial "connected app versions (application_name <release>/<app version>):"
	assert_output --regexp 'RELEASE +APP VERSION +SESSIONS +OLDEST SINCE'
	assert_output --regexp $'cron +0.3.1 +1  [0-9-]+T[0-9:]+Z\nshop +1.10.0 +2  [0-9-]+T[0-9:]+Z\nshop +2.0.0 +1  '
	hook status --dir "$M" --output json >"$T/s.json"
	run jq -r '.connected[] | "\(.release) \(.app_version) \(.sessions) \(.pids | length) \(.oldest_backend_start | test("^[0-9-]+T[0-9:]+Z$"))"' "$T/s.json"
	assert_output $'cron 0.3.1 1 1 true\nshop 1.10.0 2 2 true\nshop 2.0.0 1 1 true'
	run jq -r '.connected[0] | keys | join(",")' "$T/s.json"
	assert_output "app_version,oldest_backend_start,pids,release,sessions"
	run hook status --dir "$M" --release shop --output json
	run jq -r '[.connected[].release] | unique | join(",")' <<<"$output"
	assert_output "shop"
	leave shop/1.10.0
	run hook status --dir "$M" --release shop
	refute_output --partial "1.10.0"
	assert_output --regexp 'shop +2.0.0 +1'
}

# server_names: the application_name of the server connections of rel
server_names() {
	q "select string_agg(application_name, ',' order by application_name) from pg_stat_activity where application_name like 'rel/%'"
}

@test "guard: behind PgBouncer in transaction pooling a server connection carries the last client's application_name" {
	command -v pgbouncer >/dev/null || skip "pgbouncer is not installed (scripts/deps.sh installs it)"
	# transaction pooling with ONE server connection
	zdm_start_bouncer transaction 1
	completed 2.0.0
	# an old client ran a transaction and left: its name stays on the
	# pooled server connection, and the guard waits for nothing
	PGAPPNAME=rel/1.0.0 psql -X -q -h 127.0.0.1 -p "$BPORT" -c "select 1" >/dev/null
	[ "$(server_names)" = "rel/1.0.0" ]
	run hook migrate --dir "$M" --release rel
	assert_output --partial "DEFERRED: V2__drop_old.sql"
	assert_output --partial "(app 1.0.0, client 127.0.0.1"
	# an old client stays connected to PgBouncer between transactions ...
	mkfifo "$T/hold"
	PGAPPNAME=rel/0.9.0 psql -X -q -h 127.0.0.1 -p "$BPORT" <"$T/hold" >/dev/null 2>&1 &
	APPS+=("$!")
	exec 7>"$T/hold"
	HOLD=1
	echo "select 1;" >&7
	wait_for "select count(*) from pg_stat_activity where application_name = 'rel/0.9.0'" 1
	# ... a new one takes the server connection: the old one is invisible
	PGAPPNAME=rel/2.0.0 psql -X -q -h 127.0.0.1 -p "$BPORT" -c "select 1" >/dev/null
	[ "$(server_names)" = "rel/2.0.0" ]
	run hook migrate --dir "$M" --release rel
	assert_success
	assert_output --partial "applied V2__drop_old.sql"
	# the old client is still there, behind PgBouncer
	echo "select 1;" >&7
	wait_for "select count(*) from pg_stat_activity where application_name = 'rel/0.9.0'" 1
}
