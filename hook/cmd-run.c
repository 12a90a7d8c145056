/*
 * cmd-run — `zdm-hook run --phase pre|post`: the one command the hook Job
 * runs.
 *
 *   pre:  stamp started -> migrate (contract guard) -> assert -> stamp
 *         succeeded | failed (the error goes into the row and the
 *         termination log)
 *   post: stamp that the rollout of this app version completed; with
 *         --contract-in-post, apply the contract migrations that this
 *         completed rollout unblocks.
 *
 * One session does it all: the stamps, the migrations (migrate_opts.session;
 * migrate's observer is the only other one) and the assertions. The row is
 * completed whatever the outcome; when the session was lost meanwhile and
 * migrate could not replace it, one reconnect is tried for the final stamp.
 */
#include <stdlib.h>
#include <string.h>

#include "assert.h"
#include "cmd.h"
#include "deplog.h"
#include "history.h"
#include "log.h"
#include "migrate.h"

static const struct opt_def cmd_run_opt_contract_in_post = {
	.name = "contract-in-post",
	.env = "ZDM_CONTRACT_IN_POST",
	.kind = OPT_BOOL,
	.help = "with --phase post: apply the contract migrations this completed rollout unblocks",
};

static const struct opt_def cmd_run_opt_assertions = {
	.name = "assertions",
	.env = "ZDM_ASSERTIONS",
	.kind = OPT_STRING,
	.metavar = "FILE",
	.help = "schema assertions to check after migrating (phase pre)",
};

static int cmd_run_steps(struct cmd_ctx *ctx, const struct deplog_entry *d,
			 const struct assert_spec *spec, struct db *db, struct migrate_result *res,
			 struct zerr *e)
{
	struct migrate_opts o = { 0 };
	int post = !strcmp(d->phase, "post");

	cmd_migrate_fill(ctx, &o);
	if (post && !cmd_num(ctx, &cmd_run_opt_contract_in_post)) {
		char *version = NULL;
		if (history_read_current(db, o.history_table, &version, e) < 0)
			return -1;
		res->version = version;
		log_info("rollout-complete", "recorded the completed rollout of app %s%s%s",
			 d->app_version, d->release ? " for release " : "",
			 d->release ? d->release : "");
		return 0;
	}
	if (post)
		o.completed_app_version = d->app_version;
	o.session = db; /* the stamping session does the work too */
	if (migrate_run(&o, res, e) < 0)
		return -1;
	if (spec && spec->n) {
		struct assert_result ar = { 0 };
		int rc = assert_run(spec, db, cmd_num(ctx, &cmd_opt_check_timeout), &ar, e);
		if (rc == 0) {
			cmd_assert_print(&ar, 1);
			rc = ar.failed ? cmd_assert_failed(&ar, e) : 0;
		}
		assert_result_release(&ar);
		return rc;
	}
	return 0;
}

