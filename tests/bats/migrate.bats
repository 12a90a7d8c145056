#!/usr/bin/env bats
# zdm-hook migrate: the lock-guarded migration engine, against a real
# PostgreSQL (tests/run.sh starts it; every test has its own database).

load helpers
bats_require_minimum_version 1.5.0

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

# The Flyway checksum of a file, computed independently of zdm: the CRC-32
# of its bytes without line terminators is in gzip's trailer.
flyway_crc() {
	local u
	u=$(tr -d '\r\n' <"$1" | gzip -c | tail -c8 | head -c4 | od -An -tu4 | tr -d ' ')
	if [ "$u" -ge 2147483648 ]; then echo $((u - 4294967296)); else echo "$u"; fi
}

# --- conformance -------------------------------------------------------

@test "migrate: --help prints usage on stdout and exits 0" {
	run hook migrate --help
	assert_success
	assert_output --partial "usage: zdm-hook migrate [OPTIONS]"
	assert_output --partial "--lock-timeout DURATION"
	assert_output --partial "env ZDM_MIGRATIONS_DIR, default ./migrations"
}

@test "migrate: --version and the command list" {
	run hook --version
	assert_success
	assert_output --regexp '^zdm-hook [0-9]+\.[0-9]+\.[0-9]+$'
	run hook migrate --version
	assert_output --regexp '^zdm-hook [0-9]+\.[0-9]+\.[0-9]+$'
	run hook --help
	assert_success
	assert_output --partial "migrate"
	assert_output --partial "status"
	assert_output --partial "4 database unreachable"
}

@test "migrate: --version in option position wins; as an option's value it is that value" {
	run hook lint --rules --version
	assert_success
	assert_output --regexp '^zdm-hook [0-9]+\.[0-9]+\.[0-9]+$'
	run hook lint --since=2 --version
	assert_output --regexp '^zdm-hook [0-9]+\.[0-9]+\.[0-9]+$'
	# the value of --since: lint runs, --rules lists the rules
	run hook lint --since --version --rules
	assert_success
	refute_output --partial "zdm-hook 0."
	assert_output --partial "index-not-concurrent"
	# after --, an argument
	run hook lint -- --version
	refute_output --partial "zdm-hook 0."
}

@test "migrate: help COMMAND shows its options; help of an unknown command is exit 2" {
	run hook help migrate
	assert_success
	assert_line --index 0 "usage: zdm-hook migrate [OPTIONS]"
	run --separate-stderr hook help bogus
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = 'zdm-hook: error: unknown command "bogus"
hint: run "zdm-hook --help" for the list of commands' ]
}

@test "migrate: unknown option, command, bad values and stray arguments exit 2" {
	run hook migrate --nope
	assert_failure 2
	assert_output --partial 'zdm-hook: error: unknown option "--nope"'
	assert_output --partial 'hint: run "zdm-hook migrate --help"'
	run hook frobnicate
	assert_failure 2
	assert_output --partial 'unknown command "frobnicate"'
	run hook
	assert_failure 2
	run hook migrate --lock-timeout 10
	assert_failure 2
	assert_output --partial '--lock-timeout: "10" is not a duration'
	run hook migrate --ddl-retries=-1
	assert_failure 2
	run hook migrate --output yaml
	assert_failure 2
	assert_output --partial 'is not one of text|json'
	run hook migrate --dir
	assert_failure 2
	assert_output --partial 'needs a value (DIR)'
	run hook migrate extra
	assert_failure 2
	assert_output --partial 'unexpected argument "extra"'
}

@test "migrate: ZDM_* environment values are validated and named" {
	ZDM_LOCK_WAIT=forever run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'environment variable ZDM_LOCK_WAIT: "forever" is not a duration'
	# a flag beats the environment
	mig V1__t.sql "create table t (id int);"
	ZDM_LOCK_WAIT=forever run hook migrate --dir "$M" --lock-wait 5s
	assert_success
}

# --- applying ------------------------------------------------------------

@test "migrate: applies versions in numeric order, records Flyway checksums, ignores non-SQL files" {
	mig V1__create.sql "create table log (v text);"
	mig V1.1__a.sql "insert into log values ('1.1');"
	mig V1_2__b.sql "insert into log values ('1.2');"
	mig V2__c.sql "insert into log values ('2');"
	mig V10__d.sql "insert into log values ('10');"
	mig V9__e.sql "insert into log values ('9');"
	echo "not a migration" >"$M/README.md"
	run hook migrate --dir "$M"
	assert_success
	run q "select string_agg(v, ',' order by ctid) from log"
	assert_output "1.1,1.2,2,9,10"
	run q "select string_agg(version, ',' order by installed_rank) from zdm_schema_history"
	assert_output "1,1.1,1.2,2,9,10"
	run q "select checksum from zdm_schema_history where version = '1.1'"
	assert_output "$(flyway_crc "$M/V1.1__a.sql")"
	run q "select description, type, script, success, applied_stmts, total_stmts, tool_version like 'zdm-hook %' from zdm_schema_history where version = '1.2'"
	assert_output "b|SQL|V1_2__b.sql|t|1|1|t"
}

@test "migrate: checksum ignores line endings and a BOM, as Flyway's does" {
	printf 'create table t (\r\n id int\r\n);\r\n' >"$M/V1__crlf.sql"
	printf '\xef\xbb\xbfcreate table u (id int);\n' >"$M/V2__bom.sql"
	run hook migrate --dir "$M"
	assert_success
	run q "select checksum from zdm_schema_history where version = '1'"
	assert_output "$(printf 'create table t (\n id int\n);\n' >"$T/lf.sql"; flyway_crc "$T/lf.sql")"
	run q "select checksum from zdm_schema_history where version = '2'"
	assert_output "$(printf 'create table u (id int);' >"$T/nobom.sql"; flyway_crc "$T/nobom.sql")"
}

@test "migrate: repeatable migrations run after versioned ones and again when changed" {
	mig V1__t.sql "create table t (id int, name text);"
	mig R__view.sql "create or replace view v as select id from t;"
	run hook migrate --dir "$M"
	assert_success
	mig R__view.sql "create or replace view v as select id, name from t;"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "applied R__view.sql"
	run q "select count(*) from zdm_schema_history where script = 'R__view.sql'"
	assert_output "2"
	run q "select count(*) from information_schema.columns where table_name = 'v'"
	assert_output "2"
}

# zdm's advisory lock key for the test database's default history table:
# CRC-32 of "<db>/public.zdm_schema_history", as a signed int4.
zdm_lock_key() {
	local u
	u=$(printf '%s' "$PGDATABASE/public.zdm_schema_history" | gzip -c | tail -c8 | head -c4 | od -An -tu4 | tr -d ' ')
	if [ "$u" -ge 2147483648 ]; then echo $((u - 4294967296)); else echo "$u"; fi
}

@test "migrate: nothing pending is a fast no-op that does not wait for the lock" {
	mig V1__t.sql "create table t (id int);"
	run hook migrate --dir "$M"
	assert_success
	# another session holds zdm's lock until the test ends it: a run that
	# waited for it would time out (exit 3); a no-op must not wait at all
	psql -X -q -c "select pg_advisory_lock(2051296512, $(zdm_lock_key)); select pg_sleep(600)" >/dev/null 2>&1 &
	holder=$!
	wait_for "select count(*) from pg_locks where locktype = 'advisory' and granted" 1
	run hook migrate --dir "$M" --lock-wait 1s
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()" >/dev/null
	wait $holder 2>/dev/null || true
	assert_success
	assert_output --partial "nothing to apply"
	refute_output --partial "waiting for the migration lock"
}

