/*
 * guard — may a contract run now? (see guard.h)
 *
 * Two rules, in this order: the deployment-log rule (read once per
 * guard), then the connected-sessions rule (pg_stat_activity, read again
 * on every call, with the statistics snapshot cleared first so that a
 * call inside a transaction does not see the sessions of an earlier
 * one). guard_sessions_read is also what `zdm-hook status` lists.
 */
#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appver.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

void guard_init(struct guard *g, const struct migrate_opts *o, struct db *db)
{
	memset(g, 0, sizeof(*g));
	g->o = o;
	g->db = db;
}

void guard_release(struct guard *g)
{
	deplog_rollout_release(&g->latest);
	db_table_release(&g->log);
	memset(g, 0, sizeof(*g));
}

/* Read the deployment log once: the app version of the latest completed
 * rollout (or this rollout's, in the post phase). */
static int guard_look(struct guard *g, struct zerr *e)
{
	const struct migrate_opts *o = g->o;

	if (g->looked)
		return 0;
	g->looked = 1;
	if (o->completed_app_version) {
		g->have = o->completed_app_version;
		return 0;
	}
	if (deplog_init(&g->log, g->db, o->log_table, e) < 0 ||
	    deplog_latest_rollout(&g->log, g->db, o->release, o->namespace_, &g->latest, e) < 0)
		return -1;
	g->have = g->latest.app_version;
	return 0;
}

/* The deployment-log rule: 1 when a completed rollout covers need. */
static int guard_log_allows(struct guard *g, const char *what, const char *need, char **why)
{
	const struct migrate_opts *o = g->o;
	const char *have = g->have;
	int as_strings = 0;
	char when[256];

	int ok = have && appver_cmp(have, need, &as_strings) >= 0;

	if (have && as_strings)
		log_warn("contract-guard",
			 "app versions \"%s\" and \"%s\" are not both semantic versions; "
			 "compared them as strings",
			 have, need);
	if (ok)
		return 1;
	if (o->completed_app_version)
		snprintf(when, sizeof(when), "this rollout is of app %s", have);
	else if (have)
		snprintf(when, sizeof(when), "the latest completed rollout is of app %s%s%s%s%s)",
			 have, g->latest.release && *g->latest.release ? " (release " : "",
			 g->latest.release && *g->latest.release ? g->latest.release : "",
			 g->latest.release && *g->latest.release ? ", finished " : " (finished ",
			 g->latest.finished_at ? g->latest.finished_at : "?");
	else
		snprintf(when, sizeof(when), "no completed rollout is recorded in %s%s%s",
			 g->log.display ? g->log.display : o->log_table,
			 o->release ? " for release " : "", o->release ? o->release : "");
	*why = xasprintf("%s is deferred until a rollout of app %s or later has completed; %s",
			 what, need, when);
	return 0;
}

/* ---- connected sessions ---------------------------------------------- */

/* The sessions' own statistics snapshot is cleared in the same round
 * trip, so every call sees the sessions of now. Other roles' client_addr
 * and backend_start are NULL for a role without pg_read_all_stats;
 * backend_type too, hence IS DISTINCT FROM. */
static const char guard_sessions_sql[] =
	"SELECT pid, application_name,"
	" CASE WHEN client_addr IS NOT NULL THEN host(client_addr)"
	" WHEN client_port = -1 THEN 'local' END,"
	" to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM pg_catalog.pg_stat_activity"
	" WHERE datname = current_database() AND pid <> pg_catalog.pg_backend_pid()"
	" AND backend_type IS DISTINCT FROM 'parallel worker'"
	" AND strpos(application_name, '/') > 1"
	" AND ($1::text IS NULL OR left(application_name, length($1) + 1) = $1 || '/')"
	" ORDER BY backend_start NULLS LAST, pid";

/* A Helm release or Argo CD application name: lowercase letters, digits,
 * '-', '.' and '_' (Argo CD's "<namespace>_<name>"), starting with a
 * letter or digit. */
static int guard_release_name_ok(const char *s, size_t len)
{
	if (!len || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '.' || s[i] == '_'))
			return 0;
	return 1;
}

