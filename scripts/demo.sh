#!/usr/bin/env bash
# make demo: a throwaway PostgreSQL and chart-example's column rename done
# the expand -> migrate -> contract way over three releases, with exactly
# the commands the chart's hook Jobs run (zdm-hook run --phase pre|post):
#   release 1, app 1.0.0: the chart ships V1 (users with full_name)
#   release 2, app 2.0.0: ships V2, one rename-column recipe: zdm expands
#     (display_name + sync trigger), backfills the existing rows in batches,
#     and defers the contract (drop full_name) until no 1.x pod is left
#   release 3, app 2.0.1: the 2.0.0 rollout completed, so the contract runs
# ZDM_DEMO_KEEP=1 leaves the database running and prints how to reach it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hook="$root/build/zdm-hook"
work=$(mktemp -d "${TMPDIR:-/tmp}/zdm-demo.XXXXXX")
export ZDM_MIGRATIONS_DIR="$work/migrations"   # what the current release's chart ships
export ZDM_ASSERTIONS="$root/chart-example/zdm/assertions.yaml"
export ZDM_RELEASE=shop ZDM_NAMESPACE=demo ZDM_CHART_VERSION=0.1.0 ZDM_DEPLOYED_BY=make-demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
release() {   # release APP_VERSION REVISION MIGRATIONS...: what helm upgrade runs
	export ZDM_APP_VERSION=$1 ZDM_REVISION=$2
	shift 2
	rm -rf "$ZDM_MIGRATIONS_DIR" && mkdir -p "$ZDM_MIGRATIONS_DIR"
	for f in "$@"; do cp "$root/chart-example/migrations/$f" "$ZDM_MIGRATIONS_DIR/"; done
	set -- "$ZDM_APP_VERSION" "$ZDM_REVISION"
	say "release $2, app $1: pre-upgrade Job (zdm-hook run --phase pre)"
	"$hook" run --phase pre
	echo "   ... Deployment rolls out app $1 ..."
	if [ -n "${DURING:-}" ]; then "$DURING"; fi
	say "release $2, app $1: post-upgrade Job (zdm-hook run --phase post)"
	"$hook" run --phase post
}

say "starting a throwaway PostgreSQL"
eval "$("$root/scripts/pg-sandbox.sh" start)"
if [ "${ZDM_DEMO_KEEP:-0}" != 1 ]; then
	trap '"$root/scripts/pg-sandbox.sh" stop "$ZDM_SANDBOX"; rm -rf "$work"' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi
echo "PostgreSQL on 127.0.0.1:$PGPORT (data in $ZDM_SANDBOX)"

# the 1.0.0 chart has no assertions yet (zdm/assertions.yaml states what
# app 2.x needs: it ships with release 2)
ZDM_ASSERTIONS= release 1.0.0 1 V1__create_users.sql
say "app 1.0.0 in production: 50000 users"
psql -X -q -c "insert into users (full_name, email)
	select 'User ' || g, 'user' || g || '@example.com' from generate_series(1, 50000) g"

side_by_side() {
	say "during the 2.0.0 rollout, app 1.x and 2.x pods write side by side"
	psql -X -q -c "insert into users (full_name, email) values ('Ada (from app 1.x)', 'ada@example.com')" \
		-c "insert into users (display_name, email) values ('Bob (from app 2.x)', 'bob@example.com')" \
		-c "select id, email, full_name, display_name from users where email in
		    ('user1@example.com', 'ada@example.com', 'bob@example.com') order by id"
}
say "what V2's recipe will run (zdm-hook migrate --dry-run)"
rm -rf "$ZDM_MIGRATIONS_DIR" && mkdir -p "$ZDM_MIGRATIONS_DIR"
cp "$root"/chart-example/migrations/V*.sql "$ZDM_MIGRATIONS_DIR/"
"$hook" migrate --dry-run

DURING=side_by_side release 2.0.0 2 V1__create_users.sql V2__rename_full_name.sql

release 2.0.1 3 V1__create_users.sql V2__rename_full_name.sql

say "zdm-hook status"
"$hook" status

say "the deployment log"
psql -X -q -c "select id, release, revision as rev, app_version as app, phase, status,
	migration_version as db, left(coalesce(contract_deferred, ''), 40) as deferred
	from schema_deployment_log order by id"

say "the recipe's state"
psql -X -q -c "select version, recipe, table_name, state, contract_after, contract_step
	from zdm_schema_history_recipes"

say "the schema after the contract"
psql -X -q -c '\d users'

if [ "${ZDM_DEMO_KEEP:-0}" = 1 ]; then
	say "the database keeps running; to use it and to stop it:"
	"$root/scripts/pg-sandbox.sh" env "$ZDM_SANDBOX"
	echo "scripts/pg-sandbox.sh stop '$ZDM_SANDBOX'"
fi
