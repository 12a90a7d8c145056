#!/usr/bin/env bash
# make demo: a throwaway PostgreSQL, the example chart's migrations applied
# by zdm-hook exactly as the migration Job runs them, then the status.
# ZDM_DEMO_KEEP=1 leaves the database running and prints how to reach it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hook="$root/build/zdm-hook"
migrations="$root/chart-example/migrations"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting a throwaway PostgreSQL"
eval "$("$root/scripts/pg-sandbox.sh" start)"
if [ "${ZDM_DEMO_KEEP:-0}" != 1 ]; then
	trap '"$root/scripts/pg-sandbox.sh" stop "$ZDM_SANDBOX"' EXIT
fi
echo "PostgreSQL on 127.0.0.1:$PGPORT (data in $ZDM_SANDBOX)"

say "zdm-hook migrate --dir chart-example/migrations"
"$hook" migrate --dir "$migrations"

say "running it again: a no-op, as on every Argo CD sync"
"$hook" migrate --dir "$migrations"

say "zdm-hook status"
"$hook" status --dir "$migrations"

say "the schema the application sees"
psql -X -q -c '\d users'

if [ "${ZDM_DEMO_KEEP:-0}" = 1 ]; then
	say "the database keeps running; to use it and to stop it:"
	"$root/scripts/pg-sandbox.sh" env "$ZDM_SANDBOX"
	echo "scripts/pg-sandbox.sh stop '$ZDM_SANDBOX'"
fi