int guard_sessions_read(struct db *db, const char *release, struct guard_sessions *s,
			struct zerr *e)
{
	const char *params[1] = { release };
	struct db_cmd cmds[2] = {
		{ "SELECT pg_catalog.pg_stat_clear_snapshot()", 0, NULL, 0 },
		{ guard_sessions_sql, 1, params, 0 },
	};
	struct db_run run;
	int rows;

	memset(s, 0, sizeof(*s));
	if (db_pipeline(db, NULL, cmds, 2, 1, 0, &run) < 0) {
		db_run_error(db, &run, "cannot read pg_stat_activity", e);
		PQclear(run.res);
		return -1;
	}
	rows = PQntuples(run.res);
	s->v = xcalloc(rows ? (size_t)rows : 1, sizeof(*s->v));
	for (int i = 0; i < rows; i++) {
		const char *name = PQgetvalue(run.res, i, 1), *slash = strchr(name, '/');
		size_t rlen = slash ? (size_t)(slash - name) : 0;
		struct guard_session *x;

		if (!slash || !guard_release_name_ok(name, rlen) || !slash[1] || slash[1] == ' ' ||
		    strchr(slash + 1, '/'))
			continue;
		if (!release && rlen == 8 && !strncmp(name, "zdm-hook", 8))
			continue; /* zdm-hook's own sessions: "zdm-hook/<pod>" */
		x = &s->v[s->n++];
		x->pid = db_value_ll(run.res, i, 0, 0);
		x->release = xstrndup(name, rlen);
		/* PgBouncer's application_name_add_host appends " - host:port" */
		x->app_version = xstrndup(slash + 1, strcspn(slash + 1, " "));
		x->client = db_value_dup(run.res, i, 2);
		x->backend_start = db_value_dup(run.res, i, 3);
	}
	PQclear(run.res);
	return 0;
}

void guard_sessions_release(struct guard_sessions *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].release);
		free(s->v[i].app_version);
		free(s->v[i].client);
		free(s->v[i].backend_start);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The most sessions a deferral names; the rest are counted. */
#define GUARD_NAMED_SESSIONS 3

/* The connected-sessions rule: 1 when no session of the release runs an
 * app version older than need. */
static int guard_sessions_allow(struct guard *g, const char *what, const char *need, char **why,
				struct zerr *e)
{
	const char *release = g->o->release;
	struct guard_sessions s;
	struct sb b;
	size_t old = 0, named = 0;

	if (guard_sessions_read(g->db, release, &s, e) < 0) {
		guard_sessions_release(&s);
		return -1;
	}
	sb_init(&b);
	for (size_t i = 0; i < s.n; i++) {
		const struct guard_session *x = &s.v[i];
		int as_strings = 0, cmp = appver_cmp(x->app_version, need, &as_strings);

		if (as_strings && !g->warned_strings) {
			g->warned_strings = 1;
			log_warn("contract-guard",
				 "app versions \"%s\" (session %lld) and \"%s\" are not both "
				 "semantic versions; compared them as strings",
				 x->app_version, x->pid, need);
		}
		if (cmp >= 0)
			continue;
		old++;
		if (named++ >= GUARD_NAMED_SESSIONS)
			continue;
		sb_addf(&b, "%spid %lld (%s%s%sapp %s, client %s, connected since %s)",
			named > 1 ? ", " : "", x->pid, release ? "" : "release ",
			release ? "" : x->release, release ? "" : ", ", x->app_version,
			x->client ? x->client : "hidden",
			x->backend_start ? x->backend_start : "hidden");
	}
	if (old > GUARD_NAMED_SESSIONS)
		sb_addf(&b, " and %zu more", old - GUARD_NAMED_SESSIONS);
	if (old)
		*why = xasprintf("%s is deferred while sessions of %s%s%s with an app version "
				 "older than %s are connected (application_name "
				 "\"<release>/<app version>\"): %zu session%s: %s",
				 what, release ? "release \"" : "any release",
				 release ? release : "", release ? "\"" : "", need, old,
				 old == 1 ? "" : "s", b.buf);
	sb_release(&b);
	guard_sessions_release(&s);
	return old ? 0 : 1;
}

int guard_allows(struct guard *g, const char *what, const char *need, char **why, struct zerr *e)
{
	*why = NULL;
	if (guard_look(g, e) < 0)
		return -1;
	if (!guard_log_allows(g, what, need, why))
		return 0;
	return guard_sessions_allow(g, what, need, why, e);
}
