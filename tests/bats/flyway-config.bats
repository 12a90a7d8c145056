#!/usr/bin/env bats
# The rest of a Flyway project's configuration (issue 11): --placeholder,
# per-script .sql.conf sidecars, locations/outOfOrder/validateOnMigrate,
# mixed=true under lint, B files under zdm-hook lint, since: errors.

load helm_helpers

setup() { zdm_setup_db; }
teardown() { zdm_teardown_db; }

# --- --placeholder NAME=VALUE --------------------------------------------

@test "flyway config: --placeholder is repeatable and beats the environment, zdm.yaml and flyway.conf" {
	mig V1__t.sql $'create table ${tbl} (id int);\ncomment on table ${tbl} is \'${note}\';'
	printf 'flyway.placeholders.tbl=from_conf\nflyway.placeholders.note=conf\n' >"$M/flyway.conf"
	printf 'placeholders:\n  tbl: from_yaml\n' >"$M/zdm.yaml"
	# lint sees the replaced text: the flag's table name
	run hook lint --dir "$M" --placeholder tbl=from_flag --output json
	assert_success
	# status loads the files with the flag too (no undefined placeholder)
	ZDM_PLACEHOLDER_TBL=from_env run hook status --dir "$M" --placeholder note=x --placeholder tbl=t2
	assert_success
	ZDM_PLACEHOLDER_TBL=from_env ZDM_PLACEHOLDER_NOTE=env run hook migrate --dir "$M" \
		--placeholder tbl=from_flag --placeholder 'note=a=b' --placeholder tbl=last_flag
	assert_success
	run q "select obj_description('last_flag'::regclass)"
	assert_output "a=b"
	# the environment beats zdm.yaml which beats flyway.conf
	q "drop table last_flag; drop table zdm_schema_history;"
	ZDM_PLACEHOLDER_TBL=from_env run hook migrate --dir "$M"
	assert_success
	run q "select obj_description('from_env'::regclass)"
	assert_output "conf"
	q "drop table from_env; drop table zdm_schema_history;"
	run hook run --phase pre --dir "$M" --placeholder note=
	assert_success
	run q "select coalesce(obj_description('from_yaml'::regclass), 'empty')"
	assert_output "empty"
}

@test "flyway config: a malformed --placeholder is exit 2 naming the flag and the fix, nothing applied" {
	mig V1__t.sql 'create table ${tbl} (id int);'
	for bad in novalue =x ''; do
		run hook migrate --dir "$M" --placeholder "$bad"
		assert_failure 2
		assert_output --partial "--placeholder: \"$bad\" is not NAME=VALUE"
		assert_output --partial "write the name, \"=\" and the value"
	done
	run hook lint --dir "$M" --placeholder
	assert_failure 2
	assert_output --partial 'option "--placeholder" needs a value (NAME=VALUE)'
	run q "select to_regclass('zdm_schema_history') is null"
	assert_output "t"
	# an undefined one names the flag among the ways to define it
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'V1__t.sql:1: no value provided for placeholder ${tbl}'
	assert_output --partial "--placeholder tbl=..."
	run hook migrate --help
	assert_success
	assert_output --partial "--placeholder NAME=VALUE"
	assert_output --partial "(repeatable)"
}

# --- V1__x.sql.conf: Flyway's per-script configuration --------------------

# flyway_crc FILE: Flyway's checksum of a UTF-8 file (CRC-32 of its lines).
flyway_crc() {
	local u
	u=$(tr -d '\r\n' <"$1" | gzip -c | tail -c8 | head -c4 | od -An -tu4 | tr -d ' ')
	if [ "$u" -ge 2147483648 ]; then echo $((u - 4294967296)); else echo "$u"; fi
}

