/*
 * guard — may a contract run now?
 *
 * A contract (a phase=contract migration, or a recipe's contract steps)
 * names the app version that no longer needs the old shape. It may run
 * when
 *   - a completed rollout of that version or later is recorded in the
 *     deployment log (deplog.h), or this run is the post phase of such a
 *     rollout (migrate_opts.completed_app_version), and
 *   - no session of the release that runs an older app version is
 *     connected now: sessions carry application_name
 *     "<release>/<app version>" (the templates' zdm.appEnv sets
 *     PGAPPNAME), read from pg_stat_activity. This catches CronJobs,
 *     workers, canaries and `kubectl rollout undo`, which the log never
 *     sees.
 * The deployment log is read once per guard; pg_stat_activity on every
 * call (sessions come and go during a run).
 */
#ifndef ZDM_GUARD_H
#define ZDM_GUARD_H

#include "db.h"
#include "deplog.h"

struct migrate_opts;

struct guard {
	const struct migrate_opts *o;
	struct db *db;
	int looked; /* the deployment log has been read */
	const char *have; /* app version of the latest completed rollout */
	struct deplog_rollout latest;
	struct db_table log;
};

void guard_init(struct guard *g, const struct migrate_opts *o, struct db *db);
void guard_release(struct guard *g);

/* 1: the contract `what` (a file name, for messages) that needs app
 * version `need` may run; 0: deferred, *why (malloc'd, caller frees) says
 * why in one sentence that names what it waits for; -1: error, e set.
 * --force-contract is the caller's business: it is not looked at here. */
int guard_allows(struct guard *g, const char *what, const char *need, char **why, struct zerr *e);

#endif
