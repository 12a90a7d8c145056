/*
 * cmd-status — `zdm-hook status`: every migration with its state
 * (applied, pending, failed, partial, changed, missing...), and the app
 * versions connected now (the sessions the contract guard counts, per
 * release and app version: how many, since when), read-only: no lock,
 * no table created, nothing written.
 */
#include <stdlib.h>
#include <string.h>

#include "appver.h"
#include "cmd.h"
#include "guard.h"
#include "log.h"
#include "migrate.h"

/* The sessions of one release and app version. */
struct cmd_status_app {
	const char *release, *app_version;
	const char *oldest; /* backend_start of the oldest, NULL: hidden */
	json_t *pids;
	int sessions;
};

static int cmd_status_app_cmp(const void *pa, const void *pb)
{
	const struct cmd_status_app *a = pa, *b = pb;
	int as_strings = 0, c = strcmp(a->release, b->release);

	return c ? c : appver_cmp(a->app_version, b->app_version, &as_strings);
}

/* Group the sessions (oldest first) by release and app version, sorted by
 * release, then app version (SemVer order). Returns the number of
 * groups; apps[i].pids is a new array the caller owns. */
static size_t cmd_status_apps(const struct guard_sessions *s, struct cmd_status_app *apps)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct guard_session *x = &s->v[i];
		size_t k = 0;

		while (k < n && (strcmp(apps[k].release, x->release) ||
				 strcmp(apps[k].app_version, x->app_version)))
			k++;
		if (k == n) {
			apps[n++] = (struct cmd_status_app){ x->release, x->app_version,
							     x->backend_start, json_array(), 0 };
		}
		apps[k].sessions++;
		json_array_append_new(apps[k].pids, json_integer(x->pid));
	}
	qsort(apps, n, sizeof(*apps), cmd_status_app_cmp);
	return n;
}

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
	struct guard_sessions gs = { 0 };
	struct cmd_status_app *apps = NULL;
	size_t napps = 0;
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
	    history_load(&h, &db, &e) < 0 ||
	    guard_sessions_read(&db, cmd_str(ctx, &cmd_opt_release), &gs, &e) < 0)
		goto cleanup;
	apps = xcalloc(gs.n ? gs.n : 1, sizeof(*apps));
	napps = cmd_status_apps(&gs, apps);
	po.out_of_order = (int)cmd_num(ctx, &cmd_opt_out_of_order);
	plan_build(&p, &src, &h, &po);
	for (size_t i = 0; i < p.n; i++)
		if (!p.v[i].ignored)
			counts[p.v[i].state]++;
	if (log_format_get() == LOG_JSON) {
		json_t *items = json_array(), *connected = json_array();
		for (size_t i = 0; i < p.n; i++)
			json_array_append_new(items, cmd_status_item(&p.v[i]));
		for (size_t i = 0; i < napps; i++) {
			json_array_append_new(connected,
					      json_pack("{s:s, s:s, s:i, s:s?, s:O}", "release",
							apps[i].release, "app_version",
							apps[i].app_version, "sessions",
							apps[i].sessions, "oldest_backend_start",
							apps[i].oldest, "pids", apps[i].pids));
		}
		log_result_json(json_pack("{s:s, s:s, s:b, s:s?, s:i, s:o, s:o}", "database",
					  db_describe(&db), "history_table", h.display,
					  "history_exists", h.exists, "version", p.current,
					  "pending", (int)p.npending, "migrations", items,
					  "connected", connected));
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
		if (!napps)
			log_result("connected app versions: none (no session with application_name "
				   "<release>/<app version>%s%s%s)",
				   cmd_str(ctx, &cmd_opt_release) ? " of release \"" : "",
				   cmd_str(ctx, &cmd_opt_release) ? cmd_str(ctx, &cmd_opt_release)
								  : "",
				   cmd_str(ctx, &cmd_opt_release) ? "\"" : "");
		else
			log_result("connected app versions (application_name <release>/<app "
				   "version>):\n%-20s %-16s %8s  %s",
				   "RELEASE", "APP VERSION", "SESSIONS", "OLDEST SINCE");
		for (size_t i = 0; i < napps; i++)
			log_result("%-20s %-16s %8d  %s", apps[i].release, apps[i].app_version,
				   apps[i].sessions, apps[i].oldest ? apps[i].oldest : "(hidden)");
	}
	rc = 0;
cleanup:
	for (size_t i = 0; i < napps; i++)
		json_decref(apps[i].pids);
	free(apps);
	guard_sessions_release(&gs);
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
	&cmd_opt_release,
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
		"out-of-order. Then the app versions connected now: the sessions whose\n"
		"application_name is <release>/<app version> (the chart's zdm.appEnv sets\n"
		"PGAPPNAME), per release and app version, with how many and since when the\n"
		"oldest is connected: what the contract guard counts (--release: that release\n"
		"only). Takes no lock and writes nothing.",
	.opts = cmd_status_opts,
	.exec = cmd_status_exec,
};