@test "flyway config: a script configuration sets executeInTransaction, encoding and placeholderReplacement for its file only" {
	# a mixed file Flyway runs without a transaction because the sidecar says so
	mig V1__mixed.sql $'create table t (id int, label text);\ncreate index concurrently t_id_idx on t (id);'
	printf '# as Flyway reads it\nexecuteInTransaction=false\n' >"$M/V1__mixed.sql.conf"
	# a Latin-1 file among UTF-8 ones
	printf "insert into t values (1, 'caf\xe9');\n" >"$M/V2__latin.sql"
	printf 'encoding = ISO-8859-1\n' >"$M/V2__latin.sql.conf"
	mig V3__keep.sql $'insert into t values (2, \'${kept}\');'
	printf 'placeholderReplacement=FALSE\n' >"$M/V3__keep.sql.conf"
	# the same text without a sidecar needs its placeholder
	mig V4__ph.sql $'insert into t values (3, \'${kept}\');'
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial 'V4__ph.sql:1: no value provided for placeholder ${kept}'
	run hook migrate --dir "$M" --placeholder kept=replaced
	assert_success
	assert_output --partial "V1__mixed.sql"
	refute_output --partial "Flyway refuses this mix"
	run q "select string_agg(label, ',' order by id) from t"
	assert_output 'café,${kept},replaced'
	run q "select indisvalid from pg_index where indexrelid = 't_id_idx'::regclass"
	assert_output "t"
	# Flyway's checksum of the Latin-1 file: its text re-encoded as UTF-8
	iconv -f ISO-8859-1 -t UTF-8 "$M/V2__latin.sql" >"$BATS_TEST_TMPDIR/utf8.sql"
	run q "select checksum from zdm_schema_history where version = '2'"
	assert_output "$(flyway_crc "$BATS_TEST_TMPDIR/utf8.sql")"
	# the sidecars are not migrations; nothing changed on a second run
	run hook migrate --dir "$M" --placeholder kept=replaced
	assert_success
	assert_output --partial "nothing to apply: 4 migrations"
	# the static lint reports the mix as information, naming the setting
	run hook lint --dir "$M" --placeholder kept=x
	assert_success
	assert_output --partial "V1__mixed.sql:1:1: mixed-transaction-off"
	assert_output --partial "allowed (txmisuse): executeInTransaction=false in its script configuration"
}

@test "flyway config: a malformed script configuration is exit 2 with file:line, before anything runs" {
	mig V1__t.sql 'create table t (id int);'
	mig V2__u.sql 'create table u (id int);'
	printf '\nexecuteInTransaction=maybe\n' >"$M/V2__u.sql.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__u.sql.conf:2: executeInTransaction=\"maybe\" is not true or false"
	printf 'encoding=UTF-8\ntransactional=false\n' >"$M/V2__u.sql.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__u.sql.conf:2: unknown key \"transactional\" in a script configuration"
	assert_output --partial "executeInTransaction, encoding and placeholderReplacement"
	printf 'shouldExecute=${env}==prod\n' >"$M/V2__u.sql.conf"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "V2__u.sql.conf:1: shouldExecute (a Flyway Teams setting) is not supported"
	printf 'encoding=EBCDIC\n' >"$M/V2__u.sql.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'encoding "EBCDIC" is not supported'
	# disagreeing with the file's own directive
	mig V2__u.sql $'-- zdm: transaction=on\ncreate table u (id int);'
	printf 'executeInTransaction=false\n' >"$M/V2__u.sql.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__u.sql.conf: executeInTransaction=false disagrees with the file's transaction=on directive (line 1)"
	# executeInTransaction=true on CONCURRENTLY: refused as transaction=on is
	mig V2__u.sql 'create index concurrently t_i on t (id);'
	printf 'executeInTransaction=true\n' >"$M/V2__u.sql.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "V2__u.sql:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction"
	run q "select to_regclass('t') is null and to_regclass('zdm_schema_history') is null"
	assert_output "t"
}

# --- mixed=true under lint -------------------------------------------------

