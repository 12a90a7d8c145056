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
 *
 * Which sessions count: client sessions (not parallel workers) of the
 * current database, other than the guard's own, whose application_name
 * is "<release>/<app version>": a Helm release or Argo CD application
 * name (lowercase letters, digits, '-', '.', '_'), one '/', and a non-empty version without '/'
 * (what follows a space is dropped: PgBouncer's application_name_add_host
 * appends " - <host>:<port>").
 * With a release (migrate_opts.release) only that release's sessions
 * count; without one the deployment-log rule is unscoped too, and so is
 * this one: every release's sessions count, except zdm-hook's own
 * ("zdm-hook/<pod>"). A version compares by SemVer (appver.h), as a
 * string otherwise (warned once per guard).
 *
 * pg_stat_activity shows a role that lacks pg_read_all_stats the pid,
 * database and application_name of every session, but not the client
 * address or backend_start of other roles' sessions: those are then NULL
 * here ("hidden" in messages); the decision does not need them.
 */
#ifndef ZDM_GUARD_H
#define ZDM_GUARD_H

#include <stddef.h>

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
	int warned_strings; /* the as-strings warning for sessions was given */
};

void guard_init(struct guard *g, const struct migrate_opts *o, struct db *db);
void guard_release(struct guard *g);

/* 1: the contract `what` (a file name, for messages) that needs app
 * version `need` may run; 0: deferred, *why (malloc'd, caller frees) says
 * why in one sentence that names what it waits for; -1: error, e set.
 * --force-contract is the caller's business: it is not looked at here. */
int guard_allows(struct guard *g, const char *what, const char *need, char **why, struct zerr *e);

/* One connected session of an app ("<release>/<app version>"). */
struct guard_session {
	long long pid;
	char *release;
	char *app_version;
	char *client; /* client address, "local" (Unix socket), NULL: hidden */
	char *backend_start; /* UTC, "YYYY-MM-DDTHH:MM:SSZ"; NULL: hidden */
};

struct guard_sessions {
	struct guard_session *v; /* oldest backend_start first */
	size_t n;
};

/* Read the app sessions connected to db's database now (see above for
 * which count): those of release, or of every release when release is
 * NULL. Read-only; works for any role. Caller releases s (also on
 * error). */
int guard_sessions_read(struct db *db, const char *release, struct guard_sessions *s,
			struct zerr *e);
void guard_sessions_release(struct guard_sessions *s);

#endif
