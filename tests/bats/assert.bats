#!/usr/bin/env bats
# zdm-hook assert: declarative schema assertions against the live catalog.

load helpers

setup() {
	zdm_setup_db
	q "create table users (id bigint primary key, display_name text, full_name text not null default '',
	     created_at timestamptz not null default now(), email varchar(255));
	   create index users_display_name_idx on users (display_name);
	   alter table users add constraint users_display_name_not_null check (display_name is not null) not valid;
	   create table legacy_users (id int);" >/dev/null
	A="$T/assertions.yaml"
}
teardown() { zdm_teardown_db; }

@test "assert: --help, unknown option, missing file" {
	run hook assert --help
	assert_success
	assert_output --partial "usage: zdm-hook assert --file FILE [OPTIONS]"
	run hook assert --dir x
	assert_failure 2
	run hook assert
	assert_failure 2
	assert_output --partial "no assertions file"
	assert_output --partial "hint: give --file FILE or set ZDM_ASSERTIONS"
	run hook assert --file "$T/nope.yaml"
	assert_failure 2
	assert_output --partial "cannot open"
}

@test "assert: every kind passes when the schema matches" {
	cat >"$A" <<-'Y'
	tables:
	  users:
	    columns:
	      id: {type: bigint, nullable: false}
	      display_name: {type: text, nullable: true, default: false}
	      created_at: {type: timestamp with time zone, default: now()}
	      email: {type: character varying(255), default: false}
	      full_name: {default: true}
	      nickname: {absent: true}
	    indexes:
	      users_display_name_idx: {columns: [display_name], unique: false, valid: true}
	      users_pkey: {columns: [id], unique: true, primary: true}
	      users_email_idx: {absent: true}
	    constraints:
	      users_display_name_not_null: {type: check}
	      users_pkey: {type: primary_key, validated: true}
	  legacy_users: {}
	  public.ghosts: {absent: true}
	no_invalid_indexes: true
	checks:
	  - name: no user without a name
	    sql: select count(*) = 0 from users where display_name is null
	Y
	run hook assert --file "$A"
	assert_success
	assert_output --partial "35 assertions: 35 passed, 0 failed"
	refute_output --partial "FAIL"
}

@test "assert: every mismatch is reported at once with file:line:col" {
	cat >"$A" <<-'Y'
	tables:
	  users:
	    columns:
	      id: {type: integer, nullable: true}
	      display_name: {default: "'x'::text"}
	      full_name: {absent: true}
	      nickname: {type: text}
	    indexes:
	      users_display_name_idx: {columns: [full_name], unique: true}
	      users_email_idx: {valid: true}
	    constraints:
	      users_display_name_not_null: {validated: true, type: foreign_key}
	  legacy_users: {absent: true}
	  ghosts: {}
	checks:
	  - name: nobody is called bob
	    sql: select count(*) = 1 from users
	  - name: broken check
	    sql: select nosuch from users
	  - name: two columns
	    sql: select true, true
	Y
	run hook assert --file "$A"
	assert_failure 1
	assert_output --partial "FAIL $A:4:18: table \"users\" column \"id\" type is bigint, expected integer"
	assert_output --partial "FAIL $A:4:37: table \"users\" column \"id\" nullable is false, expected true"
	assert_output --partial "FAIL $A:5:31: table \"users\" column \"display_name\" default is (none), expected 'x'::text"
	assert_output --partial "FAIL $A:6:7: table \"users\" column \"full_name\" exists but should be absent"
	assert_output --partial "FAIL $A:7:7: table \"users\" column \"nickname\" does not exist"
	assert_output --partial "FAIL $A:9:41: table \"users\" index \"users_display_name_idx\" columns are (display_name), expected (full_name)"
	assert_output --partial "unique is false, expected true"
	assert_output --partial "FAIL $A:10:7: table \"users\" index \"users_email_idx\" does not exist"
	assert_output --partial "validated is false, expected true (added NOT VALID and never validated)"
	assert_output --partial "type is check, expected foreign_key"
	assert_output --partial "FAIL $A:13:3: table \"legacy_users\" exists but should be absent"
	assert_output --partial "FAIL $A:14:3: table \"ghosts\" does not exist"
	assert_output --partial "check \"nobody is called bob\" returned false"
	assert_output --partial "check \"broken check\" query failed: column \"nosuch\" does not exist"
	assert_output --partial "check \"two columns\" returned 1 row of 2 columns"
	assert_output --partial "20 assertions: 5 passed, 15 failed"
}

