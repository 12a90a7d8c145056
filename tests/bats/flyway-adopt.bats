#!/usr/bin/env bats
# Adopting a Flyway project as shipped (issue 11): a history applied to an
# empty database, statements on relations created in the same run, files
# whose statements cannot run in a transaction, without editing a file.

load helpers
bats_require_minimum_version 1.5.0

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

# A history as Flyway projects write it: tables, then indexes built without
# CONCURRENTLY, foreign keys without NOT VALID, a type change, a drop.
history_files() {
	mig V1__init.sql $'create table account (id bigint primary key, email text);\ncreate table orders (id bigint primary key, account_id bigint, total int);'
	mig V2__indexes.sql $'create index orders_account_idx on orders (account_id);\nalter table orders add constraint orders_account_fk foreign key (account_id) references account (id);'
	mig V3__widen.sql $'alter table orders alter column total type bigint;\nalter table account alter column email set not null;'
	mig V4__drop.sql $'create table if not exists audit (id int);\ncreate index audit_id_idx on audit (id);\ndrop index audit_id_idx;\nalter table account drop column email;'
}

# --- lint gates by what a statement can hurt ---------------------------

@test "flyway: a whole history applies to an empty database; its findings are information" {
	history_files
	# a table lint cannot follow (made by dynamic SQL), indexed later
	mig V5__dyn.sql $'do $$ begin execute \'create table dyn (id int)\'; end $$;'
	mig V6__dyn_idx.sql "create index dyn_id_idx on dyn (id);"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial 'empty database: 1 blocking or contract finding reported as information'
	refute_output --partial "index-not-concurrent"
	run q "select string_agg(version, ',' order by installed_rank) from zdm_schema_history where success"
	assert_output "1,2,3,4,5,6"
	# the same files are still judged on their own by the static lint
	run hook lint --dir "$M"
	assert_failure 6
}

@test "flyway: an empty database still refuses what cannot run (CONCURRENTLY in a transaction=on file)" {
	mig V1__t.sql $'-- zdm: transaction=on\ncreate table t (id int);\ncreate index concurrently i on t (id);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V1__t.sql:3: CREATE INDEX CONCURRENTLY cannot run inside a transaction"
	run q "select to_regclass('t') is null"
	assert_output "t"
}

@test "flyway: a populated database: statements on tables created earlier in the same run pass, others are refused" {
	q "create table legacy (id int); insert into legacy values (1);"
	mig V1__new.sql "create table fresh (id int, legacy_id int);"
	mig V2__idx.sql $'create index fresh_id_idx on fresh (id);\nalter table fresh add constraint fresh_pk primary key (id);\nalter table fresh alter column legacy_id type bigint;'
	run hook migrate --dir "$M"
	assert_success
	refute_output --partial "empty database"
	run q "select count(*) from zdm_schema_history where success"
	assert_output "2"
	# a pending file on a table an earlier run created: the table existed
	mig V3__late.sql "create index fresh_legacy_idx on fresh (legacy_id);"
	run hook migrate --dir "$M"
	assert_failure 6
	assert_output --partial "V3__late.sql:1:1: index-not-concurrent"
	# on a table that was not created by any migration
	rm "$M/V3__late.sql"
	mig V3__legacy.sql "create index legacy_id_idx on legacy (id);"
	run hook migrate --dir "$M"
	assert_failure 6
	assert_output --partial "V3__legacy.sql:1:1: index-not-concurrent"
	run q "select count(*) from pg_indexes where indexname in ('legacy_id_idx', 'fresh_legacy_idx')"
	assert_output "0"
}

@test "flyway: a database with only the history of earlier versions is not empty" {
	mig V1__t.sql "create table t (id int);"
	run hook migrate --dir "$M"
	assert_success
	q "drop table t; create table t (id int);"
	mig V2__idx.sql "create index t_id_idx on t (id);"
	run hook migrate --dir "$M"
	assert_failure 6
	assert_output --partial "index-not-concurrent"
}

@test "flyway: an empty database with a table of its own is not empty" {
	q "create table t (id int);"
	mig V1__idx.sql "create index t_id_idx on t (id);"
	run hook migrate --dir "$M"
	assert_failure 6
	assert_output --partial "V1__idx.sql:1:1: index-not-concurrent"
	# a sequence of its own makes it populated too
	q "drop table t; create sequence s;"
	mig V1__idx.sql $'do $$ begin execute \'create table dyn (id int)\'; end $$;'
	mig V2__idx.sql "create index dyn_id_idx on dyn (id);"
	run hook migrate --dir "$M" --dry-run
	assert_failure 6
	assert_output --partial "V2__idx.sql:1:1: index-not-concurrent"
	q "drop sequence s;"
	run hook migrate --dir "$M" --dry-run
	assert_success
}

