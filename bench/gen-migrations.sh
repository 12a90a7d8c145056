#!/usr/bin/env bash
# gen-migrations.sh N ZDM_DIR DBMATE_DIR [TOOL=DIR...] — write N small
# migrations once per tool, with the same SQL, in each tool's file format:
#
#   ZDM_DIR/V<n>__<name>.sql                  (Flyway names; zdm-hook)
#   DBMATE_DIR/<nnnn>_<name>.sql              ("-- migrate:up"; dbmate sorts
#                                              by file name, hence the padding)
#   migrate=DIR: DIR/<nnnn>_<name>.up.sql     (golang-migrate)
#   goose=DIR:   DIR/<nnnnn>_<name>.sql       ("-- +goose Up")
#   atlas=DIR:   DIR/<nnnn>_<name>.sql        (plain SQL; atlas.sum is made
#                                              by `atlas migrate hash`)
#
# Migration n works on table t<k>, k = ceil(n/4), in a cycle of four:
#   create table / add column / insert 10 rows / create index concurrently
# so N=200 gives 50 tables, 50 indexes, 50 extra columns and 500 rows.
# The index is built CONCURRENTLY outside a transaction, as a zero-downtime
# migration must be (zdm's lint refuses a plain CREATE INDEX on an existing
# table); each tool is told so in its own syntax ("-- zdm: transaction=off",
# dbmate's "-- migrate:up transaction:false", goose's "-- +goose NO
# TRANSACTION", atlas's "-- atlas:txmode none"; golang-migrate runs every
# file without a transaction of its own).
# A migration applied twice either fails (the DDL ones) or leaves 20 rows
# in its table (the insert), which is what the race check looks for.
# The directories are emptied of *.sql first, so a rerun is reproducible.
set -euo pipefail

n=${1:?usage: gen-migrations.sh N ZDM_DIR DBMATE_DIR}
zdir=${2:?usage: gen-migrations.sh N ZDM_DIR DBMATE_DIR}
ddir=${3:?usage: gen-migrations.sh N ZDM_DIR DBMATE_DIR}
shift 3
mdir='' gdir='' adir=''
for a in "$@"; do
	case $a in
	migrate=?*) mdir=${a#*=} ;;
	goose=?*) gdir=${a#*=} ;;
	atlas=?*) adir=${a#*=} ;;
	*) echo "gen-migrations: error: unknown argument \"$a\" (migrate=DIR, goose=DIR or atlas=DIR)" >&2; exit 2 ;;
	esac
done
for d in "$zdir" "$ddir" $mdir $gdir $adir; do
	mkdir -p "$d"
	rm -f "$d"/*.sql "$d"/atlas.sum
done

for ((i = 1; i <= n; i++)); do
	k=$(((i + 3) / 4))
	case $((i % 4)) in
	1) name="create_t$k"
	   sql="CREATE TABLE t$k (id bigserial PRIMARY KEY, name text NOT NULL);" ;;
	2) name="add_column_t$k"
	   sql="ALTER TABLE t$k ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();" ;;
	3) name="insert_t$k"
	   sql="INSERT INTO t$k (name) SELECT 'row ' || g FROM generate_series(1, 10) AS g;" ;;
	0) name="index_t$k"
	   sql="CREATE INDEX CONCURRENTLY t${k}_name_idx ON t$k (name);" ;;
	esac
	if ((i % 4 == 0)); then
		zhead='-- zdm: transaction=off\n' dhead='-- migrate:up transaction:false\n'
		ghead='-- +goose NO TRANSACTION\n-- +goose Up\n' ahead='-- atlas:txmode none\n\n'
	else
		zhead='' dhead='-- migrate:up\n' ghead='-- +goose Up\n' ahead=''
	fi
	printf -- "$zhead"'-- bench migration %d\n%s\n' "$i" "$sql" >"$zdir/V${i}__${name}.sql"
	printf -- "$dhead"'-- bench migration %d\n%s\n\n-- migrate:down\n' "$i" "$sql" \
		>"$ddir/$(printf '%04d' "$i")_${name}.sql"
	[ -z "$mdir" ] || printf -- '-- bench migration %d\n%s\n' "$i" "$sql" >"$mdir/$(printf '%04d' "$i")_${name}.up.sql"
	[ -z "$gdir" ] || printf -- "$ghead"'-- bench migration %d\n%s\n' "$i" "$sql" >"$gdir/$(printf '%05d' "$i")_${name}.sql"
	[ -z "$adir" ] || printf -- "$ahead"'-- bench migration %d\n%s\n' "$i" "$sql" >"$adir/$(printf '%04d' "$i")_${name}.sql"
done
