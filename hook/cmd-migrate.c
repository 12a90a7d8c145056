/*
 * cmd-migrate — `zdm-hook migrate`: apply pending migrations under the
 * lock. The engine is migrate.c; this file maps options to it and prints
 * the result.
 */
#include "cmd.h"
#include "deplog.h"
#include "log.h"
#include "migrate.h"

static const struct opt_def cmd_migrate_opt_dry_run = {
	.name = "dry-run",
	.env = "ZDM_DRY_RUN",
	.kind = OPT_BOOL,
	.help = "print what would be applied; change nothing, take no lock",
};

static int cmd_migrate_exec(struct cmd_ctx *ctx)
{
	struct migrate_opts o = { 0 };
	struct migrate_result res = { 0 };
	struct zerr e = { 0 };
	int rc;

	if (cmd_no_args(ctx, &e) < 0)
		return cmd_fail(ctx, &e);
	cmd_migrate_fill(ctx, &o);
	o.dry_run = (int)cmd_num(ctx, &cmd_migrate_opt_dry_run);
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

static const struct opt_def *const cmd_migrate_opts[] = {
	&cmd_opt_dir,
	&cmd_opt_encoding,
	&cmd_opt_placeholder,
	&cmd_opt_database_url,
	&cmd_opt_history_table,
	&cmd_opt_lock_wait,
	&cmd_opt_lock_timeout,
	&cmd_opt_ddl_retries,
	&cmd_opt_statement_timeout,
	&cmd_opt_concurrent_timeout,
	&cmd_opt_connect_retries,
	&cmd_opt_peer_timeout,
	&cmd_migrate_opt_dry_run,
	&cmd_opt_out_of_order,
	&cmd_opt_ignore_migration_patterns,
	&cmd_opt_since,
	&cmd_opt_output,
	&cmd_opt_termination_log,
	&cmd_opt_quiet,
	&cmd_opt_log_table,
	&cmd_opt_strict_contract,
	&cmd_opt_force_contract,
	&cmd_opt_release,
	&cmd_opt_namespace,
	&cmd_opt_max_replica_lag,
	NULL,
};

const struct cmd_entry cmd_migrate = {
	.name = "migrate",
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
	.opts = cmd_migrate_opts,
	.exec = cmd_migrate_exec,
};
