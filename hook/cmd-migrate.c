/*
 * cmd-migrate — `zdm-hook migrate`: apply pending migrations under the
 * lock. The engine is migrate.c; this file maps options to it and prints
 * the result.
 */
#include "cmd.h"
#include "log.h"
#include "migrate.h"

/* Fill migrate options from parsed flags (shared by commands that run
 * migrations). */
static void cmd_migrate_fill(struct cmd_ctx *ctx, struct migrate_opts *o)
{
	o->dir = ctx->v[OPT_DIR].str;
	o->url = db_url_from_env(ctx->v[OPT_DATABASE_URL].str);
	o->history_table = ctx->v[OPT_HISTORY_TABLE].str;
	o->lock_wait_ms = ctx->v[OPT_LOCK_WAIT].num;
	o->lock_timeout_ms = ctx->v[OPT_LOCK_TIMEOUT].num;
	o->ddl_retries = (int)ctx->v[OPT_DDL_RETRIES].num;
	o->statement_timeout_ms = ctx->v[OPT_STATEMENT_TIMEOUT].num;
	o->concurrent_timeout_ms = ctx->v[OPT_CONCURRENT_TIMEOUT].num;
	o->connect_retries = (int)ctx->v[OPT_CONNECT_RETRIES].num;
	o->dry_run = (int)ctx->v[OPT_DRY_RUN].num;
	o->out_of_order = (int)ctx->v[OPT_OUT_OF_ORDER].num;
}

static int cmd_migrate_exec(struct cmd_ctx *ctx)
{
	struct migrate_opts o = { 0 };
	struct zerr e = { 0 };
	json_t *result = NULL;
	int rc;

	if (ctx->nargs > 0) {
		zerr_set(&e, ZDM_EXIT_USAGE, "unexpected argument \"%s\"", ctx->args[0]);
		zerr_hint(&e, "give the migrations directory with --dir");
		return cmd_fail(ctx, &e);
	}
	cmd_migrate_fill(ctx, &o);
	rc = migrate_run(&o, o.dry_run ? NULL : &result, &e);
	if (result && log_format_get() == LOG_JSON)
		log_result_json(result);
	else
		json_decref(result);
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
		"run stopped. Nothing pending: exits 0 at once, without taking the lock.",
	.exec = cmd_migrate_exec,
};
