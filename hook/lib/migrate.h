/*
 * migrate — plan and apply a migrations directory, lock-guarded.
 *
 * The flow of migrate_run:
 *   load sources (any input error: exit 2, nothing touched)
 *   connect; read history without the lock; validate; plan
 *   nothing pending -> done (fast no-op: Argo CD re-runs hooks every sync)
 *   refuse a transaction-pooling connection (exit 2)
 *   take the lock on the connection that applies the migrations; create/
 *   extend the history table; re-read; re-validate; apply pending
 *   migrations in order; a lost session: connect again and go on
 *   release the lock
 *
 * Every statement runs under lock_timeout; a lock timeout (55P03) or
 * deadlock (40P01) rolls the migration back and retries it with backoff
 * (db_retry_next, the one lock-retry policy, shared with backfills).
 * A transaction=off file runs statement by statement, each recorded, so a
 * killed run resumes at the next statement.
 */
#ifndef ZDM_MIGRATE_H
#define ZDM_MIGRATE_H

#include <jansson.h>

#include "history.h"
#include "source.h"

struct migrate_opts {
	const char *dir;
	const char *url;
	const char *history_table;
	long long lock_wait_ms;
	long long lock_timeout_ms;
	long long statement_timeout_ms;
	long long concurrent_timeout_ms; /* lock_timeout for CONCURRENTLY */
	int ddl_retries;
	int connect_retries;
	long long peer_timeout_ms; /* dead-peer bound (db.h) */
	int dry_run;
	int out_of_order; /* -1: not given (flyway.outOfOrder, else off) */
	const char *ignore_patterns; /* Flyway's ignoreMigrationPatterns */
	const char *since; /* pending versions at or below it are not linted */
	const char *encoding; /* of the files; NULL: the settings', UTF-8 */
	const char *const *placeholders; /* --placeholder NAME=VALUE, in order */
	size_t nplaceholders;
	long long max_replica_lag_ms; /* backfills pause above it; 0: off */
	/* a connected session to do the work on (the run command's, which
	 * stamps the deployment log on it too: one server backend for the
	 * whole run); NULL: migrate connects its own. A borrowed session is
	 * handed back reset (DISCARD ALL: no transaction, lock, SET or
	 * prepared statement of the run left), or replaced by a new one when
	 * it was lost and the run connected again. */
	struct db *session;

	/* the contract guard */
	const char *log_table; /* deployment log */
	const char *release; /* scope of the log lookup (may be NULL) */
	const char *namespace_;
	const char *completed_app_version; /* post phase: this rollout completed */
	int strict_contract; /* a deferral is exit 5 */
	int force_contract; /* apply guarded contracts anyway */
};

struct migrate_result {
	json_t *json; /* summary object */
	char *version; /* highest applied version afterwards, or NULL */
	char *deferred; /* why a contract migration was deferred, or NULL */
	int forced; /* contracts applied with --force-contract */
};
void migrate_result_release(struct migrate_result *r);

enum plan_state {
	PLAN_APPLIED,
	PLAN_PENDING,
	PLAN_FAILED, /* the last attempt failed; will be retried */
	PLAN_PARTIAL, /* transaction=off, some statements applied; resumes */
	PLAN_CHANGED, /* applied, but the file changed since */
	PLAN_MISSING, /* applied, but the file is gone */
	PLAN_BASELINE, /* a Flyway baseline row, or an applied B file */
	PLAN_BELOW_BASELINE,
	PLAN_FUTURE, /* applied, newer than every file (Flyway's "future") */
	PLAN_IGNORED, /* pending, older than the newest applied, and skipped
		       * (ignore pattern "versioned:ignored") */
	PLAN_OUT_OF_ORDER /* pending, but older than the newest applied */
};

struct plan_item {
	struct src_migration *m; /* NULL for PLAN_MISSING / PLAN_BASELINE */
	struct hist_row *row; /* the relevant history row, or NULL */
	enum plan_state state;
	int ignored; /* a MISSING or FUTURE row that does not block: an
		      * ignore pattern, or a type zdm cannot run (JDBC, ...) */
};

/* Flyway's ignoreMigrationPatterns ("type:status", comma-separated;
 * type *, versioned or repeatable; status *, missing, future, ignored or
 * pending) as bits: PLAN_IGN_x for versioned, << 4 for repeatable. */
enum {
	PLAN_IGN_MISSING = 1,
	PLAN_IGN_FUTURE = 2,
	PLAN_IGN_IGNORED = 4,
	PLAN_IGN_PENDING = 8,
};
#define PLAN_IGN_DEFAULT (PLAN_IGN_FUTURE | PLAN_IGN_FUTURE << 4) /* "*:future" */
/* Parse a pattern list (NULL: the default); -1 with e set (exit 2). */
int plan_ignore_parse(const char *spec, unsigned *out, struct zerr *e);

struct plan_opts {
	int out_of_order;
	unsigned ignore; /* PLAN_IGN_* bits */
	/* Flyway's baselineOnMigrate on a populated database whose history
	 * is empty: the baselineVersion the run records first; versions at
	 * or below it are below-baseline */
	const char *baseline;
};

struct plan {
	struct plan_item *v;
	size_t n;
	size_t npending; /* PENDING, FAILED, PARTIAL, OUT_OF_ORDER */
	const char *current; /* highest applied version, or NULL */
};

const char *plan_state_name(enum plan_state s);
int plan_is_pending(const struct plan_item *it);
/* Build the plan from sources and history rows (borrowed). */
void plan_build(struct plan *p, struct src_set *src, struct history *h, const struct plan_opts *o);
void plan_release(struct plan *p);
/* Fail (exit 2) on a changed, missing or future applied migration
 * (unless ignored), or an out-of-order pending one; the message lists
 * each problem. */
int plan_validate(const struct plan *p, const struct src_set *src, int out_of_order,
		  struct zerr *e);

/* The whole migrate command. res (may be NULL) receives the outcome,
 * also on failure; release it with migrate_result_release. A deferred
 * contract is success unless strict_contract (then exit 5). */
int migrate_run(const struct migrate_opts *o, struct migrate_result *res, struct zerr *e);

#endif
