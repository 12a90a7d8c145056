/*
 * guard — may a contract run now? (see guard.h)
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

int guard_allows(struct guard *g, const char *what, const char *need, char **why, struct zerr *e)
{
	*why = NULL;
	if (guard_look(g, e) < 0)
		return -1;
	if (!guard_log_allows(g, what, need, why))
		return 0;
	return 1;
}
