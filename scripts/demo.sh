#!/usr/bin/env bash
# make demo: a throwaway PostgreSQL and chart-example's column rename done
# the expand -> migrate -> contract way over three releases, with exactly
# the commands the chart's hook Jobs run (zdm-hook run --phase pre|post).
# ZDM_DEMO_KEEP=1 leaves the database running and prints how to reach it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hook="$root/build/zdm-hook"
export ZDM_MIGRATIONS_DIR="$root/chart-example/migrations"
export ZDM_ASSERTIONS="$root/chart-example/zdm/assertions.yaml"
export ZDM_RELEASE=shop ZDM_NAMESPACE=demo ZDM_CHART_VERSION=0.1.0 ZDM_DEPLOYED_BY=make-demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
release() {   # release APP_VERSION REVISION: what helm upgrade runs
	export ZDM_APP_VERSION=$1 ZDM_REVISION=$2
	say "release $2, app $1: pre-upgrade Job (zdm-hook run --phase pre)"
	"$hook" run --phase pre
	echo "   ... Deployment rolls out app $1 ..."
	say "release $2, app $1: post-upgrade Job (zdm-hook run --phase post)"
	"$hook" run --phase post
}

say "starting a throwaway PostgreSQL"
eval "$("$root/scripts/pg-sandbox.sh" start)"
if [ "${ZDM_DEMO_KEEP:-0}" != 1 ]; then
	trap '"$root/scripts/pg-sandbox.sh" stop "$ZDM_SANDBOX"' EXIT
fi
echo "PostgreSQL on 127.0.0.1:$PGPORT (data in $ZDM_SANDBOX)"

release 1.0.0 1   # V1, V2 (expand); V3 (contract) waits for app 2.0.0
release 2.0.0 2   # code switches to display_name; V3 still waits
say "app 1.x and 2.x rows written side by side while both run"
psql -X -q -c "insert into users (full_name, email) values ('Ada (from app 1.x)', 'ada@example.com')" \
	-c "insert into users (display_name, email) values ('Bob (from app 2.x)', 'bob@example.com')" \
	-c "select id, email, full_name, display_name from users order by id"
release 2.0.1 3   # 2.0.0 completed: V3 runs

say "zdm-hook status"
"$hook" status

say "the deployment log"
psql -X -q -c "select id, release, revision as rev, app_version as app, phase, status,
	migration_version as db, left(coalesce(contract_deferred, ''), 40) as deferred
	from schema_deployment_log order by id"

say "the schema after the contract"
psql -X -q -c '\d users'

if [ "${ZDM_DEMO_KEEP:-0}" = 1 ]; then
	say "the database keeps running; to use it and to stop it:"
	"$root/scripts/pg-sandbox.sh" env "$ZDM_SANDBOX"
	echo "scripts/pg-sandbox.sh stop '$ZDM_SANDBOX'"
fi