@test "migrate: the lock key is zdm's pair (class 0x7A444D00, CRC-32 of database and table)" {
	# V1 waits for a lock the test holds, so zdm is still inside its own
	# lock when pg_locks is read, however slow the machine
	psql -X -q -c "select pg_advisory_lock(4242); select pg_sleep(600)" >/dev/null 2>&1 &
	holder=$!
	wait_for "select count(*) from pg_locks where locktype = 'advisory' and objid = 4242 and granted" 1
	mig V1__slow.sql "select pg_advisory_xact_lock(4242);"
	"$ZDM_HOOK" migrate --dir "$M" >/dev/null 2>&1 &
	p=$!
	wait_for "select count(*) from pg_locks where locktype = 'advisory' and objid = 4242 and not granted" 1
	# this database's locks only: another test's session may still be ending
	run q "select classid::bigint, objid::int, objsubid from pg_locks where locktype = 'advisory' and granted and classid <> 0 and database = (select oid from pg_database where datname = current_database())"
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()" >/dev/null
	wait $holder 2>/dev/null || true
	wait $p
	assert_output "2051296512|$(zdm_lock_key)|2"
}

@test "migrate: --dry-run prints the plan and changes nothing" {
	mig V1__t.sql "create table t (id int);"
	mig V2__i.sql $'-- zdm: transaction=off\ncreate index concurrently i on t (id);'
	run hook migrate --dir "$M" --dry-run
	assert_success
	assert_output --partial "would apply V1__t.sql (1 statement)"
	assert_output --partial "would apply V2__i.sql (1 statement, without a transaction)"
	run q "select to_regclass('zdm_schema_history') is null and to_regclass('t') is null"
	assert_output "t"
}

@test "migrate: a schema-qualified history table is created in its schema" {
	mig V1__t.sql "create table t (id int);"
	run hook migrate --dir "$M" --history-table ops.Deploy_History
	assert_success
	run q "select count(*) from ops.deploy_history"
	assert_output "1"
	run hook migrate --dir "$M" --history-table 'bad name;'
	assert_failure 2
	assert_output --partial 'invalid history table name "bad name;"'
}

@test "migrate: continues a Flyway-managed database with --history-table flyway_schema_history" {
	mig V1__t.sql "create table t (id int);"
	mig V2__u.sql "alter table t add column name text;"
	q "create table t (id int);
	   create table flyway_schema_history (installed_rank int not null primary key, version varchar(50),
	     description varchar(200) not null, type varchar(20) not null, script varchar(1000) not null,
	     checksum int, installed_by varchar(100) not null, installed_on timestamp not null default now(),
	     execution_time int not null, success boolean not null);
	   insert into flyway_schema_history values (1, '1', 't', 'SQL', 'V1__t.sql', $(flyway_crc "$M/V1__t.sql"), 'flyway', now(), 5, true);" >/dev/null
	run hook migrate --dir "$M" --history-table flyway_schema_history
	assert_success
	assert_output --partial "applied V2__u.sql"
	refute_output --partial "applied V1__t.sql"
	run q "select string_agg(version || ':' || coalesce(tool_version, 'flyway'), ',' order by installed_rank) from flyway_schema_history"
	assert_output "1:flyway,2:zdm-hook 0.1.0"
}

@test "migrate: a Flyway baseline row skips the versions at or below it" {
	mig V1__old.sql "this is not even sql;"
	mig V2__new.sql "create table t (id int);"
	q "create table flyway_schema_history (installed_rank int not null primary key, version varchar(50),
	     description varchar(200) not null, type varchar(20) not null, script varchar(1000) not null,
	     checksum int, installed_by varchar(100) not null, installed_on timestamp not null default now(),
	     execution_time int not null, success boolean not null);
	   insert into flyway_schema_history values (1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', null, 'x', now(), 0, true);" >/dev/null
	run hook migrate --dir "$M" --history-table flyway_schema_history
	assert_success
	run q "select string_agg(script, ',' order by installed_rank) from flyway_schema_history"
	assert_output "<< Flyway Baseline >>,V2__new.sql"
}

# --- bad input: message, exit 2, database untouched --------------------

assert_untouched() {
	run q "select to_regclass('zdm_schema_history') is null and to_regclass('t') is null"
	assert_output "t"
}

@test "migrate: malformed migration names are errors naming the file" {
	mig V1__t.sql "create table t (id int);"
	for bad in V1_x.sql v2__x.sql V__x.sql R1__x.sql V1.a__x.sql V2__.sql U3__undo.sql V3__x.SQL other.sql; do
		rm -f "$M"/[!V]* "$M"/V[!1]* "$M"/V1[!_]*
		printf 'select 1;\n' >"$M/$bad"
		run hook migrate --dir "$M"
		assert_failure 2
		assert_output --partial "\"$bad\""
		assert_output --partial "hint:"
		rm -f "$M/$bad"
		assert_untouched
	done
}

@test "migrate: a duplicate version is an error naming both files" {
	mig V1__a.sql "create table t (id int);"
	mig V1.0__b.sql "create table u (id int);"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --regexp '/V1(\.0)?__[ab]\.sql" and ".*/V1(\.0)?__[ab]\.sql" have the same version'
	assert_untouched
}

@test "migrate: unknown and misplaced directives are errors with file:line" {
	mig V1__t.sql $'-- zdm: transactions=off\ncreate table t (id int);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:1: unknown directive \"transactions\""
	assert_output --partial "hint: known: transaction=on|off"
	mig V1__t.sql $'create table t (id int);\n-- zdm: transaction=off\nselect 1;'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:2: directive \"transaction\" must be in the comment block at the top"
	mig V1__t.sql $'-- zdm: lock-timeout=fast\ncreate table t (id int);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'V1__t.sql:1: lock-timeout=fast: not a duration'
	mig V1__t.sql $'-- zdm: phase=contract\ndrop table x;'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "phase=contract needs requires-app="
	assert_untouched
}

@test "migrate: an unterminated quote is an error with file and line" {
	mig V1__t.sql $'create table t (id int);\ninsert into t values (\'oops);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:2: unterminated quoted string starting at line 2"
	assert_untouched
}

@test "migrate: CREATE INDEX CONCURRENTLY mixed with transactional statements, or BEGIN/COMMIT, is refused" {
	mig V1__t.sql $'create table t (id int);\ncreate index concurrently i on t (id);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a transaction, and line 1 (CREATE TABLE) should run in one"
	assert_output --partial 'hint: split the file'
	mig V1__t.sql $'begin;\ncreate table t (id int);\ncommit;'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:1: BEGIN: zdm manages transactions itself"
	assert_untouched
}

@test "migrate: COPY FROM STDIN / TO STDOUT is refused before anything runs" {
	mig V1__t.sql "create table t (id int);"
	mig V2__copy.sql $'insert into t values (1);\ncopy t from stdin with (format csv);\n1\n\\.'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__copy.sql:2: COPY ... FROM STDIN needs a client that sends the rows; zdm does not"
	assert_output --partial "hint: use INSERT ... VALUES"
	mig V2__copy.sql $'-- zdm: transaction=off\ncopy (select 1) to stdout;'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__copy.sql:2: COPY ... TO STDOUT needs a client that receives the rows"
	run q "select to_regclass('t') is null and to_regclass('zdm_schema_history') is null"
	assert_output "t"
	# COPY between the server and its own files is fine (and needs superuser)
	mig V2__copy.sql "copy t to '/dev/null';"
	run hook migrate --dir "$M"
	assert_success
}