# --- statements that cannot run in a transaction -----------------------

@test "flyway: a file of CONCURRENTLY statements without a directive runs without a transaction, resumable" {
	mig V1__t.sql $'create table t (id int, v int);\ninsert into t select g, g from generate_series(1, 100) g;'
	mig V2__idx.sql $'create index concurrently t_id_idx on t (id);\ncreate index concurrently t_v_idx on t (v);'
	mig V3__rebuild.sql $'drop index concurrently t_id_idx;\ncreate unique index concurrently t_id_uidx on t (id);'
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "V2__idx.sql runs without a transaction, statement by statement"
	assert_output --partial "V3__rebuild.sql runs without a transaction"
	run q "select version, applied_stmts, total_stmts from zdm_schema_history where version in ('2', '3') order by 1"
	assert_output $'2|2|2\n3|2|2'
	run q "select string_agg(indexname, ',' order by indexname) from pg_indexes where tablename = 't'"
	assert_output "t_id_uidx,t_v_idx"
}

@test "flyway: SET with CREATE INDEX CONCURRENTLY is refused as Flyway refuses it (mixed is false)" {
	mig V1__t.sql "create table t (id int);"
	mig V2__idx.sql $'set lock_timeout = \'1s\';\ncreate index concurrently t_id_idx on t (id);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__idx.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a transaction, and line 1 (SET LOCK_TIMEOUT) should run in one"
	run q "select to_regclass('t') is null and to_regclass('zdm_schema_history') is null"
	assert_output "t"
	# the directive keeps working: transaction=off takes the file as it is
	mig V2__idx.sql $'-- zdm: transaction=off\nset lock_timeout = \'1s\';\ncreate index concurrently t_id_idx on t (id);'
	run hook migrate --dir "$M"
	assert_success
	run q "select count(*) from pg_indexes where indexname = 't_id_idx'"
	assert_output "1"
}

@test "flyway: VACUUM alone is detected; the lint agrees with the runner" {
	mig V1__t.sql "create table t (id int);"
	mig V2__vac.sql "vacuum analyze t;"
	run hook lint --dir "$M"
	refute_output --partial "needs-transaction-off"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "V2__vac.sql runs without a transaction"
}

@test "flyway: an allow= written for a populated database does not refuse a fresh run" {
	mig V1__t.sql "create table t (id int, email text);"
	mig V2__idx.sql $'-- zdm: allow=index-not-concurrent reason="small table"\ncreate index t_email_idx on t (email);'
	run hook migrate --dir "$M"
	assert_success
	run q "select count(*) from pg_indexes where indexname = 't_email_idx'"
	assert_output "1"
}

# --- baseline migrations (B files) -------------------------------------

baseline_files() {
	mig V1__a.sql "create table a (id int);"
	mig V2__b.sql "create table b (id int);"
	mig B2__ab.sql $'create table a (id int);\ncreate table b (id int);'
	mig V3__c.sql "create table c (id int);"
}

@test "flyway: on a database with no versions the highest B file replaces the versions at or below it" {
	baseline_files
	mig B1__a.sql "create table a (id int);"
	run hook migrate --dir "$M"
	assert_success
	run q "select version, type, script from zdm_schema_history order by installed_rank"
	assert_output $'2|SQL_BASELINE|B2__ab.sql\n3|SQL|V3__c.sql'
	run q "select string_agg(relname, ',' order by relname) from pg_class where relname in ('a', 'b', 'c')"
	assert_output "a,b,c"
	run hook status --dir "$M"
	assert_success
	assert_output --regexp '1 +below-baseline .*V1__a.sql'
	assert_output --regexp '2 +below-baseline .*V2__b.sql'
	assert_output --regexp '2 +baseline .*B2__ab.sql'
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "nothing to apply"
	# an applied B file is history like any other
	mig B2__ab.sql $'create table a (id int);\ncreate table b (id bigint);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "B2__ab.sql was changed after it was applied"
}

@test "flyway: B files are ignored on a database that has applied versions" {
	mig V1__a.sql "create table a (id int);"
	run hook migrate --dir "$M"
	assert_success
	baseline_files
	run hook migrate --dir "$M"
	assert_success
	run q "select string_agg(script, ',' order by installed_rank) from zdm_schema_history"
	assert_output "V1__a.sql,V2__b.sql,V3__c.sql"
	run hook status --dir "$M"
	refute_output --partial "B2__ab.sql"
}