@test "flyway config: with mixed=true a mixed file runs statement by statement and lint does not refuse it" {
	q "create table legacy (id int);"
	mig V1__mixed.sql $'create table t (id int);\ncreate index concurrently legacy_id_idx on legacy (id);\ninsert into t values (1);'
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial "Flyway refuses this mix too"
	printf 'flyway.mixed=true\n' >"$M/flyway.conf"
	run hook lint --dir "$M"
	assert_success
	assert_output --partial "allowed (txmisuse): Flyway's mixed=true: the file runs without a transaction"
	# a populated database: the whole file is applied, without a transaction
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "V1__mixed.sql runs without a transaction"
	run q "select applied_stmts, total_stmts from zdm_schema_history where version = '1'"
	assert_output "3|3"
	run q "select (select count(*) from t), (select indisvalid from pg_index where indexrelid = 'legacy_id_idx'::regclass)"
	assert_output "1|t"
	# zdm's own transaction=off on a mixed file stays refused, mixed or not
	mig V2__off.sql $'-- zdm: transaction=off\ncreate table u (id int);\ncreate index concurrently u_id_idx on legacy (id);'
	run hook migrate --dir "$M"
	assert_failure 6
	assert_output --partial "V2__off.sql:2:1: mixed-transaction-off"
}

# --- locations, outOfOrder, validateOnMigrate ------------------------------

@test "flyway config: locations are read recursively, relative to the migrations directory; scripts keep Flyway's relative names" {
	mkdir -p "$M/sql/2024" "$M/more" "$M/sql/.hidden" "$M/res/db/migration"
	mig sql/V1__a.sql 'create table a (id int);'
	mig sql/2024/V2__b.sql 'create table b (id int);'
	mig sql/.hidden/V9__no.sql 'select 1/0;'
	mig more/R__v.sql $'create or replace view v as select \'${flyway:filename}\'::text as f;'
	mig res/db/migration/V3__c.sql 'create table c (id int);'
	mig V8__top_level_not_a_location.sql 'select 1/0;'
	printf 'flyway.locations=filesystem:sql, filesystem:%s/more ,classpath:res/db/migration\n' "$M" >"$M/flyway.conf"
	run hook lint --dir "$M"
	assert_success
	assert_output --partial "4 files"
	run hook migrate --dir "$M"
	assert_success
	run q "select string_agg(coalesce(version, '-') || ' ' || script, ',' order by installed_rank) from zdm_schema_history"
	assert_output "1 V1__a.sql,2 2024/V2__b.sql,3 V3__c.sql,- R__v.sql"
	run q "select f from v"
	assert_output "R__v.sql"
	# TOML, a multi-line array; zdm.yaml's locations beat Flyway's
	rm "$M/flyway.conf"
	printf '[flyway]\nlocations = [\n  "filesystem:sql",  # the old ones\n  "filesystem:more",\n]\n' >"$M/flyway.toml"
	run hook status --dir "$M"
	assert_success
	assert_output --partial "2024/V2__b.sql"
	refute_output --partial "V3__c.sql  "
	printf 'locations: "filesystem:sql"\n' >"$M/zdm.yaml"
	run hook lint --dir "$M"
	assert_success
	assert_output --partial "2 files"
}

@test "flyway config: a location zdm cannot read is exit 2 naming the setting and the fix" {
	mig V1__a.sql 'create table a (id int);'
	printf '# conf\nflyway.locations=classpath:db/migration\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'flyway.conf:2: location "classpath:db/migration" is on the Java classpath, which zdm cannot read'
	assert_output --partial 'locations: "filesystem:PATH,...'
	printf 'flyway.locations=filesystem:nowhere\n' >"$M/flyway.conf"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial 'flyway.conf:1: location "filesystem:nowhere": directory'
	printf 'flyway.locations=s3:bucket/sql\n' >"$M/flyway.conf"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial 'location "s3:bucket/sql": zdm reads filesystem: and classpath: locations only'
	printf '[flyway]\nlocations = ["filesystem:.",\n' >"$M/flyway.toml"
	run hook lint --dir "$M"
	assert_failure 2
	assert_output --partial 'flyway.toml:2: the array of locations has no closing "]"'
	# the directory itself as a location
	printf '[flyway]\nlocations = ["filesystem:."]\n' >"$M/flyway.toml"
	run hook migrate --dir "$M"
	assert_success
	run q "select to_regclass('zdm_schema_history') is not null"
	assert_output "t"
}

