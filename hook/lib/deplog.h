/*
 * deplog — the deployment log: which release ran which migrations when.
 *
 * One row per hook run (phase pre or post). A run inserts its row as
 * "started" and completes it in place as "succeeded" or "failed", so a
 * run that was killed stays visible as started with no end. Unknown
 * values are NULL, never made up.
 *
 * The contract guard reads it: the latest completed rollout is the newest
 * post-phase row with status succeeded (for the same release and
 * namespace when those are known).
 */
#ifndef ZDM_DEPLOG_H
#define ZDM_DEPLOG_H

#include "db.h"

struct deplog_entry {
	const char *release;
	const char *namespace_;
	const char *revision;
	const char *app_version;
	const char *chart_version;
	const char *deployed_by;
	const char *source_revision;
	const char *pod;
	const char *phase; /* "pre" or "post" */
};

struct deplog_finish {
	const char *status; /* "succeeded" or "failed" */
	const char *migration_version;
	const char *error;
	const char *contract_deferred;
	int contract_forced;
};

struct deplog_rollout {
	char *app_version; /* NULL when there is none */
	char *release;
	char *finished_at;
};

int deplog_check_name(const char *name, struct zerr *e);
/* Check an entry's values (phase, revision) before touching anything. */
int deplog_check_entry(const struct deplog_entry *d, struct zerr *e);
int deplog_init(struct db_table *t, struct db *db, const char *name, struct zerr *e);
/* Create the table when missing (safe when many runners start at once). */
int deplog_ensure(struct db_table *t, struct db *db, struct zerr *e);
/* Insert a row with the given status; *id receives its id. */
int deplog_insert(struct db_table *t, struct db *db, const struct deplog_entry *d,
		  const char *status, long long *id, struct zerr *e);
/* Complete row id in place. */
int deplog_complete(struct db_table *t, struct db *db, long long id, const struct deplog_finish *f,
		    struct zerr *e);
/* Complete the newest "started" row of the same release, namespace,
 * revision, phase and pod; 0 when there was none (*found = 0). */
int deplog_complete_matching(struct db_table *t, struct db *db, const struct deplog_entry *d,
			     const struct deplog_finish *f, int *found, struct zerr *e);
/* The latest completed rollout (release/namespace filter when non-NULL).
 * A missing table is no rollout. Caller releases r. */
int deplog_latest_rollout(struct db_table *t, struct db *db, const char *release,
			  const char *namespace_, struct deplog_rollout *r, struct zerr *e);
void deplog_rollout_release(struct deplog_rollout *r);

#endif