@test "migrate: a missing migrations directory is exit 2" {
	run hook migrate --dir "$T/nope"
	assert_failure 2
	assert_output --partial "cannot read the migrations directory"
	assert_output --partial "hint: set --dir or ZDM_MIGRATIONS_DIR"
}

# --- validation before anything runs ------------------------------------

@test "migrate: an applied file that changed fails with both checksums and applies nothing" {
	mig V1__t.sql "create table t (id int);"
	hook migrate --dir "$M"
	old=$(flyway_crc "$M/V1__t.sql")
	mig V1__t.sql "create table t (id bigint);"
	mig V2__u.sql "create table u (id int);"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql was changed after it was applied (checksum in history $old, file now $(flyway_crc "$M/V1__t.sql"))"
	run q "select to_regclass('u') is null"
	assert_output "t"
}

@test "migrate: an applied file that vanished fails" {
	mig V1__t.sql "create table t (id int);"
	mig V2__u.sql "create table u (id int);"
	hook migrate --dir "$M"
	rm "$M/V1__t.sql"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "applied migration V1__t.sql (version 1) is missing from"
}

@test "migrate: a pending version below the applied one needs --out-of-order" {
	mig V2__u.sql "create table u (id int);"
	hook migrate --dir "$M"
	mig V1__t.sql "create table t (id int);"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "(version 1) is pending but older than the applied version 2"
	assert_output --partial "--out-of-order"
	run hook migrate --dir "$M" --out-of-order
	assert_success
	run q "select to_regclass('t') is not null"
	assert_output "t"
}

# --- failures -------------------------------------------------------------

@test "migrate: a failing statement names file:line, keeps earlier migrations, runs no later ones" {
	mig V1__t.sql "create table t (id int);"
	mig V2__bad.sql $'insert into t values (1);\n\nselect id,\n       nosuch\nfrom t;'
	mig V3__u.sql "create table u (id int);"
	run hook migrate --dir "$M"
	assert_failure 1
	assert_output --partial "V2__bad.sql:4:8: column \"nosuch\" does not exist (SQLSTATE 42703)"
	run q "select (select count(*) from t), to_regclass('u') is null"
	assert_output "0|t"
	run q "select version || ':' || success || ':' || coalesce(error_stmt, '') from zdm_schema_history order by installed_rank"
	assert_line --index 0 "1:true:"
	assert_line --index 1 --partial "2:false:select id,"
	run hook status --dir "$M"
	assert_output --regexp '2 +failed'
	# fixed file: the next run retries it, no repair needed
	mig V2__bad.sql "insert into t values (1);"
	run hook migrate --dir "$M"
	assert_success
	run q "select string_agg(version || ':' || success, ',' order by installed_rank) from zdm_schema_history"
	assert_output "1:true,2:true,3:true"
}

@test "migrate: on failure a summary goes to the termination log" {
	mig V1__bad.sql "select 1/0;"
	run hook migrate --dir "$M" --termination-log "$T/term"
	assert_failure 1
	run cat "$T/term"
	assert_output --partial "zdm-hook migrate failed (exit 1): "
	assert_output --partial "V1__bad.sql:1:1: division by zero (SQLSTATE 22012)"
}

@test "migrate: an unreachable database is exit 4 after the retries" {
	run hook migrate --dir "$M" --database-url "postgres://nobody@127.0.0.1:1/x" --connect-retries 1
	assert_failure 4
	assert_output --partial "cannot connect (attempt 1 of 2)"
	assert_output --partial "zdm-hook: error: cannot connect to the database"
}

@test "migrate: a database or role that does not exist is not retried" {
	start=$(date +%s)
	run hook migrate --dir "$M" --database-url "postgres://postgres@127.0.0.1:$PGPORT/no_such_db" --connect-retries 5
	assert_failure 4
	assert_output --partial 'database "no_such_db" does not exist'
	refute_output --partial "retrying"
	[ $(( $(date +%s) - start )) -lt 3 ]
}

@test "migrate: a connection option libpq refuses is not retried (GSSAPI in the static build)" {
	mig V1__t.sql "create table t (id int);"
	run hook migrate --dir "$M" --database-url "postgres://postgres@127.0.0.1:$PGPORT/$PGDATABASE?sslmode=sometimes" --connect-retries 5
	assert_failure 4
	assert_output --partial 'invalid sslmode value: "sometimes"'
	refute_output --partial "retrying"
	if ! ldd "$ZDM_HOOK" | grep -q 'libpq\.so'; then
		# the default build's libpq has no GSSAPI: requiring it says so
		run env PGGSSENCMODE=require "$ZDM_HOOK" migrate --dir "$M" --connect-retries 5
		assert_failure 4
		assert_output --partial "GSSAPI support is not compiled in"
		refute_output --partial "retrying"
	fi
	run q "select to_regclass('zdm_schema_history') is null"
	assert_output "t"
}

@test "migrate: connects over TLS; sslmode=verify-full checks the certificate and a mismatch is not retried" {
	# the sandbox serves TLS with a self-signed certificate for 127.0.0.1
	mig V1__tls.sql "create table tls as select ssl, version from pg_stat_ssl where pid = pg_backend_pid();"
	ca="$ZDM_SANDBOX/server.crt"
	run hook migrate --dir "$M" --database-url "postgres://postgres@127.0.0.1:$PGPORT/$PGDATABASE?sslmode=verify-full&sslrootcert=$ca"
	assert_success
	run q "select ssl, version from tls"
	assert_output "t|TLSv1.3"
	# the certificate does not name the host the URL asks for
	mig V2__more.sql "create table more (id int);"
	run hook migrate --dir "$M" --connect-retries 5 \
		--database-url "postgres://postgres@db.example.invalid:$PGPORT/$PGDATABASE?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=$ca"
	assert_failure 4
	assert_output --partial 'does not match host name "db.example.invalid"'
	refute_output --partial "retrying"
	# a CA that did not sign it
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=other \
		-days 1 -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null
	run hook migrate --dir "$M" --connect-retries 5 \
		--database-url "postgres://postgres@127.0.0.1:$PGPORT/$PGDATABASE?sslmode=verify-full&sslrootcert=$T/other.crt"
	assert_failure 4
	assert_output --partial "certificate verify failed"
	refute_output --partial "retrying"
	run q "select to_regclass('more') is null"
	assert_output "t"
}

