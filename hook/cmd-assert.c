/*
 * cmd-assert — `zdm-hook assert`: check a schema assertions file against
 * the live database and report every result (the engine is assert.c).
 */
#include <string.h>

#include "assert.h"
#include "cmd.h"
#include "log.h"

static const struct opt_def cmd_assert_opt_file = {
	.name = "file",
	.env = "ZDM_ASSERTIONS",
	.kind = OPT_STRING,
	.metavar = "FILE",
	.help = "the assertions file",
};

static int cmd_assert_exec(struct cmd_ctx *ctx)
{
	struct zerr e = { 0 };
	struct assert_spec spec = { 0 };
	struct assert_result res = { 0 };
	struct db db = { 0 };
	struct db_opts dbo = { 0 };
	const char *file = cmd_str(ctx, &cmd_assert_opt_file);
	int rc = -1;

	if (cmd_no_args(ctx, &e) < 0)
		goto cleanup;
	if (!file || !*file) {
		zerr_set(&e, ZDM_EXIT_USAGE, "no assertions file");
		zerr_hint(&e, "give --file FILE or set ZDM_ASSERTIONS");
		goto cleanup;
	}
	if (assert_load(file, &spec, &e) < 0)
		goto cleanup;
	cmd_db_opts(ctx, &dbo);
	if (db_connect(&db, &dbo, "assert", &e) < 0 ||
	    assert_run(&spec, &db, cmd_num(ctx, &cmd_opt_check_timeout), &res, &e) < 0)
		goto cleanup;
	cmd_assert_print(&res, 0);
	rc = res.failed ? cmd_assert_failed(&res, &e) : 0;
cleanup:
	assert_result_release(&res);
	assert_spec_release(&spec);
	db_close(&db);
	return rc < 0 ? cmd_fail(ctx, &e) : 0;
}

static const struct opt_def *const cmd_assert_opts[] = {
	&cmd_opt_database_url, &cmd_opt_connect_retries, &cmd_opt_peer_timeout,
	&cmd_opt_output,       &cmd_opt_termination_log, &cmd_opt_quiet,
	&cmd_assert_opt_file,  &cmd_opt_check_timeout,   NULL,
};

const struct cmd_entry cmd_assert = {
	.name = "assert",
	.usage = "--file FILE [OPTIONS]",
	.summary = "check schema assertions (columns, indexes, constraints, SQL checks)",
	.description =
		"Check a declarative YAML file of schema assertions against the live catalog and\n"
		"report every result, each with its file:line:col. Exit 1 when any assertion fails,\n"
		"2 when the file is malformed. See README.md for the format.",
	.opts = cmd_assert_opts,
	.exec = cmd_assert_exec,
};
