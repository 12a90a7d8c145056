/*
 * cmd-stamp — `zdm-hook stamp`: write one deployment log row by hand or
 * from a script. A succeeded/failed stamp completes the newest matching
 * started row in place (same release, namespace, revision and phase);
 * without one it inserts a completed row.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "deplog.h"
#include "history.h"
#include "log.h"

static const struct opt_def cmd_stamp_opt_status = {
	.name = "status",
	.kind = OPT_CHOICE,
	.metavar = "STATUS",
	.choices = "started|succeeded|failed",
	.help = "the row's status; succeeded/failed complete a matching started row",
};

static const struct opt_def cmd_stamp_opt_error = {
	.name = "error",
	.kind = OPT_STRING,
	.metavar = "TEXT",
	.help = "error text for a failed row",
};

static int cmd_stamp_exec(struct cmd_ctx *ctx)
{
	struct zerr e = { 0 };
	struct deplog_entry d;
	struct deplog_finish f = { 0 };
	struct db_table log = { 0 };
	struct db db = { 0 };
	struct db_opts dbo = { 0 };
	const char *status = cmd_str(ctx, &cmd_stamp_opt_status);
	char *version = NULL;
	long long id = 0;
	int rc = -1, found = 0;

	cmd_deplog_entry(ctx, &d);
	if (cmd_no_args(ctx, &e) < 0)
		goto cleanup;
	if (!status) {
		zerr_set(&e, ZDM_EXIT_USAGE, "--status is required (started, succeeded or failed)");
		goto cleanup;
	}
	if (deplog_check_entry(&d, &e) < 0 ||
	    deplog_check_name(cmd_str(ctx, &cmd_opt_log_table), &e) < 0 ||
	    history_check_name(cmd_str(ctx, &cmd_opt_history_table), &e) < 0)
		goto cleanup;
	cmd_db_opts(ctx, &dbo);
	if (db_connect(&db, &dbo, "stamp", &e) < 0 ||
	    deplog_init(&log, &db, cmd_str(ctx, &cmd_opt_log_table), &e) < 0 ||
	    deplog_ensure(&log, &db, &e) < 0 ||
	    history_read_current(&db, cmd_str(ctx, &cmd_opt_history_table), &version, &e) < 0)
		goto cleanup;
	f.status = status;
	f.migration_version = version;
	f.error = cmd_str(ctx, &cmd_stamp_opt_error);
	if (strcmp(status, "started") != 0 &&
	    deplog_complete_matching(&log, &db, &d, &f, &found, &e) < 0)
		goto cleanup;
	if (!found) {
		if (deplog_insert(&log, &db, &d, status, &id, &e) < 0)
			goto cleanup;
		if (strcmp(status, "started") != 0 && deplog_complete(&log, &db, id, &f, &e) < 0)
			goto cleanup;
	}
	log_result("%s %s stamp for release %s (%s)", found ? "completed the" : "wrote a", status,
		   d.release ? d.release : "(unknown)", log.display);
	rc = 0;
cleanup:
	free(version);
	db_table_release(&log);
	db_close(&db);
	return rc < 0 ? cmd_fail(ctx, &e) : 0;
}

static const struct opt_def *const cmd_stamp_opts[] = {
	&cmd_opt_database_url,
	&cmd_opt_history_table,
	&cmd_opt_connect_retries,
	&cmd_opt_peer_timeout,
	&cmd_opt_output,
	&cmd_opt_quiet,
	&cmd_opt_log_table,
	&cmd_opt_phase,
	&cmd_stamp_opt_status,
	&cmd_opt_release,
	&cmd_opt_namespace,
	&cmd_opt_revision,
	&cmd_opt_app_version,
	&cmd_opt_chart_version,
	&cmd_opt_deployed_by,
	&cmd_opt_source_revision,
	&cmd_opt_pod,
	&cmd_stamp_opt_error,
	NULL,
};

const struct cmd_entry cmd_stamp = {
	.name = "stamp",
	.usage = "--phase pre|post --status started|succeeded|failed [OPTIONS]",
	.summary = "write a deployment log row (release, versions, phase, status)",
	.description =
		"Write one row to the deployment log: release, namespace, revision, app and chart\n"
		"version, the database's migration version, phase, status, who deployed, pod and\n"
		"source revision (each from its flag or ZDM_* variable; unknown values stay NULL).\n"
		"succeeded/failed complete the newest matching started row in place.",
	.opts = cmd_stamp_opts,
	.exec = cmd_stamp_exec,
};
