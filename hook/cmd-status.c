/*
 * cmd-status — `zdm-hook status`: every migration with its state
 * (applied, pending, failed, partial, changed, missing...), read-only:
 * no lock, no table created, nothing written.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "migrate.h"

static json_t *cmd_status_item(const struct plan_item *it)
{
	const struct hist_row *r = it->row;
	json_t *o = json_object();

	json_object_set_new(o, "state", json_string(plan_state_name(it->state)));
	if (it->ignored)
		json_object_set_new(o, "ignored", json_true());
	if (it->m) {
		json_object_set_new(o, "script", json_string(it->m->file));
		json_object_set_new(o, "description", json_string(it->m->description));
		json_object_set_new(o, "checksum", json_integer(it->m->checksum));
		json_object_set_new(o, "transaction", json_boolean(it->m->transactional));
		json_object_set_new(o, "statements", json_integer((json_int_t)it->m->script.n));
		if (it->m->version)
			json_object_set_new(o, "version", json_string(it->m->version));
	} else if (r) {
		json_object_set_new(o, "script", json_string(r->script));
		json_object_set_new(o, "description", json_string(r->description));
		if (r->version)
			json_object_set_new(o, "version", json_string(r->version));
	}
	if (r) {
		json_object_set_new(o, "installed_on", json_string(r->installed_on));
		json_object_set_new(o, "execution_ms", json_integer(r->execution_time));
		if (r->applied_stmts >= 0)
			json_object_set_new(o, "applied_statements",
					    json_integer(r->applied_stmts));
		if (r->error)
			json_object_set_new(o, "error", json_string(r->error));
		if (r->has_checksum)
			json_object_set_new(o, "applied_checksum", json_integer(r->checksum));
	}
	return o;
}

static int cmd_status_exec(struct cmd_ctx *ctx)
{
	struct zerr e = { 0 };
	struct src_set src;
	struct history h;
	struct plan p;
	struct plan_opts po = { 0 };
	struct src_load_opts lo = { .mixed = -1 };
	struct db db = { 0 };
	struct db_opts dbo = { 0 };
	int rc = -1;
	size_t counts[PLAN_OUT_OF_ORDER + 1] = { 0 };

	memset(&src, 0, sizeof(src));
	memset(&h, 0, sizeof(h));
	memset(&p, 0, sizeof(p));
	if (ctx->nargs > 0) {
		zerr_set(&e, ZDM_EXIT_USAGE, "unexpected argument \"%s\"", ctx->args[0]);
		return cmd_fail(ctx, &e);
	}
	cmd_db_opts(ctx, &dbo);
	lo.encoding = cmd_str(ctx, &cmd_opt_encoding);
	lo.placeholders = cmd_opt(ctx, &cmd_opt_placeholder)->all;
	lo.nplaceholders = cmd_opt(ctx, &cmd_opt_placeholder)->nall;
	lo.table = cmd_str(ctx, &cmd_opt_history_table);
	if (history_check_name(cmd_str(ctx, &cmd_opt_history_table), &e) < 0 ||
	    source_load_opts(cmd_str(ctx, &cmd_opt_dir), &lo, &src, &e) < 0 ||
	    plan_ignore_parse(cmd_str(ctx, &cmd_opt_ignore_migration_patterns)
				      ? cmd_str(ctx, &cmd_opt_ignore_migration_patterns)
				      : src.conf.ignore_patterns,
			      &po.ignore, &e) < 0 ||
	    db_connect(&db, &dbo, "status", &e) < 0 ||
	    history_init(&h, &db, cmd_str(ctx, &cmd_opt_history_table), &e) < 0 ||
	    history_load(&h, &db, &e) < 0)
		goto cleanup;
	po.out_of_order = (int)cmd_num(ctx, &cmd_opt_out_of_order);
	plan_build(&p, &src, &h, &po);
	for (size_t i = 0; i < p.n; i++)
		if (!p.v[i].ignored)
			counts[p.v[i].state]++;
	if (log_format_get() == LOG_JSON) {
		json_t *items = json_array();
		for (size_t i = 0; i < p.n; i++)
			json_array_append_new(items, cmd_status_item(&p.v[i]));
		log_result_json(json_pack("{s:s, s:s, s:b, s:s?, s:i, s:o}", "database",
					  db_describe(&db), "history_table", h.display,
					  "history_exists", h.exists, "version", p.current,
					  "pending", (int)p.npending, "migrations", items));
	} else {
		log_result("database %s, history table %s%s, version %s", db_describe(&db),
			   h.display, h.exists ? "" : " (not created yet)",
			   p.current ? p.current : "(none)");
		log_result("%-10s %-14s %-19s %8s  %s", "VERSION", "STATE", "INSTALLED ON", "MS",
			   "SCRIPT");
		for (size_t i = 0; i < p.n; i++) {
			const struct plan_item *it = &p.v[i];
			const char *version = it->m ? it->m->version : it->row->version;
			char ms[16] = "";
			char state[32];

			if (it->row && it->state != PLAN_PENDING)
				snprintf(ms, sizeof(ms), "%d", it->row->execution_time);
			if (it->state == PLAN_PARTIAL && it->m)
				snprintf(state, sizeof(state), "partial %d/%zu",
					 it->row->applied_stmts, it->m->script.n);
			else
				snprintf(state, sizeof(state), "%s%s", plan_state_name(it->state),
					 it->ignored ? "-ignored" : "");
			log_result("%-10s %-14s %-19s %8s  %s%s%s", version ? version : "R", state,
				   it->row && it->state != PLAN_PENDING ? it->row->installed_on
									: "",
				   ms, it->m ? it->m->file : it->row->script,
				   it->row && it->row->error && !it->row->success ? "  error: "
										  : "",
				   it->row && it->row->error && !it->row->success ? it->row->error
										  : "");
		}
		log_result("%zu applied, %zu pending%s%s", counts[PLAN_APPLIED], p.npending,
			   counts[PLAN_CHANGED] + counts[PLAN_MISSING] + counts[PLAN_FUTURE] +
					   counts[PLAN_OUT_OF_ORDER]
				   ? "; problems found: migrate will refuse to run until they are fixed"
				   : "",
			   "");
	}
	rc = 0;
cleanup:
	plan_release(&p);
	history_release(&h);
	source_release(&src);
	db_close(&db);
	return rc < 0 ? cmd_fail(ctx, &e) : 0;
}

static const struct opt_def *const cmd_status_opts[] = {
	&cmd_opt_dir,
	&cmd_opt_encoding,
	&cmd_opt_placeholder, /* R files' checksums depend on them */
	&cmd_opt_database_url,
	&cmd_opt_history_table,
	&cmd_opt_connect_retries,
	&cmd_opt_peer_timeout,
	&cmd_opt_out_of_order,
	&cmd_opt_ignore_migration_patterns,
	&cmd_opt_output,
	&cmd_opt_quiet,
	NULL,
};

const struct cmd_entry cmd_status = {
	.name = "status",
	.usage = "[OPTIONS]",
	.summary = "list applied, pending and failed migrations (read-only)",
	.description =
		"Compare --dir with the history table and list every migration with its state:\n"
		"applied, pending, failed (retried by the next migrate), partial N/M (a\n"
		"transaction=off file that resumes), changed or missing (migrate refuses to run),\n"
		"out-of-order. Takes no lock and writes nothing.",
	.opts = cmd_status_opts,
	.exec = cmd_status_exec,
};
