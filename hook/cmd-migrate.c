/*
 * cmd-migrate — `zdm-hook migrate`: apply pending migrations under the
 * lock. The engine is migrate.c; this file maps options to it and prints
 * the result.
 */
#include "cmd.h"
#include "deplog.h"
#include "log.h"
#include "migrate.h"

void cmd_migrate_fill(struct cmd_ctx *ctx, struct migrate_opts *o)
{
	struct db_opts dbo;

	cmd_db_opts(ctx, &dbo);
	o->dir = ctx->v[OPT_DIR].str;
	o->url = dbo.url;
	o->connect_retries = dbo.connect_retries;
	o->peer_timeout_ms = dbo.peer_timeout_ms;
	o->history_table = ctx->v[OPT_HISTORY_TABLE].str;
	o->lock_wait_ms = ctx->v[OPT_LOCK_WAIT].num;
	o->lock_timeout_ms = ctx->v[OPT_LOCK_TIMEOUT].num;
	o->ddl_retries = (int)ctx->v[OPT_DDL_RETRIES].num;
	o->statement_timeout_ms = ctx->v[OPT_STATEMENT_TIMEOUT].num;
	o->concurrent_timeout_ms = ctx->v[OPT_CONCURRENT_TIMEOUT].num;
	o->dry_run = (int)ctx->v[OPT_DRY_RUN].num;
	o->out_of_order = (int)ctx->v[OPT_OUT_OF_ORDER].num;
	o->max_replica_lag_ms = ctx->v[OPT_MAX_REPLICA_LAG].num;
	o->log_table = ctx->v[OPT_LOG_TABLE].str;
	o->release = ctx->v[OPT_RELEASE].str;
	o->namespace_ = ctx->v[OPT_NAMESPACE].str;
	o->strict_contract = (int)ctx->v[OPT_STRICT_CONTRACT].num;
	o->force_contract = (int)ctx->v[OPT_FORCE_CONTRACT].num;
}

static int cmd_migrate_exec(struct cmd_ctx *ctx)
{
	struct migrate_opts o = { 0 };
	struct migrate_result res = { 0 };
	struct zerr e = { 0 };
	int rc;

	if (cmd_no_args(ctx, &e) < 0)
		return cmd_fail(ctx, &e);
	cmd_migrate_fill(ctx, &o);
	if (deplog_check_name(o.log_table, &e) < 0)
		return cmd_fail(ctx, &e);
	rc = migrate_run(&o, &res, &e);
	if (!o.dry_run && log_format_get() == LOG_JSON) {
		log_result_json(res.json);
		res.json = NULL;
	}
	migrate_result_release(&res);
	if (rc < 0)
		return cmd_fail(ctx, &e);
	return 0;
}

const struct cmd_entry cmd_migrate = {
	.name = "migrate",
	.mask = CMD_MIGRATE,
	.usage = "[OPTIONS]",
	.summary = "apply pending migrations, lock-guarded and lock_timeout-bounded",
	.description =
		"Apply the pending migrations of --dir in version order, then changed repeatable ones.\n"
		"Runners on the same database and history table take turns through one session-level\n"
		"advisory lock. Every statement runs under --lock-timeout; a lock timeout rolls the\n"
		"migration back and retries it with backoff. A file that starts with\n"
		"\"-- zdm: transaction=off\" runs statement by statement and resumes where a killed\n"
		"run stopped. Nothing pending: exits 0 at once, without taking the lock.\n"
		"A \"-- zdm: phase=contract requires-app=V\" migration waits (with a warning, or exit 5\n"
		"with --strict-contract) until the deployment log shows a completed rollout of app V\n"
		"or later; it and every later migration stay pending until then.",
	.exec = cmd_migrate_exec,
};