static int cmd_run_exec(struct cmd_ctx *ctx)
{
	struct zerr e = { 0 }, e2 = { 0 };
	struct deplog_entry d;
	struct deplog_finish f = { 0 };
	struct assert_spec spec = { 0 };
	struct migrate_result res = { 0 };
	struct db_table log = { 0 };
	struct db db = { 0 };
	struct db_opts dbo = { 0 };
	const char *assertions = cmd_str(ctx, &cmd_run_opt_assertions);
	long long id = 0;
	int rc = -1, stamped = 0;

	cmd_deplog_entry(ctx, &d);
	if (cmd_no_args(ctx, &e) < 0)
		return cmd_fail(ctx, &e);
	if (!d.phase) {
		zerr_set(&e, ZDM_EXIT_USAGE, "--phase is required (pre or post)");
		zerr_hint(&e,
			  "the migration Job runs \"zdm-hook run --phase pre\"; the post-upgrade / "
			  "PostSync Job runs \"zdm-hook run --phase post\"");
		return cmd_fail(ctx, &e);
	}
	if (deplog_check_entry(&d, &e) < 0 ||
	    deplog_check_name(cmd_str(ctx, &cmd_opt_log_table), &e) < 0 ||
	    history_check_name(cmd_str(ctx, &cmd_opt_history_table), &e) < 0)
		return cmd_fail(ctx, &e);
	if (!strcmp(d.phase, "post") && (!d.app_version || !*d.app_version)) {
		zerr_set(&e, ZDM_EXIT_USAGE,
			 "--phase post needs the app version whose rollout completed");
		zerr_hint(&e,
			  "set --app-version or ZDM_APP_VERSION (the templates pass the chart's appVersion)");
		return cmd_fail(ctx, &e);
	}
	if (cmd_num(ctx, &cmd_run_opt_contract_in_post) && strcmp(d.phase, "post") != 0) {
		zerr_set(&e, ZDM_EXIT_USAGE, "--contract-in-post only applies to --phase post");
		return cmd_fail(ctx, &e);
	}
	/* assertions belong to the pre phase; post ignores them, so both
	 * Jobs can share one environment */
	if (assertions && *assertions && !strcmp(d.phase, "pre") &&
	    assert_load(assertions, &spec, &e) < 0)
		return cmd_fail(ctx, &e);
	cmd_db_opts(ctx, &dbo);
	if (db_connect(&db, &dbo, "stamp", &e) < 0 ||
	    deplog_init(&log, &db, cmd_str(ctx, &cmd_opt_log_table), &e) < 0 ||
	    deplog_ensure(&log, &db, &e) < 0 ||
	    deplog_insert(&log, &db, &d, "started", &id, &e) < 0)
		goto cleanup;
	stamped = 1;
	log_info("run", "phase %s of app %s%s%s%s%s", d.phase,
		 d.app_version ? d.app_version : "(unknown)", d.release ? ", release " : "",
		 d.release ? d.release : "", d.revision ? " revision " : "",
		 d.revision ? d.revision : "");
	rc = cmd_run_steps(ctx, &d, spec.n ? &spec : NULL, &db, &res, &e);
cleanup:
	if (stamped) {
		f.status = rc == 0 ? "succeeded" : "failed";
		f.migration_version = res.version;
		f.error = rc == 0 ? NULL : e.msg;
		f.contract_deferred = res.deferred;
		f.contract_forced = res.forced > 0;
		if (PQstatus(db.conn) != CONNECTION_OK) {
			db_close(&db);
			dbo.connect_retries = 2;
			if (db_connect(&db, &dbo, "stamp", &e2) < 0)
				log_warn("stamp", "could not complete the deployment log row: %s",
					 e2.msg);
		}
		if (db.conn && deplog_complete(&log, &db, id, &f, &e2) < 0)
			log_warn("stamp", "could not complete the deployment log row: %s", e2.msg);
	}
	if (rc == 0 && log_format_get() == LOG_JSON && res.json) {
		log_result_json(res.json);
		res.json = NULL;
	}
	migrate_result_release(&res);
	assert_spec_release(&spec);
	db_table_release(&log);
	db_close(&db);
	return rc < 0 ? cmd_fail(ctx, &e) : 0;
}

static const struct opt_def *const cmd_run_opts[] = {
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
	&cmd_opt_out_of_order,
	&cmd_opt_ignore_migration_patterns,
	&cmd_opt_since,
	&cmd_opt_output,
	&cmd_opt_termination_log,
	&cmd_opt_quiet,
	&cmd_opt_log_table,
	&cmd_opt_strict_contract,
	&cmd_opt_force_contract,
	&cmd_run_opt_contract_in_post,
	&cmd_opt_phase,
	&cmd_opt_release,
	&cmd_opt_namespace,
	&cmd_opt_revision,
	&cmd_opt_app_version,
	&cmd_opt_chart_version,
	&cmd_opt_deployed_by,
	&cmd_opt_source_revision,
	&cmd_opt_pod,
	&cmd_run_opt_assertions,
	&cmd_opt_check_timeout,
	&cmd_opt_max_replica_lag,
	NULL,
};

const struct cmd_entry cmd_run = {
	.name = "run",
	.usage = "--phase pre|post [OPTIONS]",
	.summary = "the hook Job's entrypoint: stamp, migrate, assert, stamp",
	.description =
		"pre (pre-install/pre-upgrade hook, Argo CD PreSync): stamp \"started\" in the deployment\n"
		"log, migrate (contract migrations wait for their guard), check --assertions, then\n"
		"complete the row as succeeded or failed with the error.\n"
		"post (post-install/post-upgrade, Argo CD PostSync): record that the rollout of\n"
		"--app-version completed; with --contract-in-post also apply the contract migrations it\n"
		"unblocks (safe under Argo CD PostSync and helm upgrade --wait, which run post hooks\n"
		"only after every pod is ready).",
	.opts = cmd_run_opts,
	.exec = cmd_run_exec,
};