@test "flyway: a B file is lint-checked in place of the versions it stands for; bad names are refused" {
	baseline_files
	q "create table legacy (id int);"
	mig B2__ab.sql $'create table a (id int);\ncreate table b (id int);\ncreate index legacy_idx on legacy (id);'
	run hook migrate --dir "$M"
	assert_failure 6
	assert_output --partial "B2__ab.sql:3:1: index-not-concurrent"
	rm "$M/B2__ab.sql"
	mig b3__x.sql "select 1;"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial '"b3__x.sql": the prefix must be upper-case "B"'
	rm "$M/b3__x.sql"
	mig B2__x.sql "select 1;"
	mig B2.0__y.sql "select 1;"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "have the same version"
}

# --- history rows without a file, Flyway's ignoreMigrationPatterns -----

# The Flyway checksum of a file, computed independently of zdm (as in
# migrate.bats): the CRC-32 of its bytes without line terminators.
flyway_crc() {
	local u
	u=$(tr -d '\r\n' <"$1" | gzip -c | tail -c8 | head -c4 | od -An -tu4 | tr -d ' ')
	if [ "$u" -ge 2147483648 ]; then echo $((u - 4294967296)); else echo "$u"; fi
}

# flyway_history: the table as Flyway 9/10 creates it.
flyway_history() {
	q "create table flyway_schema_history (installed_rank int not null primary key, version varchar(50),
	     description varchar(200) not null, type varchar(20) not null, script varchar(1000) not null,
	     checksum int, installed_by varchar(100) not null, installed_on timestamp not null default now(),
	     execution_time int not null, success boolean not null)" >/dev/null
}

@test "flyway: Java migration rows (JDBC, SPRING_JDBC) without a file do not block" {
	mig V1__t.sql "create table t (id int);"
	mig V3__u.sql "create table u (id int);"
	mig V4__w.sql "create table w (id int);"
	flyway_history
	q "create table t (id int); create table u (id int);
	   insert into flyway_schema_history values
	   (1, '1', 't', 'SQL', 'V1__t.sql', $(flyway_crc "$M/V1__t.sql"), 'app', now(), 5, true),
	   (2, '2', 'Seed', 'JDBC', 'db.migration.V2__Seed', null, 'app', now(), 5, true),
	   (3, '3', 'u', 'SQL', 'V3__u.sql', $(flyway_crc "$M/V3__u.sql"), 'app', now(), 5, true),
	   (4, '3.1', 'Fix', 'SPRING_JDBC', 'db.migration.V3_1__Fix', null, 'app', now(), 5, true)" >/dev/null
	run hook migrate --dir "$M" --history-table flyway_schema_history
	assert_success
	refute_output --partial "missing"
	run q "select script from flyway_schema_history where installed_rank = 5"
	assert_output "V4__w.sql"
	run hook status --dir "$M" --history-table flyway_schema_history
	assert_success
	assert_output --regexp '2 +missing-ignored .*db.migration.V2__Seed'
	assert_output --regexp '3.1 +missing-ignored'
	refute_output --partial "problems found"
	# a SQL row without its file still blocks, unless ignored by pattern
	rm "$M/V3__u.sql"
	run hook migrate --dir "$M" --history-table flyway_schema_history
	assert_failure 2
	assert_output --partial "applied migration V3__u.sql (version 3) is missing from"
	run hook migrate --dir "$M" --history-table flyway_schema_history --ignore-migration-patterns '*:missing'
	assert_success
}

@test "flyway: ignore patterns: *:future by default, replaced when given; versioned:ignored skips old pending files" {
	mig V1__a.sql "create table a (id int);"
	mig V3__c.sql "create table c (id int);"
	run hook migrate --dir "$M"
	assert_success
	# an older release's files: the newest applied version is "future"
	rm "$M/V3__c.sql"
	run hook migrate --dir "$M"
	assert_success
	run hook status --dir "$M"
	assert_output --regexp '3 +future-ignored'
	# a pattern list replaces the default
	run hook migrate --dir "$M" --ignore-migration-patterns 'repeatable:missing'
	assert_failure 2
	assert_output --partial "applied migration V3__c.sql (version 3) is newer than every file"
	# a pending version below the newest applied one
	mig V3__c.sql "create table c (id int);"
	mig V2__b.sql "create table b (id int);"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "is pending but older than the applied version 3"
	ZDM_IGNORE_MIGRATION_PATTERNS='*:future, versioned:ignored' run hook migrate --dir "$M"
	assert_success
	run q "select to_regclass('b') is null"
	assert_output "t"
	run hook status --dir "$M" --ignore-migration-patterns 'versioned:ignored'
	assert_output --regexp '2 +ignored .*V2__b.sql'
	run hook migrate --dir "$M" --ignore-migration-patterns 'versioned'
	assert_failure 2
	assert_output --partial 'ignore migration pattern "versioned" is not TYPE:STATUS'
	run hook status --dir "$M" --ignore-migration-patterns 'all:missing'
	assert_failure 2
}