@test "migrate: a password never appears in any output" {
	q "create role zdm_pw login password 'S3cr3t-pw'" >/dev/null
	mig V1__bad.sql "select 1/0;"
	# wrong password: auth error
	run hook migrate --dir "$M" --connect-retries 0 --database-url "postgres://zdm_pw:wrong-S3cr3t@127.0.0.1:$PGPORT/$PGDATABASE"
	assert_failure 4
	refute_output --partial "wrong-S3cr3t"
	# right password, failing migration, json output and termination log
	run hook migrate --dir "$M" --output json --termination-log "$T/term" --database-url "postgres://zdm_pw:S3cr3t-pw@127.0.0.1:$PGPORT/$PGDATABASE"
	assert_failure 1
	refute_output --partial "S3cr3t-pw"
	run cat "$T/term"
	refute_output --partial "S3cr3t-pw"
	# malformed URL, password in a conninfo string, and in PGPASSWORD
	run hook migrate --dir "$M" --database-url "postgres://zdm_pw:S3cr3t-pw@127.0.0.1:$PGPORT/$PGDATABASE?bogus=1"
	assert_failure 2
	refute_output --partial "S3cr3t-pw"
	assert_output --partial "invalid database URL"
	run hook migrate --dir "$M" --database-url "host=127.0.0.1 port=$PGPORT user=zdm_pw password=S3cr3t-pw dbname=nosuchdb" --connect-retries 0
	assert_failure 4
	refute_output --partial "S3cr3t-pw"
	PGPASSWORD=S3cr3t-pw PGUSER=zdm_pw run hook migrate --dir "$M" --output json
	assert_failure 1
	refute_output --partial "S3cr3t-pw"
	DATABASE_URL="postgres://zdm_pw:S3cr3t-pw@127.0.0.1:$PGPORT/$PGDATABASE" run hook status --dir "$M"
	assert_success
	refute_output --partial "S3cr3t-pw"
}

@test "migrate: --output json logs one JSON object per line and a JSON result" {
	mig V1__t.sql "create table t (id int);"
	hook migrate --dir "$M" --output json 2>"$T/err" >"$T/out"
	run jq -r '.event' "$T/err"
	assert_line "connected"
	assert_line "applied"
	assert_line "done"
	run jq -r '.level' "$T/err"
	refute_output --partial "null"
	run jq -r '.status + " " + (.applied | length | tostring) + " " + .version' "$T/out"
	assert_output "ok 1 1"
}

# --- transaction=off: statement by statement, resumable -----------------

@test "migrate: a transaction=off file resumes after the last applied statement" {
	mig V1__t.sql "create table t (id int primary key); create table runs (n int);"
	mig V2__notx.sql $'-- zdm: transaction=off\ninsert into runs values (1);\ninsert into runs values (2);\ninsert into t values (1);\ninsert into runs values (3);'
	q "create table t (id int primary key); create table runs (n int); insert into t values (1);" >/dev/null
	rm "$M/V1__t.sql"
	run hook migrate --dir "$M"
	assert_failure 1
	assert_output --partial "V2__notx.sql:4:1: duplicate key value violates unique constraint"
	run hook status --dir "$M"
	assert_output --regexp '2 +partial 2/4'
	q "delete from t" >/dev/null
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "resuming at statement 3 of 4"
	run q "select string_agg(n::text, ',' order by n) from runs"
	assert_output "1,2,3"
	run q "select success, applied_stmts, total_stmts from zdm_schema_history"
	assert_output "t|4|4"
}

@test "migrate: migrations that DEALLOCATE or DISCARD prepared statements are recorded like any other" {
	# zdm prepares its own history statements once per connection
	mig V1__t.sql "create table t (id int);"
	mig V2__dealloc.sql $'insert into t values (2);\ndeallocate all;'
	mig V3__discard.sql $'-- zdm: transaction=off\ndiscard all;\ninsert into t values (3);'
	mig V4__more.sql "insert into t values (4);"
	run hook migrate --dir "$M"
	assert_success
	run q "select string_agg(version || ':' || success || ':' || applied_stmts, ',' order by installed_rank) from zdm_schema_history"
	assert_output "1:true:1,2:true:2,3:true:2,4:true:1"
	run q "select string_agg(id::text, ',' order by id) from t"
	assert_output "2,3,4"
}

@test "migrate: an INVALID index left by a failed CONCURRENTLY build is dropped and rebuilt" {
	mig V1__t.sql $'create table t (id int, email text);\ninsert into t values (1, \'a\'), (2, \'a\');'
	mig V2__idx.sql $'-- zdm: transaction=off\ncreate unique index concurrently t_email_key on t (email);'
	run hook migrate --dir "$M"
	assert_failure 1
	assert_output --partial "could not create unique index"
	run q "select indisvalid from pg_index where indexrelid = 't_email_key'::regclass"
	assert_output "f"
	q "update t set email = 'b' where id = 2" >/dev/null
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "dropping INVALID index t_email_key left by an earlier failed build"
	run q "select indisvalid from pg_index where indexrelid = 't_email_key'::regclass"
	assert_output "t"
}

@test "migrate: when the DROP of a failed build's INVALID index fails, the error is the DROP's, with the index and the fix" {
	mig V1__t.sql $'create table t (id int, email text);\ninsert into t values (1, \'a\'), (2, \'a\');'
	mig V2__idx.sql $'-- zdm: transaction=off\nselect 1;\ncreate unique index concurrently t_email_key on t (email);'
	run hook migrate --dir "$M"
	assert_failure 1
	q "update t set email = 'b' where id = 2" >/dev/null
	# something refuses the DROP (here an event trigger; a missing
	# privilege does the same)
	q "create function no_drop() returns event_trigger language plpgsql as \$\$ begin raise exception 'no index may be dropped here'; end \$\$;
	   create event trigger no_drop on ddl_command_start when tag in ('DROP INDEX') execute function no_drop()" >/dev/null
	run hook migrate --dir "$M"
	assert_failure 1
	assert_output --partial "V2__idx.sql:3: DROP INDEX CONCURRENTLY t_email_key: no index may be dropped here (SQLSTATE P0001)"
	assert_output --partial "t_email_key is an INVALID index that an earlier build left"
	assert_output --partial "hint: drop it by hand (DROP INDEX CONCURRENTLY t_email_key), then run again"
	refute_output --partial "detail: statement 2 of 2"
	q "drop event trigger no_drop" >/dev/null
	run hook migrate --dir "$M"
	assert_success
	run q "select indisvalid from pg_index where indexrelid = 't_email_key'::regclass"
	assert_output "t"
}

# zdm_waits_for_other_build SLEEP BLOCKER: with another session's CREATE
# INDEX CONCURRENTLY of t_email_idx (pid in $other, output in $T/other)
# held up by a session running pg_sleep(SLEEP) (pid BLOCKER), zdm's own
# CREATE INDEX CONCURRENTLY IF NOT EXISTS of it waits for that build; the
# blocker is cancelled once zdm says it waits, and then the other build,
# zdm and the history all end well, the index valid.
zdm_waits_for_other_build() {
	local sleep=$1 blocker=$2 p orc rc
	mig V1__idx.sql $'-- zdm: transaction=off\ncreate index concurrently if not exists t_email_idx on t (email);'
	migrate_bg
	wait_for_line "$T/out" 'index t_email_idx is being built by another session \(pid [0-9]+\); waiting for that build to end'
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep($sleep)%' and pid <> pg_backend_pid()" >/dev/null
	wait "$blocker" || true
	wait "$other" && orc=0 || orc=$?
	wait "$p" && rc=0 || rc=$?
	cat "$T/out" "$T/other"
	[ "$orc" -eq 0 ]
	[ "$rc" -eq 0 ]
	grep -q 'relation "t_email_idx" already exists, skipping' "$T/out"
	run q "select h.success, h.applied_stmts, i.indisvalid from zdm_schema_history h, pg_index i where i.indexrelid = 't_email_idx'::regclass"
	assert_output "t|1|t"
}