@test "flyway config: outOfOrder=true applies an older pending version; a flag beats it" {
	mig V1__a.sql 'create table a (id int);'
	mig V3__c.sql 'create table c (id int);'
	run hook migrate --dir "$M"
	assert_success
	mig V2__b.sql 'create table b (id int);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "is pending but older than the applied version 3"
	printf 'flyway.outOfOrder=true\n' >"$M/flyway.conf"
	run hook migrate --dir "$M" --out-of-order=false
	assert_failure 2
	ZDM_OUT_OF_ORDER=false run hook migrate --dir "$M"
	assert_failure 2
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "applying V2__b.sql"
	run q "select to_regclass('b') is not null"
	assert_output "t"
	printf 'flyway.outOfOrder=perhaps\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial 'flyway.conf:1: outOfOrder="perhaps" is not true or false'
}

@test "flyway config: validateOnMigrate=false accepts a changed or missing applied file, and says so" {
	mig V1__a.sql 'create table a (id int);'
	mig V2__b.sql 'create table b (id int);'
	run hook migrate --dir "$M"
	assert_success
	mig V1__a.sql 'create table a (id int, edited int);'
	rm "$M/V2__b.sql"
	mig V3__c.sql 'create table c (id int);'
	run hook migrate --dir "$M"
	assert_failure 2
	assert_output --partial "2 problems with the migrations; nothing was applied"
	printf 'flyway.validateOnMigrate=true\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_failure 2
	printf '\nflyway.validateOnMigrate=false\n' >"$M/flyway.conf"
	run hook migrate --dir "$M"
	assert_success
	assert_output --partial "V1__a.sql was changed after it was applied (validateOnMigrate=false in $M/flyway.conf:2: not validated, as Flyway)"
	assert_output --partial "V2__b.sql is applied but missing from the migrations (validateOnMigrate=false"
	assert_output --partial "applying V3__c.sql"
	# the changed file was not run again; the history keeps its checksum
	run q "select count(*) from information_schema.columns where table_name = 'a' and column_name = 'edited'"
	assert_output "0"
}

# --- non-UTF-8 files through Helm --------------------------------------------