# --- --since: grandfathering older files -------------------------------

@test "flyway: --since applies older pending files without judging them; later ones are judged" {
	q "create table t (id int, v int);"
	mig V1__idx.sql "create index t_id_idx on t (id);"
	mig V2__idx.sql "create index t_v_idx on t (v);"
	run hook migrate --dir "$M" --since 1 --dry-run
	assert_failure 6
	assert_output --partial "V2__idx.sql:1:1: index-not-concurrent"
	refute_output --partial "V1__idx.sql"
	run hook migrate --dir "$M" --since 2
	assert_success
	run q "select count(*) from zdm_schema_history where success"
	assert_output "2"
	run hook migrate --dir "$M" --since 1.x
	assert_failure 2
	assert_output --partial '--since "1.x" is not a version'
}

# --- placeholders -------------------------------------------------------

@test "flyway: placeholders are replaced everywhere before splitting; an undefined one is exit 2 with file:line" {
	q "create schema app;"
	mig V1__t.sql $'create table ${schema}.t (id int, note text default \'${note}\');\ncreate index if not exists t_id_idx on ${schema}.t (id);\ndo $$ begin raise notice \'in ${schema}\'; end $$;'
	mig R__v.sql $'-- ${label}\ncreate or replace view ${schema}.v as select id, \'${flyway:filename}\'::text as f, \'${flyway:user}\'::text as u, \'${label}\'::text as l from ${schema}.t;'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --regexp '(V1__t\.sql:1: no value provided for placeholder \$\{schema\}|R__v\.sql:1: no value provided for placeholder \$\{label\})'
	run q "select to_regclass('app.t') is null and to_regclass('zdm_schema_history') is null"
	assert_output "t"
	# flyway.conf (with ${VAR} from the environment), zdm.yaml over it
	printf 'flyway.placeholders.schema=wrong\nflyway.placeholders.note=${ZDM_TEST_NOTE}\n' >"$M/flyway.conf"
	printf 'placeholders:\n  schema: app\n' >"$M/zdm.yaml"
	ZDM_TEST_NOTE=hello ZDM_PLACEHOLDER_LABEL=one run hook migrate --dir "$M"
	assert_success
	run q "select column_default from information_schema.columns where table_name = 't' and column_name = 'note'"
	assert_output "'hello'::text"
	run q "select pg_get_viewdef('app.v') like '%R__v.sql%'"
	assert_output "t"
	# V files are checksummed as written, R files after replacement
	run q "select checksum from zdm_schema_history where version = '1'"
	assert_output "$(flyway_crc "$M/V1__t.sql")"
	run q "select checksum <> $(flyway_crc "$M/R__v.sql") from zdm_schema_history where script = 'R__v.sql'"
	assert_output "t"
	# a new value re-applies the R file only (Flyway's FLYWAY_PLACEHOLDERS_ works too)
	ZDM_TEST_NOTE=other FLYWAY_PLACEHOLDERS_LABEL=two run hook migrate --dir "$M"
	assert_success
	assert_output --partial "applying R__v.sql"
	refute_output --partial "V1__t.sql"
	run q "select pg_get_viewdef('app.v') like '%two%'"
	assert_output "t"
}

@test "flyway: prefix, suffix and placeholderReplacement=false from flyway.toml" {
	mig V1__t.sql $'create table #[name] (id int);\ncomment on table #[name] is \'${not_a_placeholder}\';'
	printf '[environments.dev]\nurl = "jdbc:postgresql://x/y"\n\n[flyway]\nplaceholderPrefix = "#["\nplaceholderSuffix = "]"\nlocations = ["filesystem:."]\n\n[flyway.placeholders]\nname = "tt"\n' >"$M/flyway.toml"
	printf 'flyway.placeholders.name=ignored_because_toml_wins\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_success
	run q "select obj_description('tt'::regclass)"
	assert_output '${not_a_placeholder}'
	rm "$M/flyway.toml"
	q "drop table tt; drop table zdm_schema_history;"
	mig V1__t.sql $'create table t (id int);\ncomment on table t is \'${kept}\';'
	printf 'flyway.placeholderReplacement=false\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_success
	run q "select obj_description('t'::regclass)"
	assert_output '${kept}'
}