@test "migrate: another session building the same index CONCURRENTLY: zdm waits, then records a valid index" {
	q "create table t (id int, email text)" >/dev/null
	# another session's CREATE INDEX CONCURRENTLY of the same name waits
	# behind an open snapshot (held until the test ends it, so a busy
	# machine cannot let the build finish early): the index exists, not
	# yet valid
	psql -X -q -c "begin isolation level repeatable read; select count(*) from t; select pg_sleep(600); commit;" >/dev/null 2>&1 &
	snap=$!
	# the snapshot is taken before the build starts
	wait_for "select count(*) from pg_stat_activity where query like '%pg_sleep(600)%' and backend_xmin is not null and pid <> pg_backend_pid()" 1 600
	psql -X -q -c "create index concurrently t_email_idx on t (email)" >"$T/other" 2>&1 &
	other=$!
	wait_for "select count(*) from pg_stat_progress_create_index where phase = 'waiting for old snapshots'" 1 600
	run q "select indisvalid from pg_index where indexrelid = 't_email_idx'::regclass"
	assert_output "f"
	# the snapshot ends once zdm waits: the other build finishes, then zdm
	zdm_waits_for_other_build 600 "$snap"
}

@test "migrate: another session's CONCURRENTLY build of the same index, before its snapshot wait: zdm waits for it, no deadlock" {
	q "create table t (id int, email text)" >/dev/null
	# an open writer holds the other session's build before its table scan
	# (the index exists, invalid); zdm arrives then. A CREATE INDEX
	# CONCURRENTLY of zdm's own, queued for the table with its snapshot,
	# would be among the old snapshots that build then waits for: a deadlock.
	psql -X -q -c "begin; insert into t values (1, 'a'); select pg_sleep(60); commit;" >/dev/null 2>&1 &
	writer=$!
	wait_for "select count(*) from pg_stat_activity where query like '%pg_sleep(60)%' and backend_xid is not null and pid <> pg_backend_pid()" 1
	psql -X -q -c "create index concurrently t_email_idx on t (email)" >"$T/other" 2>&1 &
	other=$!
	wait_for "select count(*) from pg_stat_progress_create_index where phase = 'waiting for writers before build'" 1
	# the writer ends once zdm waits: the other build goes on and finishes
	zdm_waits_for_other_build 60 "$writer"
}

# hold_old_snapshot TABLE: a session named old-snapshot holds a snapshot
# that read TABLE until release_old_snapshot (pid in $snap): a CONCURRENTLY
# statement waits for it
hold_old_snapshot() {
	PGAPPNAME=old-snapshot psql -X -q -c "begin isolation level repeatable read; select count(*) from $1; select pg_sleep(600); commit;" >/dev/null 2>&1 &
	snap=$!
	wait_for "select count(*) from pg_stat_activity where application_name = 'old-snapshot' and backend_xmin is not null" 1
}

release_old_snapshot() {
	q "select pg_cancel_backend(pid) from pg_stat_activity where application_name = 'old-snapshot'" >/dev/null
	wait "$snap" || true
}

# migrate_bg [OPTION...]: zdm migrates $M in the background (pid in $p,
# output in $T/out)
migrate_bg() {
	"$ZDM_HOOK" migrate --dir "$M" "$@" >"$T/out" 2>&1 &
	p=$!
}

# kill9_when SQL: once SQL returns 1, kill -9 the zdm of migrate_bg and
# wait until its session is gone
kill9_when() {
	wait_for "$1" 1 600
	kill -9 "$p"
	wait "$p" || true
	wait_gone
}

# reindex_killed_behind_snapshot TABLE: hold_old_snapshot TABLE, and
# kill -9 the zdm of migrate_bg once its REINDEX has built its copy and
# waits for that snapshot
reindex_killed_behind_snapshot() {
	hold_old_snapshot "$1"
	migrate_bg
	kill9_when "select count(*) from pg_stat_activity where application_name like 'zdm-hook%' and query ~* '^reindex' and wait_event = 'virtualxid'"
}

# migrate_behind_snapshot: migrate_bg, each attempt of a CONCURRENTLY
# statement timing out after 300 ms
migrate_behind_snapshot() {
	migrate_bg --concurrent-timeout 300ms --ddl-retries 40
}

# migrated_after_snapshot: the snapshot ends, and zdm succeeds ($output:
# its output)
migrated_after_snapshot() {
	local rc
	release_old_snapshot
	wait "$p" && rc=0 || rc=$?
	run cat "$T/out"
	echo "$output"
	[ "$rc" -eq 0 ]
}

@test "migrate: a CONCURRENTLY build that times out behind an old snapshot is retried: its INVALID index dropped first, the blocker named" {
	q "create table t (id int, email text); insert into t select g, 'e' || g from generate_series(1, 100) g" >/dev/null
	mig V1__idx.sql $'-- zdm: transaction=off\ncreate index concurrently t_email_idx on t (email);'
	# each attempt creates the index, waits for the snapshot, times out
	# and leaves the index INVALID
	hold_old_snapshot t
	migrate_behind_snapshot
	# an attempt after one that left the index INVALID, and a retry that
	# names the snapshot's session (the observer may be late on a busy
	# machine: then a later attempt names it)
	wait_for_line "$T/out" 'dropping INVALID index t_email_idx left by an earlier failed build' 600
	wait_for_line "$T/out" 'V1__idx.sql:2: could not get the lock within the lock_timeout; pid [0-9]+ \(application "old-snapshot", active, transaction open [0-9:]+\): .*pg_sleep\(600\)' 600
	migrated_after_snapshot
	refute_output --partial "already exists"
	run q "select h.success, h.applied_stmts, i.indisvalid from zdm_schema_history h, pg_index i where i.indexrelid = 't_email_idx'::regclass"
	assert_output "t|1|t"
	run q "select count(*) from pg_index where indrelid = 't'::regclass"
	assert_output "1"
}

@test "migrate: a statement that waits long says so while it waits, naming what blocks it" {
	q "create table t (id int, email text); insert into t select g, 'e' || g from generate_series(1, 100) g" >/dev/null
	mig V1__idx.sql $'-- zdm: transaction=off\ncreate index concurrently t_email_idx on t (email);'
	hold_old_snapshot t
	# the default --concurrent-timeout (30 min): the build waits for the
	# snapshot, and the log says so after 10 s, not after 30 min
	migrate_bg
	wait_for_line "$T/out" 'warning: zdm'"'"'s session [0-9]+ is still waiting after 1[0-9] s \(Lock: virtualxid\); blocked by pid [0-9]+ \(application "old-snapshot", active, transaction open [0-9:]+\): .*pg_sleep\(600\)' 600
	migrated_after_snapshot
	assert_output --regexp 'applied V1__idx.sql'
	run q "select h.success, i.indisvalid from zdm_schema_history h, pg_index i where i.indexrelid = 't_email_idx'::regclass"
	assert_output "t|t"
}