@test "assert: an INVALID index left by a failed CREATE UNIQUE INDEX CONCURRENTLY is caught" {
	q "insert into users (id, display_name, email) values (1, 'a', 'same'), (2, 'b', 'same')" >/dev/null
	run psql -X -q -c "create unique index concurrently users_email_key on users (email)"
	assert_failure
	printf 'no_invalid_indexes: true\ntables:\n  users:\n    indexes:\n      users_email_key: {valid: true}\n' >"$A"
	run hook assert --file "$A"
	assert_failure 1
	assert_output --partial "FAIL $A:1:21: database 1 INVALID index: users_email_key (on users)"
	assert_output --partial "index \"users_email_key\" valid is false, expected true (left INVALID by a failed CONCURRENTLY build?)"
}

@test "assert: a validated constraint passes once VALIDATE CONSTRAINT ran" {
	printf 'tables:\n  users:\n    constraints:\n      users_display_name_not_null: {validated: true}\n' >"$A"
	run hook assert --file "$A"
	assert_failure 1
	q "alter table users validate constraint users_display_name_not_null" >/dev/null
	run hook assert --file "$A"
	assert_success
}

@test "assert: checks run read-only and under a timeout" {
	printf 'checks:\n  - name: sneaky write\n    sql: insert into legacy_users values (1) returning true\n  - name: slow\n    sql: select pg_sleep(5) is not null\n' >"$A"
	run hook assert --file "$A" --check-timeout 300ms
	assert_failure 1
	assert_output --partial "cannot execute INSERT in a read-only transaction"
	assert_output --partial "canceling statement due to statement timeout"
	run q "select count(*) from legacy_users"
	assert_output "0"
}

@test "assert: --output json lists every result" {
	printf 'tables:\n  users:\n    columns:\n      id: {type: bigint}\n      nope: {}\n' >"$A"
	run hook assert --file "$A" --output json
	assert_failure 1
	echo "$output" | grep '^{"failed"' >"$T/r.json"
	run jq -r '"\(.passed) \(.failed) \(.results[3].line) \(.results[3].ok)"' "$T/r.json"
	assert_output "3 1 5 false"
}

# malformed files: exit 2, file:line:col, the fix
malformed() {
	printf "$1" >"$A"
	run hook assert --file "$A"
	assert_failure 2
	assert_output --partial "$A:$2"
}

@test "assert: malformed files name file:line:col and the fix" {
	malformed 'tables:\n  users:\n    colums:\n      id: {type: bigint}\n' '3:5: unknown key "colums" in table "users"'
	assert_output --partial "hint: known keys: columns, indexes, constraints, absent"
	malformed 'tables:\n  users:\n    columns:\n      id: {type: bigint, nulable: false}\n' '4:26: unknown key "nulable" in column "id" of table "users"'
	malformed 'tables:\n  users:\n    columns:\n      id: {nullable: maybe}\n' '4:22: nullable must be true or false, not "maybe"'
	malformed 'tables:\n  users:\n    columns: [id]\n' '3:14: columns of table "users" must be a mapping, not a list'
	malformed 'tables:\n  users: {absent: true, columns: {}}\n' '2:10: table "users": absent: true cannot be combined'
	malformed 'tables:\n  users:\n    indexes:\n      i: {columns: []}\n' '4:20: columns must be a non-empty list'
	malformed 'tables:\n  users:\n    constraints:\n      c: {type: fk}\n' '4:17: constraint type "fk" is not one of'
	malformed 'checks:\n  - name: x\n' '2:5: a check needs both name and sql'
	malformed 'checks: {name: x}\n' '1:9: checks must be a list'
	malformed 'base: &b {type: text}\ntables:\n  users:\n    columns:\n      id: *b\n' '5:11: YAML aliases (*name) are not allowed'
	malformed 'tables:\n  users: {}\n  users: {}\n' '3:3: duplicate key "users"'
	malformed 'tables:\n  users: {\n' '3:1: invalid YAML'
	malformed 'no_invalid_indexes: yes please\n' '1:21: no_invalid_indexes must be true or false'
	malformed 'tables: {}\n---\ntables: {}\n' '2: only one YAML document is allowed'
	malformed 'views: {}\n' '1:1: unknown key "views" in the assertions file'
}