@test "flyway config: a Latin-1 migration reaches the Job byte for byte (binaryData) on Helm 3 and Helm 4" {
	local C="$BATS_TEST_TMPDIR/chart" v f
	zdm_helm_setup_file
	zdm_new_chart "$C"
	"$ZDM_PLUGIN" inject "$C" >/dev/null
	# Latin-1 text, a CR, a byte that is no character in UTF-8 (0xff)
	printf "insert into items (id, name) values (1, 'caf\xe9 \xff');\r\n" >"$C/migrations/V3__latin.sql"
	printf 'encoding=ISO-8859-1\n' >"$C/migrations/V3__latin.sql.conf"
	for v in 3 4; do
		run zdm_helm "$v" lint --strict "$C" --set zdm.database.existingSecret=app-db
		assert_success
		refute_output --partial "[ERROR]"
		refute_output --partial "[WARNING]"
		zdm_render "$v" "$C" --set zdm.database.existingSecret=app-db
		CM=$(zdm_obj ConfigMap rel-zdm-migrations)
		run jq -r '[(.data | keys | join(" ")), (.binaryData | keys | join(" "))] | join(" | ")' <<<"$CM"
		assert_output "V1__create_items.sql V2__add_price.sql V3__latin.sql.conf | V3__latin.sql"
		# laid out as the volume mounts it: data as text, binaryData decoded
		rm -rf "$BATS_TEST_TMPDIR/mnt" && mkdir "$BATS_TEST_TMPDIR/mnt"
		for f in $(jq -r '.data | keys[]' <<<"$CM"); do
			jq -j --arg k "$f" '.data[$k]' <<<"$CM" >"$BATS_TEST_TMPDIR/mnt/$f"
		done
		jq -r '.binaryData["V3__latin.sql"]' <<<"$CM" | base64 -d >"$BATS_TEST_TMPDIR/mnt/V3__latin.sql"
		for f in "$C"/migrations/*; do
			cmp "$BATS_TEST_TMPDIR/mnt/$(basename "$f")" "$f"
		done
	done
	# the mounted files apply, with Flyway's checksum of the Latin-1 file
	run hook migrate --dir "$BATS_TEST_TMPDIR/mnt"
	assert_success
	iconv -f ISO-8859-1 -t UTF-8 "$C/migrations/V3__latin.sql" >"$BATS_TEST_TMPDIR/utf8.sql"
	run q "select checksum from zdm_schema_history where version = '3'"
	assert_output "$(flyway_crc "$BATS_TEST_TMPDIR/utf8.sql")"
	run q "select name from items"
	assert_output "café ÿ"
}

@test "flyway config: in wave mode a change to a Latin-1 (binaryData) file changes the Job's migrations checksum" {
	local C="$BATS_TEST_TMPDIR/chart" a b
	zdm_helm_setup_file
	zdm_new_chart "$C"
	"$ZDM_PLUGIN" inject "$C" >/dev/null
	printf 'encoding=ISO-8859-1\n' >"$C/migrations/V3__latin.sql.conf"
	wave_sum() {
		zdm_helm 4 template rel "$C" --namespace ns1 --set zdm.database.existingSecret=app-db |
			"$ZDM_PLUGIN" render --chart "$C" --release rel --namespace ns1 --mode wave |
			zdm_yaml2json | jq -r '.[] | select(.metadata.name == "rel-zdm-migrate") | .spec.template.metadata.annotations["checksum/zdm-migrations"]'
	}
	printf "insert into items (id, name) values (1, 'caf\xe9');\n" >"$C/migrations/V3__latin.sql"
	a=$(wave_sum)
	printf "insert into items (id, name) values (1, 'cr\xe8me');\n" >"$C/migrations/V3__latin.sql"
	b=$(wave_sum)
	[[ "$a" =~ ^[0-9a-f]{8}$ ]] && [[ "$b" =~ ^[0-9a-f]{8}$ ]]
	[ "$a" != "$b" ]
}

# --- zdm-hook lint and B files ----------------------------------------------

@test "flyway config: zdm-hook lint judges B files, each as the start of a fresh database" {
	mig V1__t.sql 'create table t (id int);'
	mig V2__i.sql 'create index concurrently t_id_idx on t (id);'
	# a baseline that builds its own table and index: nothing to refuse
	mig B2__base.sql $'create table t (id int);\ncreate index t_id_idx on t (id);'
	run hook lint --dir "$M"
	assert_success
	assert_output --partial "3 files"
	# a baseline that constrains a table it did not create
	mig B3__bad.sql $'alter table legacy add constraint legacy_fk foreign key (id) references t (id);'
	mig V3__x.sql 'create table x (id int);'
	run hook lint --dir "$M"
	assert_failure 6
	assert_output --partial "B3__bad.sql:1:"
	assert_output --partial "constraint-not-valid"
	# a zdm.yaml allowance or since: reaches B files too
	printf 'since: "3"\n' >"$M/zdm.yaml"
	run hook lint --dir "$M"
	assert_success
	printf 'lint:\n  allow:\n    - file: B3__bad.sql\n      rule: constraint-not-valid\n      reason: "legacy is empty when a baseline runs"\n' >"$M/zdm.yaml"
	run hook lint --dir "$M"
	assert_success
	assert_output --partial "legacy is empty when a baseline runs (zdm.yaml)"
	run hook lint --dir "$M" --since 2
	assert_success
}

# --- since: errors name their source ----------------------------------------

@test "flyway config: a bad since names zdm.yaml and its line, or --since, the same in migrate, run and lint" {
	mig V1__t.sql 'create table t (id int);'
	printf '# settings\nencoding: UTF-8\nsince: "v1.x"\n' >"$M/zdm.yaml"
	for cmd in "migrate" "run --phase pre" "lint"; do
		run hook $cmd --dir "$M"
		assert_failure 2
		assert_output --partial "zdm.yaml:3: since \"v1.x\" is not a version"
		refute_output --partial -- "--since"
		assert_output --partial "e.g. 41 or 2.1"
	done
	# the flag beats zdm.yaml, and its own bad value names the flag
	run hook migrate --dir "$M" --since 1.2.x
	assert_failure 2
	assert_output --partial -- '--since "1.2.x" is not a version'
	run hook migrate --dir "$M" --since 1
	assert_success
	run q "select to_regclass('t') is not null"
	assert_output "t"
}