@test "migrate: a statement that runs long with nothing blocking it says it is still running, in text and in JSON" {
	mig V1__slow.sql 'select pg_sleep(10.5);'
	run "$ZDM_HOOK" migrate --dir "$M"
	assert_success
	assert_output --regexp 'info: zdm'"'"'s session [0-9]+ is still running after 10 s \(Timeout: PgSleep\)'
	refute_output --partial "still waiting"
	q "drop table zdm_schema_history" >/dev/null
	run "$ZDM_HOOK" migrate --dir "$M" --output json
	assert_success
	line=$(grep '"still-running"' <<<"$output")
	run jq -r '[.level, .waited_ms >= 10000, .wait_event, (.pid | type)] | join(" ")' <<<"$line"
	assert_output "info true Timeout: PgSleep number"
}

@test "migrate: a REINDEX CONCURRENTLY retried behind an old snapshot leaves none of its attempts' INVALID copies, and no one else's is touched" {
	q "create table t (id int, email text); insert into t select g, 'e' || g from generate_series(1, 100) g;
	   create index t_email_idx on t (email)" >/dev/null
	# someone else's INVALID leftover, from before zdm's run: not zdm's to drop
	q "create table u (id int); insert into u values (1), (1)" >/dev/null
	q "create unique index concurrently u_id_ccnew on u (id)" >/dev/null 2>&1 || true
	run q "select indisvalid from pg_index where indexrelid = 'u_id_ccnew'::regclass"
	assert_output "f"
	mig V1__reindex.sql $'-- zdm: transaction=off\nreindex index concurrently t_email_idx;'
	hold_old_snapshot t
	migrate_behind_snapshot
	# two attempts, each of which left an INVALID copy of t_email_idx
	wait_for_line "$T/out" 'V1__reindex.sql:2: could not get the lock within the lock_timeout.*retry 2 of 40' 600
	wait_for "select count(*) >= 2 from pg_class where relname ~ '^t_email_idx_ccnew'" t 600
	migrated_after_snapshot
	assert_output --regexp 'V1__reindex.sql:2: dropping INVALID index t_email_idx_ccnew, left by a failed attempt at the REINDEX ... CONCURRENTLY'
	refute_output --partial "drop it by hand"
	run q "select string_agg(indexrelid::regclass::text || ':' || indisvalid, ',' order by indexrelid::regclass::text) from pg_index where indrelid in ('t'::regclass, 'u'::regclass)"
	assert_output "t_email_idx:true,u_id_ccnew:false"
	run q "select success, applied_stmts from zdm_schema_history"
	assert_output "t|1"
}

@test "migrate: kill -9 while a REINDEX CONCURRENTLY waits: the next run drops the INVALID copy it left, and no other index" {
	q "create table t (id int, email text); insert into t select g, 'e' || g from generate_series(1, 100) g;
	   insert into t values (1, 'dup'); create index t_email_idx on t (email); create index t_id_idx on t (id)" >/dev/null
	# others' INVALID leftovers: one on another table, and one named for
	# another index of t (a failed unique build: id 1 is there twice)
	q "create table u (id int); insert into u values (1), (1)" >/dev/null
	q "create unique index concurrently u_id_ccnew on u (id)" >/dev/null 2>&1 || true
	q "create unique index concurrently t_id_idx_ccnew on t (id)" >/dev/null 2>&1 || true
	run q "select string_agg(indexrelid::regclass::text || ':' || indisvalid, ',' order by indexrelid::regclass::text) from pg_index where indexrelid::regclass::text like '%ccnew'"
	assert_output "t_id_idx_ccnew:false,u_id_ccnew:false"
	mig V1__reindex.sql $'-- zdm: transaction=off\nreindex index concurrently t_email_idx;'
	reindex_killed_behind_snapshot t
	run q "select indisvalid from pg_index where indexrelid = 't_email_idx_ccnew'::regclass"
	assert_output "f"
	release_old_snapshot
	run "$ZDM_HOOK" migrate --dir "$M"
	assert_success
	assert_output --regexp 'V1__reindex.sql:2: the REINDEX ... CONCURRENTLY that an earlier run did not finish left INVALID copies of t_email_idx: t_email_idx_ccnew; they are dropped once it is done'
	assert_output --regexp 'V1__reindex.sql:2: dropping INVALID index t_email_idx_ccnew, left by a failed attempt'
	run q "select string_agg(indexrelid::regclass::text || ':' || indisvalid, ',' order by indexrelid::regclass::text) from pg_index where indrelid in ('t'::regclass, 'u'::regclass)"
	assert_output "t_email_idx:true,t_id_idx:true,t_id_idx_ccnew:false,u_id_ccnew:false"
	run q "select success, applied_stmts from zdm_schema_history"
	assert_output "t|1"
}

@test "migrate: kill -9 while a REINDEX TABLE CONCURRENTLY of a partitioned table waits: the next run drops the copy it left on a partition" {
	q "create table p (id int, email text) partition by range (id);
	   create table p1 partition of p for values from (0) to (100);
	   create table p2 partition of p for values from (100) to (200);
	   insert into p select g, 'e' || g from generate_series(0, 199) g;
	   create index p_email_idx on p (email)" >/dev/null
	mig V1__reindex.sql $'-- zdm: transaction=off\nreindex table concurrently p;'
	reindex_killed_behind_snapshot p1
	run q "select string_agg(indexrelid::regclass::text, ',' order by indexrelid::regclass::text) from pg_index where not indisvalid"
	# REINDEX TABLE rebuilds the TOAST table's index too
	assert_output --regexp '^p1_email_idx_ccnew,pg_toast\.pg_toast_[0-9]+_index_ccnew$'
	release_old_snapshot
	run "$ZDM_HOOK" migrate --dir "$M"
	assert_success
	assert_output --regexp 'V1__reindex.sql:2: the REINDEX ... CONCURRENTLY that an earlier run did not finish left INVALID copies of p: p1_email_idx_ccnew, pg_toast\.pg_toast_[0-9]+_index_ccnew; they are dropped once it is done'
	run q "select count(*) from pg_index where not indisvalid"
	assert_output "0"
	run q "select success, applied_stmts from zdm_schema_history"
	assert_output "t|1"
}

# detach_behind_snapshot: partitioned table p (p1, p2), V1 detaches p2
# CONCURRENTLY, and hold_old_snapshot p
detach_behind_snapshot() {
	q "create table p (id int, v int) partition by range (id);
	   create table p1 partition of p for values from (0) to (100);
	   create table p2 partition of p for values from (100) to (200);
	   insert into p select g, g from generate_series(0, 199) g" >/dev/null
	mig V1__detach.sql $'-- zdm: transaction=off\nalter table p detach partition p2 concurrently;'
	hold_old_snapshot p
}

# detach_finished: p2 is detached, not pending, and V1 is recorded once
detach_finished() {
	run q "select string_agg(inhrelid::regclass::text || ':' || inhdetachpending, ',') from pg_inherits where inhparent = 'p'::regclass"
	assert_output "p1:false"
	run q "select count(*), bool_and(success), min(applied_stmts) from zdm_schema_history"
	assert_output "1|t|1"
}

@test "migrate: a DETACH PARTITION CONCURRENTLY that times out behind an old snapshot is finished by FINALIZE on its retry" {
	detach_behind_snapshot
	migrate_behind_snapshot
	# the timed-out attempt left p2 pending detach; the retries finish it
	wait_for_line "$T/out" 'V1__detach.sql:2: partition p2 is pending detach from p \(an earlier attempt did not finish\); finishing it with DETACH PARTITION ... FINALIZE' 600
	wait_for_line "$T/out" 'V1__detach.sql:2: could not get the lock within the lock_timeout; pid [0-9]+ \(application "old-snapshot"' 600
	migrated_after_snapshot
	refute_output --partial "already pending detach"
	detach_finished
}

