/*
 * cmd-assert — `zdm-hook assert`: check a schema assertions file against
 * the live database and report every result (the engine is assert.c).
 */
#include <string.h>

#include "assert.h"
#include "cmd.h"
#include "log.h"

void cmd_assert_print(const struct assert_result *r, int as_log)
{
	size_t i;
	json_t *it;

	if (!as_log && log_format_get() == LOG_JSON) {
		log_result_json(json_pack("{s:i, s:i, s:O}", "passed", r->passed, "failed", r->failed,
					  "results", r->results));
		return;
	}
	json_array_foreach(r->results, i, it) {
		int ok = json_is_true(json_object_get(it, "ok"));
		const char *file = json_string_value(json_object_get(it, "file"));
		int line = (int)json_integer_value(json_object_get(it, "line"));
		int col = (int)json_integer_value(json_object_get(it, "col"));
		const char *subject = json_string_value(json_object_get(it, "subject"));
		const char *msg = json_string_value(json_object_get(it, "message"));

		if (as_log && !ok)
			log_event(LOG_WARN, "assertion-failed", json_deep_copy(it),
				  "%s:%d:%d: assertion failed: %s %s", file, line, col, subject, msg);
		else if (!as_log)
			log_result("%s %s:%d:%d: %s %s", ok ? "ok  " : "FAIL", file, line, col, subject, msg);
	}
	if (as_log)
		log_info("assertions", "assertions: %d passed, %d failed", r->passed, r->failed);
	else
		log_result("%d assertion%s: %d passed, %d failed", r->passed + r->failed,
			   r->passed + r->failed == 1 ? "" : "s", r->passed, r->failed);
}

int cmd_assert_failed(const struct assert_result *r, struct zerr *e)
{
	json_t *it;
	size_t i;

	json_array_foreach(r->results, i, it) {
		if (json_is_true(json_object_get(it, "ok")))
			continue;
		zerr_set(e, ZDM_EXIT_FAILED, "%d of %d schema assertions failed; first: %s:%d:%d: %s %s",
			 r->failed, r->passed + r->failed,
			 json_string_value(json_object_get(it, "file")),
			 (int)json_integer_value(json_object_get(it, "line")),
			 (int)json_integer_value(json_object_get(it, "col")),
			 json_string_value(json_object_get(it, "subject")),
			 json_string_value(json_object_get(it, "message")));
		return -1;
	}
	return 0;
}

static int cmd_assert_exec(struct cmd_ctx *ctx)
{
	struct zerr e = { 0 };
	struct assert_spec spec = { 0 };
	struct assert_result res = { 0 };
	struct db db = { 0 };
	struct db_opts dbo = { 0 };
	const char *file = ctx->v[OPT_FILE].str;
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
	    assert_run(&spec, &db, ctx->v[OPT_CHECK_TIMEOUT].num, &res, &e) < 0)
		goto cleanup;
	cmd_assert_print(&res, 0);
	rc = res.failed ? cmd_assert_failed(&res, &e) : 0;
cleanup:
	assert_result_release(&res);
	assert_spec_release(&spec);
	db_close(&db);
	return rc < 0 ? cmd_fail(ctx, &e) : 0;
}

const struct cmd_entry cmd_assert = {
	.name = "assert",
	.mask = CMD_ASSERT,
	.usage = "--file FILE [OPTIONS]",
	.summary = "check schema assertions (columns, indexes, constraints, SQL checks)",
	.description =
		"Check a declarative YAML file of schema assertions against the live catalog and\n"
		"report every result, each with its file:line:col. Exit 1 when any assertion fails,\n"
		"2 when the file is malformed. See README.md for the format.",
	.exec = cmd_assert_exec,
};
