#!/usr/bin/env bash
# gen-migrations.sh N DIR — write N small, realistic, safe migrations
# (V<n>__<name>.sql) into DIR for the lint timing of bench-lint.sh.
#
# Migration n works on table t<k>, k = ceil(n/8), in a cycle of eight:
#   1 CREATE TABLE t<k> (identity key, NOT NULL columns, a default) and an
#     index on it in the same file (a new table: safe)
#   2 ADD COLUMN email (nullable) and status (NOT NULL with a constant default)
#   3 "-- zdm: transaction=off": CREATE INDEX CONCURRENTLY on email
#   4 a CHECK and a FOREIGN KEY (to the pre-existing table accounts), NOT VALID
#   5 VALIDATE CONSTRAINT both (a separate transaction)
#   6 a backfill UPDATE ... WHERE email IS NULL AND id BETWEEN ... (a batch)
#   7 "-- zdm: transaction=off": CREATE UNIQUE INDEX CONCURRENTLY
#   8 ADD COLUMN note (nullable) and a COMMENT ON COLUMN
# so N=1000 gives 125 tables and 1,625 statements, every one of them safe
# by zdm's rules. DIR is emptied of *.sql first, so a rerun is reproducible.
set -euo pipefail

n=${1:?usage: gen-migrations.sh N DIR}
dir=${2:?usage: gen-migrations.sh N DIR}
mkdir -p "$dir"
rm -f "$dir"/*.sql

for ((i = 1; i <= n; i++)); do
	k=$(((i + 7) / 8))
	t=t$k
	case $((i % 8)) in
	1) name="create_$t"
	   sql="CREATE TABLE $t (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ${t}_account_idx ON $t (account_id);" ;;
	2) name="add_email_status_$t"
	   sql="ALTER TABLE $t ADD COLUMN email text;
ALTER TABLE $t ADD COLUMN status text NOT NULL DEFAULT 'new';" ;;
	3) name="index_email_$t"
	   sql="-- zdm: transaction=off
CREATE INDEX CONCURRENTLY IF NOT EXISTS ${t}_email_idx ON $t (email);" ;;
	4) name="constraints_$t"
	   sql="ALTER TABLE $t ADD CONSTRAINT ${t}_name_len CHECK (char_length(name) <= 200) NOT VALID;
ALTER TABLE $t ADD CONSTRAINT ${t}_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;" ;;
	5) name="validate_$t"
	   sql="ALTER TABLE $t VALIDATE CONSTRAINT ${t}_name_len;
ALTER TABLE $t VALIDATE CONSTRAINT ${t}_account_fk;" ;;
	6) name="backfill_email_$t"
	   sql="UPDATE $t SET email = lower(name) || '@example.com'
WHERE email IS NULL AND id BETWEEN 1 AND 10000;" ;;
	7) name="unique_email_$t"
	   sql="-- zdm: transaction=off
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${t}_email_key ON $t (email);" ;;
	0) name="add_note_$t"
	   sql="ALTER TABLE $t ADD COLUMN note text;
COMMENT ON COLUMN $t.note IS 'free text, shown to support staff';" ;;
	esac
	# a transaction=off directive must be in the header: it comes first
	if [[ $sql == "-- zdm:"* ]]; then
		printf -- '%s\n-- bench migration %d: %s\n%s\n' "${sql%%$'\n'*}" "$i" "$name" "${sql#*$'\n'}"
	else
		printf -- '-- bench migration %d: %s\n%s\n' "$i" "$name" "$sql"
	fi >"$dir/V${i}__${name}.sql"
done
