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

void cmd_deplog_entry(struct cmd_ctx *ctx, struct deplog_entry *d)
{
	memset(d, 0, sizeof(*d));
	d->release = ctx->v[OPT_RELEASE].str;
	d->namespace_ = ctx->v[OPT_NAMESPACE].str;
	d->revision = ctx->v[OPT_REVISION].str;
	d->app_version = ctx->v[OPT_APP_VERSION].str;
	d->chart_version = ctx->v[OPT_CHART_VERSION].str;
	d->deployed_by = ctx->v[OPT_DEPLOYED_BY].str;
	d->source_revision = ctx->v[OPT_SOURCE_REVISION].str;
	d->pod = ctx->v[OPT_POD].str;
	d->phase = ctx->v[OPT_PHASE].str;
}

static int cmd_stamp_exec(struct cmd_ctx *ctx)
{
	struct zerr e = { 0 };
	struct deplog_entry d;
	struct deplog_finish f = { 0 };
	struct db_table log = { 0 };
	struct db db = { 0 };
	struct db_opts dbo = { 0 };
	const char *status = ctx->v[OPT_STATUS].str;
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
	    deplog_check_name(ctx->v[OPT_LOG_TABLE].str, &e) < 0 ||
	    history_check_name(ctx->v[OPT_HISTORY_TABLE].str, &e) < 0)
		goto cleanup;
	cmd_db_opts(ctx, &dbo);
	if (db_connect(&db, &dbo, "stamp", &e) < 0 ||
	    deplog_init(&log, &db, ctx->v[OPT_LOG_TABLE].str, &e) < 0 ||
	    deplog_ensure(&log, &db, &e) < 0 ||
	    history_read_current(&db, ctx->v[OPT_HISTORY_TABLE].str, &version, &e) < 0)
		goto cleanup;
	f.status = status;
	f.migration_version = version;
	f.error = ctx->v[OPT_ERROR].str;
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

const struct cmd_entry cmd_stamp = {
	.name = "stamp",
	.mask = CMD_STAMP,
	.usage = "--phase pre|post --status started|succeeded|failed [OPTIONS]",
	.summary = "write a deployment log row (release, versions, phase, status)",
	.description =
		"Write one row to the deployment log: release, namespace, revision, app and chart\n"
		"version, the database's migration version, phase, status, who deployed, pod and\n"
		"source revision (each from its flag or ZDM_* variable; unknown values stay NULL).\n"
		"succeeded/failed complete the newest matching started row in place.",
	.exec = cmd_stamp_exec,
};