@test "migrate: kill -9 while a DETACH PARTITION CONCURRENTLY waits: the next run finishes it with FINALIZE, without locking the partition past lock_timeout" {
	detach_behind_snapshot
	migrate_bg
	# zdm's DETACH waits for the old snapshot, p2 already pending detach
	kill9_when "select count(*) from pg_inherits where inhrelid = 'p2'::regclass and inhdetachpending"
	# the next run, with the snapshot still there: FINALIZE takes p2's
	# ACCESS EXCLUSIVE lock while it waits for older snapshots, so it runs
	# under --lock-timeout (not the 30 min --concurrent-timeout) and retries
	migrate_bg --lock-timeout 300ms --ddl-retries 40
	wait_for_line "$T/out" 'partition p2 is pending detach from p \(an earlier attempt did not finish\); finishing it with DETACH PARTITION ... FINALIZE' 600
	wait_for_line "$T/out" 'V1__detach.sql:2: could not get the lock within the lock_timeout.*retry 1 of 40' 600
	# a reader of the partition is served between the attempts
	run psql -X -q -At -c "set statement_timeout = '20s'" -c "select count(*) from p2"
	assert_success
	assert_output "100"
	migrated_after_snapshot
	detach_finished
}

# --- the lock and lock_timeout ---------------------------------------------

@test "migrate: DDL behind a lock holder retries under lock_timeout; app queries never queue behind it" {
	q "create table t (id int); insert into t select generate_series(1, 100);" >/dev/null
	mig V1__alter.sql "alter table t add column name text;"
	# a long transaction that read t holds ACCESS SHARE for 4 s
	psql -X -q -c "begin; select count(*) from t; select pg_sleep(4); commit;" >/dev/null &
	holder=$!
	wait_for "select count(*) from pg_locks where relation = 't'::regclass and granted and pid <> pg_backend_pid()" 1
	"$ZDM_HOOK" migrate --dir "$M" --lock-timeout 300ms --ddl-retries 30 >"$T/out" 2>&1 &
	mig_pid=$!
	# the application keeps querying t over its connection; each query must
	# be served quickly (psql's \timing: the query's round trip, not the
	# start-up of a new psql and its TLS handshake)
	app="set statement_timeout = '5s';"$'\n'
	for i in $(seq 1 15); do
		app+=$'\\timing on\nselect count(*) from t;\n\\timing off\nselect pg_sleep(0.2);\n'
	done
	psql -X -q -At -v ON_ERROR_STOP=1 -f - <<<"$app" >"$T/app"
	max=$(awk '$1 == "Time:" && $2 > m {m = $2} END {printf "%d", m}' "$T/app")
	[ "$(grep -c '^Time:' "$T/app")" = 15 ]
	wait $holder
	wait $mig_pid
	rc=$?
	cat "$T/out"
	[ "$rc" -eq 0 ]
	grep -q "could not get the lock within the lock_timeout" "$T/out"
	grep -q "pid [0-9]* (application \"psql\"" "$T/out"
	echo "slowest application query: ${max} ms"
	# lock_timeout 300 ms, plus a loaded 2-core machine
	[ "$max" -lt 1200 ]
	run q "select count(*) from information_schema.columns where table_name = 't' and column_name = 'name'"
	assert_output "1"
}

# alter_behind_holder LOCK_TIMEOUT: V1 alters t while another session
# holds a lock on t for the whole run; run's status and output are the
# migrate's (2 retries)
alter_behind_holder() {
	local holder
	mig V1__alter.sql "alter table t add column name text;"
	psql -X -q -c "begin; lock table t in access share mode; select pg_sleep(600); commit;" >/dev/null 2>&1 &
	holder=$!
	wait_for "select count(*) from pg_locks where relation = 't'::regclass and granted and pid <> pg_backend_pid()" 1
	run hook migrate --dir "$M" --lock-timeout "$1" --ddl-retries 2
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()" >/dev/null
	wait $holder 2>/dev/null || true
}

@test "migrate: gives up after --ddl-retries with exit 1 and names the blocker" {
	q "create table t (id int);" >/dev/null
	alter_behind_holder 300ms
	assert_failure 1
	assert_output --partial "canceling statement due to lock timeout (SQLSTATE 55P03)"
	assert_output --partial "hint: gave up after 2 retries; blocked by pid"
}

@test "migrate: a lock wait that starts after a statement has run a while still names its blocker" {
	# the watch comes (half the lock_timeout) while the file's first
	# statement runs, not waiting; the ALTER after it then waits behind the
	# holder: the observer must look again, not report a blocker "gone"
	q "create table t (id int);" >/dev/null
	mig V1__alter.sql "select pg_sleep(0.6);
alter table t add column name text;"
	psql -X -q -c "set application_name = 'holder'" \
		-c "begin; lock table t in access share mode; select pg_sleep(600); commit;" >/dev/null 2>&1 &
	local holder=$!
	wait_for "select count(*) from pg_locks where relation = 't'::regclass and granted and pid <> pg_backend_pid()" 1
	run hook migrate --dir "$M" --lock-timeout 600ms --ddl-retries 1
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()" >/dev/null
	wait $holder 2>/dev/null || true
	assert_failure 1
	assert_output --regexp "could not get the lock within the lock_timeout; pid [0-9]+ \(application \"holder\", (active|idle in transaction), transaction open [0-9:]+\): .*; retry 1 of 1"
	refute_output --partial "has already gone"
	assert_output --regexp "hint: gave up after 1 retries; blocked by pid [0-9]+ \(application \"holder\""
}

@test "migrate: with no second session to spare, a statement behind a lock still retries, and says it could not name the blocker" {
	# the observer that names blockers connects only when a statement
	# waits; a role allowed one connection cannot have it
	ROLE="zdm_one_$$"
	psql -q -X -d postgres -c "create role $ROLE login password 'pw' connection limit 1" \
		-c "alter database \"$PGDATABASE\" owner to $ROLE" >/dev/null
	export ZDM_DATABASE_URL="postgresql://$ROLE:pw@$PGHOST:$PGPORT/$PGDATABASE"
	psql -X -q -d "$ZDM_DATABASE_URL" -c "create table t (id int)"
	alter_behind_holder 400ms
	assert_failure 1
	assert_output --regexp "warning: could not open a second session to see who blocks a statement: .*too many connections for role"
	assert_output --partial "could not get the lock within the lock_timeout; zdm could not look up the blocking session in time; retry 1 of 2"
	assert_output --partial "hint: gave up after 2 retries; blocked by a session zdm could not look up in time"
	[ "$(grep -c "could not open a second session" <<<"$output")" = 1 ]
	run q "select count(*) from information_schema.columns where table_name = 't' and column_name = 'name'"
	assert_output "0"
}