# --- settings files -----------------------------------------------------

@test "flyway: zdm.yaml lint allowances let an old file through without editing it; malformed settings are exit 2 with file:line" {
	q "create table t (id int, v int);"
	mig V1__idx.sql "create index t_id_idx on t (id);"
	run hook migrate --dir "$M" --dry-run
	assert_failure 6
	printf 'lint:\n  allow:\n    - file: V1__idx.sql\n      rule: index-not-concurrent\n      reason: "built in 2019 when t was empty"\n' >"$M/zdm.yaml"
	run hook lint --dir "$M"
	assert_success
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "allowed: built in 2019 when t was empty (zdm.yaml)"
	run q "select allowed from zdm_schema_history where version = '1'"
	assert_output --partial "index-not-concurrent"
	printf 'lint:\n  allow:\n    - file: V1__idx.sql\n      rule: index-not-concurrent\n' >"$M/zdm.yaml"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "zdm.yaml:3:7: lint.allow: a reason is required"
	printf 'lint:\n  allow:\n    - { file: V9__x.sql, rule: index-not-concurrent, reason: "x" }\n' >"$M/zdm.yaml"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial 'zdm.yaml:3: lint.allow: "V9__x.sql" is not a migration'
	printf 'lint:\n  allow:\n    - { file: V1__idx.sql, rule: no-such-rule, reason: "x" }\n' >"$M/zdm.yaml"
	run hook status --dir "$M"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial 'there is no lint rule "no-such-rule"'
	printf 'sinse: 3\n' >"$M/zdm.yaml"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "zdm.yaml:1:1: unknown setting"
	printf 'since: [1\n' >"$M/zdm.yaml"
	run hook status --dir "$M"
	assert_failure 2
	assert_output --partial "zdm.yaml"
	rm "$M/zdm.yaml"
	printf '[flyway]\nmixed = maybe\n' >"$M/flyway.toml"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "flyway.toml:2: mixed=\"maybe\" is not true or false"
}

@test "flyway: mixed=true runs a mixed file without a transaction; since: in zdm.yaml grandfathers" {
	q "create table t (id int);"
	mig V1__idx.sql $'set lock_timeout = \'5s\';\ncreate index concurrently t_id_idx on t (id);'
	run hook migrate --dir "$M"
	assert_failure 2
	printf 'flyway.mixed=true\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "V1__idx.sql runs without a transaction"
	run q "select applied_stmts, total_stmts from zdm_schema_history where version = '1'"
	assert_output "2|2"
	mig V2__idx.sql "create index t_id2_idx on t (id);"
	run hook migrate --dir "$M"
	assert_failure 6
	printf 'since: "2"\n' >"$M/zdm.yaml"
	run hook migrate --dir "$M"
	assert_success
	run hook lint --dir "$M"
	assert_success
}

@test "flyway: baselineOnMigrate baselines a populated database without a history at baselineVersion" {
	q "create table legacy (id int);"
	mig V1__legacy.sql "create table legacy (id int);"
	mig V2__more.sql "create table legacy2 (id int);"
	mig V3__new.sql "create table fresh (id int);"
	printf 'flyway.baselineOnMigrate=true\nflyway.baselineVersion=2\n' >"$M/flyway.conf"
	q "create table legacy2 (id int);"
	run hook migrate --dir "$M" --history-table flyway_schema_history
	assert_success
	assert_output --partial "baselined the database at version 2"
	run q "select version, type, script, checksum is null from flyway_schema_history order by installed_rank"
	assert_output $'2|BASELINE|<< Flyway Baseline >>|t\n3|SQL|V3__new.sql|f'
	run hook status --dir "$M" --history-table flyway_schema_history
	assert_output --regexp '1 +below-baseline'
	# an empty database is not baselined: everything applies
	q "drop table legacy, legacy2, fresh, flyway_schema_history;"
	run hook migrate --dir "$M" --history-table flyway_schema_history
	assert_success
	run q "select string_agg(script, ',' order by installed_rank) from flyway_schema_history"
	assert_output "V1__legacy.sql,V2__more.sql,V3__new.sql"
}
