/*
 * backfill — run a "-- zdm: backfill" migration in keyset batches.
 *
 * The file's one statement, "UPDATE t SET ... WHERE <rows still to do>",
 * runs once per slice of the key: key > last AND key <= hi, where hi is
 * the Nth next key. Every batch scans a bounded slice, so the run always
 * ends, and re-evaluates the WHERE, so rows that old code inserts or
 * changes meanwhile converge. Each batch is its own short transaction
 * under lock_timeout (retried with backoff on a lock timeout), and the
 * last key done is committed in the history row together with the batch:
 * a killed run resumes exactly where it stopped. The batch size adapts
 * to take about batch-time; an optional replica-lag limit pauses it. A
 * recipe's backfill, whose WHERE leaves out the rows done, may split a
 * batch in two transactions (backfill.c); a kill between them does its
 * slice again.
 */
#ifndef ZDM_BACKFILL_H
#define ZDM_BACKFILL_H

#include "db.h"
#include "history.h"
#include "source.h"

struct backfill_ctx {
	struct db *db; /* the migration connection */
	struct db *observer; /* names blockers (may be NULL) */
	struct history *h;
	/* the in-progress history rows (ranks) and their values (w, updated
	 * here), nrows of them: the migration's, then those of the recipes
	 * whose backfills run in the same pass; every batch commits the same
	 * resume point into each */
	const int *ranks;
	struct hist_write *w;
	size_t nrows;
	const struct src_migration *m;
	long long lock_timeout_ms;
	long long statement_timeout_ms;
	int ddl_retries;
	long long max_replica_lag_ms; /* 0: no throttle */
	const char *resume_after; /* last key of an earlier run, or NULL */
	/* the UPDATE's WHERE leaves out the rows it has done (a recipe's):
	 * batches may be split */
	int may_split;
	long long rows; /* out: rows updated by this run */
};

int backfill_run(struct backfill_ctx *b, struct zerr *e);

#endif