@test "migrate: a DDL blocked by an autovacuum waits past deadlock_timeout on its retry, so that PostgreSQL cancels the autovacuum" {
	# PostgreSQL cancels an autovacuum for a lock request that has waited
	# deadlock_timeout (1 s); a lock_timeout below that fires first. An
	# autovacuum slowed to a crawl holds t's SHARE UPDATE EXCLUSIVE lock for
	# minutes, longer than every retry at 300 ms would take.
	q "create table t (id int) with (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1,
	     autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 2000000000);
	   insert into t select generate_series(1, 100000); delete from t" >/dev/null
	psql -q -X -d postgres -c "alter system set autovacuum_naptime = '1s'" -c "select pg_reload_conf()" >/dev/null
	wait_for "select count(*) from pg_stat_activity where backend_type = 'autovacuum worker' and datname = current_database() and query like '%VACUUM%.t'" 1 600 && rc=0 || rc=$?
	psql -q -X -d postgres -c "alter system reset autovacuum_naptime" -c "select pg_reload_conf()" >/dev/null
	[ "$rc" = 0 ]
	mig V1__alter.sql "alter table t add column name text;"
	run hook migrate --dir "$M" --lock-timeout 300ms --ddl-retries 4
	assert_success
	assert_output --regexp "V1__alter.sql:1: could not get the lock within the lock_timeout; pid [0-9]+ \(application \"\", active, transaction open [0-9:]+\): autovacuum: VACUUM [a-z.]*t; retry [1-3] of 4 in [0-9]+ ms; the next attempt waits up to 1500 ms, past deadlock_timeout, so that PostgreSQL cancels the autovacuum"
	run q "select count(*) from information_schema.columns where table_name = 't' and column_name = 'name'"
	assert_output "1"
}

@test "migrate: a second runner waits for the lock, names the holder, and times out with exit 3" {
	# pod-a's V1 waits for a lock the test holds: pod-a keeps zdm's lock
	# until the test lets it go on
	psql -X -q -c "select pg_advisory_lock(4242); select pg_sleep(600)" >/dev/null 2>&1 &
	holder=$!
	wait_for "select count(*) from pg_locks where locktype = 'advisory' and objid = 4242 and granted" 1
	mig V1__slow.sql "select pg_advisory_xact_lock(4242); create table t (id int);"
	HOSTNAME=pod-a "$ZDM_HOOK" migrate --dir "$M" >"$T/a" 2>&1 &
	a=$!
	wait_for "select count(*) from pg_locks where locktype = 'advisory' and objid = 4242 and not granted" 1
	run hook migrate --dir "$M" --lock-wait 1s
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()" >/dev/null
	wait $holder 2>/dev/null || true
	assert_failure 3
	assert_output --partial 'waiting for the migration lock held by pid'
	assert_output --partial 'application "zdm-hook/pod-a"'
	assert_output --partial "timed out after"
	wait $a
	# with a longer wait the second runner finds everything applied
	run hook migrate --dir "$M"
	assert_success
	run q "select count(*) from zdm_schema_history"
	assert_output "1"
}

@test "migrate: 8 concurrent runners, 50 migrations with a CONCURRENTLY index: all succeed, each applied once" {
	mig V1__t.sql "create table t (id int, v int); create table applied (n int);"
	for i in $(seq 2 49); do
		mig "V${i}__m.sql" "insert into applied values ($i); alter table t add column c$i int;"
	done
	# the CONCURRENTLY index alone in its file (lint: mixed-transaction-off)
	mig V25__m.sql $'-- zdm: transaction=off\ncreate index concurrently t_v_idx on t (v);'
	mig V50__m.sql "insert into applied values (50);"
	pids=()
	for r in $(seq 1 8); do
		HOSTNAME=runner-$r "$ZDM_HOOK" migrate --dir "$M" --lock-wait 2m >"$T/r$r" 2>&1 &
		pids+=($!)
	done
	fails=0
	for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ] || { cat "$T"/r*; false; }
	run q "select count(*), count(distinct n) from applied"
	assert_output "48|48"
	run q "select count(*), count(distinct version), bool_and(success) from zdm_schema_history"
	assert_output "50|50|t"
	run q "select indisvalid from pg_index where indexrelid = 't_v_idx'::regclass"
	assert_output "t"
	! grep -q deadlock "$T"/r*
}

# --- signals and kill -9 ----------------------------------------------------

@test "migrate: SIGTERM cancels the statement, rolls back, releases the lock" {
	mig V1__slow.sql "create table t (id int); select pg_sleep(30);"
	migrate_bg --termination-log "$T/term"
	wait_backends '%pg_sleep(30)%' 1 300 active
	kill -TERM $p
	start=$(date +%s)
	wait $p && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	[ $(( $(date +%s) - start )) -lt 5 ]
	grep -q "interrupted by SIGTERM while applying" "$T/out"
	grep -q "interrupted by SIGTERM" "$T/term"
	run q "select to_regclass('t') is null, (select count(*) from pg_locks where locktype = 'advisory')"
	assert_output "t|0"
	mig V1__slow.sql "create table t (id int);"
	run hook migrate --dir "$M" --lock-wait 2s
	assert_success
}

@test "migrate: kill -9 mid-migration leaves the database consistent; the re-run applies it exactly once" {
	mig V1__t.sql "create table runs (n int);"
	mig V2__slow.sql "insert into runs values (2); select pg_sleep(30); create table t (id int);"
	migrate_bg
	wait_backends '%pg_sleep(30)%' 1 50 active || true
	kill -9 $p
	wait $p || true
	# client_connection_check_interval: the orphaned backend stops within
	# seconds instead of sleeping on for 30 s inside its transaction
	wait_backends '%pg_sleep(30)%' 0 100
	run q "select count(*) from runs"
	assert_output "0"
	# the migration was never applied, so it may still be edited
	mig V2__slow.sql "insert into runs values (2); create table t (id int);"
	run hook migrate --dir "$M" --lock-wait 30s
	assert_success
	run q "select count(*) from runs"
	assert_output "1"
	run q "select count(*), bool_and(success) from zdm_schema_history where version = '2'"
	assert_output "1|t"
}

@test "migrate: kill -9 in a transaction=off file resumes without repeating a committed statement" {
	mig V1__t.sql "create table runs (n int);"
	mig V2__notx.sql $'-- zdm: transaction=off\ninsert into runs values (1);\nselect pg_advisory_xact_lock(7);\ninsert into runs values (3);'
	# statement 2 waits for a gate that the test holds until the killed
	# run's backend is gone, so it cannot complete (and commit) behind the
	# test's back
	psql -X -q -c "select pg_advisory_lock(7); select pg_sleep(60)" >/dev/null 2>&1 &
	gate=$!
	wait_for "select count(*) from pg_locks where locktype = 'advisory' and objid = 7 and objsubid = 1 and granted" 1
	migrate_bg
	# (client_connection_check_interval ends the orphaned backend)
	kill9_when "select count(*) from pg_locks where locktype = 'advisory' and objid = 7 and objsubid = 1 and not granted"
	q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()" >/dev/null
	wait $gate || true
	run hook status --dir "$M"
	assert_output --regexp '2 +partial 1/3'
	# a file edited after a partial apply is refused: nothing re-runs
	cp "$M/V2__notx.sql" "$T/keep.sql"
	sed -i 's/values (3)/values (4)/' "$M/V2__notx.sql"
	run hook migrate --dir "$M" --lock-wait 30s
	assert_failure 2
	assert_output --partial "V2__notx.sql was changed after it was applied"
	cp "$T/keep.sql" "$M/V2__notx.sql"
	run hook migrate --dir "$M" --lock-wait 30s
	assert_success
	assert_output --partial "resuming at statement 2 of 3"
	run q "select string_agg(n::text, ',' order by n) from runs"
	assert_output "1,3"
}
