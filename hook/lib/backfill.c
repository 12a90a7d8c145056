/*
 * backfill — keyset batches of one UPDATE (see backfill.h).
 *
 * One batch is one message:
 *   BEGIN; SET LOCAL lock_timeout ...; SET LOCAL statement_timeout ...;
 *   WITH zdm_range AS (SELECT max(k)::text AS hi, count(*) AS n FROM
 *                        (SELECT key AS k FROM t WHERE key > last
 *                         ORDER BY key LIMIT size) s),
 *        zdm_done AS (<the UPDATE up to WHERE> WHERE (<its condition>)
 *                     AND alias.key > last AND alias.key <= hi RETURNING 1)
 *   SELECT hi, n, count of zdm_done
 * followed by the history row's new resume point and COMMIT in one
 * pipeline. The last key is passed as a quoted literal: it comes from the
 * database itself (max(key)::text), never from user input.
 */
#include "backfill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define BACKFILL_MIN 10
#define BACKFILL_MAX 1000000

struct backfill_key {
	char *column; /* quoted */
	char *type; /* format_type, for casts */
	long long estimate; /* rows in the table (planner), -1 unknown */
};

/* The key column: key= as given, else the table's single-column primary
 * key; an input error (exit 2) when there is none. */
static int backfill_find_key(struct backfill_ctx *b, struct backfill_key *k, struct zerr *e)
{
	const struct src_migration *m = b->m;
	const char *params[2];
	char *folded = NULL;
	PGresult *r;

	params[0] = m->bf_table;
	if (m->bf_key) {
		folded = xstrdup(m->bf_key);
		for (char *p = folded; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		params[1] = folded;
		r = db_query(b->db,
			     "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
			     " c.reltuples::bigint FROM pg_catalog.pg_attribute a"
			     " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
			     " WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2"
			     " AND NOT a.attisdropped",
			     2, params, e);
	} else {
		r = db_query(b->db,
			     "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
			     " c.reltuples::bigint FROM pg_catalog.pg_index i"
			     " JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
			     " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid"
			     "  AND a.attnum = i.indkey[0]"
			     " WHERE i.indrelid = pg_catalog.to_regclass($1) AND i.indisprimary"
			     " AND i.indnkeyatts = 1",
			     1, params, e);
	}
	free(folded);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		if (m->bf_key)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s:%d: table \"%s\" has no column \"%s\" for key=",
					m->path, m->directive_line, m->bf_table, m->bf_key);
		zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: table \"%s\" %s", m->path, m->directive_line,
			 m->bf_table, "has no single-column primary key to batch by");
		zerr_hint(e,
			  "name a unique, indexed column with key=, e.g. -- zdm: backfill table=%s "
			  "key=id",
			  m->bf_table);
		return -1;
	}
	k->column = db_quote_ident(PQgetvalue(r, 0, 0));
	k->type = xstrdup(PQgetvalue(r, 0, 1));
	k->estimate = db_value_ll(r, 0, 2, -1);
	PQclear(r);
	if (k->estimate < 0) {
		/* never analysed: count when that is cheap (under 64 MB); the
		 * table name is the migration's own SQL, checked against its
		 * UPDATE when the file was loaded */
		char *sql = xasprintf("SELECT CASE WHEN pg_catalog.pg_relation_size("
				      "pg_catalog.to_regclass($1)) < 67108864"
				      " THEN (SELECT count(*) FROM %s) ELSE -1 END",
				      m->bf_table);
		r = db_query(b->db, sql, 1, params, e);
		free(sql);
		if (!r)
			return -1;
		k->estimate = db_value_ll(r, 0, 0, -1);
		PQclear(r);
	}
	return 0;
}

/* Build one batch's SQL (caller frees). last: NULL for the first batch. */
static char *backfill_sql(struct backfill_ctx *b, const struct backfill_key *k, const char *last,
			  long long size)
{
	const struct src_migration *m = b->m;
	const struct sql_stmt *st = &m->script.v[0];
	const char *text = m->sql + st->off;
	struct sb s;
	char *lit = NULL;

	sb_init(&s);
	if (last) {
		lit = PQescapeLiteral(b->db->conn, last, strlen(last));
		if (!lit) {
			sb_release(&s);
			return NULL;
		}
	}
	sb_addf(&s,
		"BEGIN;SET LOCAL lock_timeout = '%lldms';SET LOCAL statement_timeout = '%lldms';\n",
		b->lock_timeout_ms, b->statement_timeout_ms);
	sb_addf(&s,
		"WITH zdm_range AS (SELECT max(k)::text AS hi, count(*) AS n FROM"
		" (SELECT %s AS k FROM %s",
		k->column, m->bf_table);
	if (lit)
		sb_addf(&s, " WHERE %s > %s::%s", k->column, lit, k->type);
	sb_addf(&s, " ORDER BY %s LIMIT %lld) zdm_keys),\nzdm_done AS (", k->column, size);
	sb_add(&s, text, m->bf_where);
	sb_adds(&s, "WHERE (");
	sb_add(&s, text + m->bf_where + 5, st->len - m->bf_where - 5);
	sb_addf(&s, ")\n AND %s.%s <= (SELECT hi FROM zdm_range)::%s", m->bf_target, k->column,
		k->type);
	if (lit)
		sb_addf(&s, " AND %s.%s > %s::%s", m->bf_target, k->column, lit, k->type);
	sb_adds(&s, " RETURNING 1)\nSELECT (SELECT hi FROM zdm_range), (SELECT n FROM zdm_range),"
		    " (SELECT count(*) FROM zdm_done)");
	PQfreemem(lit);
	return sb_steal(&s);
}

/* Pause while a standby replays too far behind. */
static int backfill_wait_replicas(struct backfill_ctx *b, struct zerr *e)
{
	long long since = util_now_ms(), last_log = 0;

	if (b->max_replica_lag_ms <= 0)
		return 0;
	for (;;) {
		PGresult *r =
			db_query(b->db,
				 "SELECT coalesce(max(extract(epoch FROM replay_lag) * 1000), 0)::bigint,"
				 " count(*) FROM pg_catalog.pg_stat_replication",
				 0, NULL, e);
		long long lag;

		if (!r)
			return -1;
		lag = db_value_ll(r, 0, 0, 0);
		PQclear(r);
		if (lag <= b->max_replica_lag_ms)
			return 0;
		if (util_now_ms() - last_log >= 5000) {
			log_warn("backfill-throttle",
				 "%s: pausing: a standby replays %lld ms behind "
				 "(--max-replica-lag %lld ms), paused for %lld ms",
				 b->m->file, lag, b->max_replica_lag_ms, util_now_ms() - since);
			last_log = util_now_ms();
		}
		if (db_interrupted)
			return zerr_set(e, ZDM_EXIT_FAILED, "interrupted by %s",
					db_interrupt_name());
		util_sleep_ms(500);
	}
}

/* The resume point and time so far into every row of the run, committed
 * with the batch; key NULL when the run is over (the rows keep theirs). */
static int backfill_record(struct backfill_ctx *b, const char *key, long long start, struct zerr *e)
{
	for (size_t i = 0; i < b->nrows; i++) {
		struct hist_write *w = &b->w[i];
		int rc;
		w->backfill_key = key;
		w->execution_ms = (int)(util_now_ms() - start);
		w->commit = i + 1 == b->nrows;
		rc = history_update(b->h, b->db, b->ranks[i], w, e);
		w->commit = 0;
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void backfill_progress(struct backfill_ctx *b, const struct backfill_key *k,
			      long long scanned, long long start, long long size, int final)
{
	long long ms = util_now_ms() - start;
	double rate = ms > 0 ? (double)b->rows * 1000.0 / (double)ms : 0;
	double srate = ms > 0 ? (double)scanned * 1000.0 / (double)ms : 0;
	char eta[64] = "";

	if (!final && k->estimate > 0 && srate > 0 && scanned < k->estimate)
		snprintf(eta, sizeof(eta), ", ETA %.0f s", (double)(k->estimate - scanned) / srate);
	if (!final && log_format_get() == LOG_TEXT && isatty(STDERR_FILENO)) {
		int pct = k->estimate > 0 ? (int)(scanned * 100 / k->estimate) : 0;
		if (pct > 100)
			pct = 100;
		fprintf(stderr, "\r%s: [%-30.*s] %3d%% %lld rows, %.0f rows/s%s   ", b->m->file,
			pct * 30 / 100, "##############################", pct, b->rows, rate, eta);
		fflush(stderr);
		return;
	}
	{
		char of[48] = "";
		if (k->estimate > 0)
			snprintf(of, sizeof(of), " of ~%lld", k->estimate);
		log_event(LOG_INFO, final ? "backfill-done" : "backfill-progress",
			  json_pack("{s:s, s:I, s:I, s:I, s:I, s:f}", "file", b->m->file, "rows",
				    (json_int_t)b->rows, "scanned", (json_int_t)scanned, "estimate",
				    (json_int_t)k->estimate, "batch_size", (json_int_t)size,
				    "rows_per_s", rate),
			  "%s: %s%lld rows updated, %lld%s keys scanned, %.0f rows/s, batch %lld%s",
			  b->m->file, final ? "done: " : "", b->rows, scanned, of, rate, size, eta);
	}
}

int backfill_run(struct backfill_ctx *b, struct zerr *e)
{
	struct backfill_key k = { 0 };
	char *last = b->resume_after ? xstrdup(b->resume_after) : NULL;
	long long size = b->m->bf_batch_size, start = util_now_ms(), last_report = start;
	long long scanned = 0;
	int rc = -1, tty = log_format_get() == LOG_TEXT && isatty(STDERR_FILENO);

	b->rows = 0;
	if (backfill_find_key(b, &k, e) < 0)
		goto cleanup;
	log_info("backfill",
		 "%s: backfilling %s in batches by %s%s%s (%s%lld rows, first batch %lld, "
		 "aiming at %lld ms a batch)",
		 b->m->file, b->m->bf_table, k.column, last ? ", resuming after key " : "",
		 last ? last : "", k.estimate < 0 ? "size unknown: " : "~",
		 k.estimate < 0 ? 0 : k.estimate, size, b->m->bf_batch_time_ms);
	for (;;) {
		struct db_run run = { 0 };
		char *sql;
		long long t0, took, n, updated;
		struct db_retry retry;
		long long delay;

		if (db_interrupted) {
			zerr_set(e, ZDM_EXIT_FAILED, "interrupted by %s during the backfill of %s",
				 db_interrupt_name(), b->m->file);
			zerr_detail(e, "%lld rows updated; the next run resumes after key %s",
				    b->rows, last ? last : "(none)");
			goto cleanup;
		}
		if (backfill_wait_replicas(b, e) < 0)
			goto cleanup;
		sql = backfill_sql(b, &k, last, size);
		if (!sql) {
			zerr_set(e, ZDM_EXIT_FAILED, "cannot quote the backfill key: %s",
				 PQerrorMessage(b->db->conn));
			goto cleanup;
		}
		db_retry_init(&retry, b->ddl_retries);
		for (;;) {
			t0 = util_now_ms();
			if (db_run(b->db, b->observer, sql, db_watch_ms(b->lock_timeout_ms),
				   &run) == 0)
				break;
			db_rollback(b->db);
			if ((delay = db_retry_next(&retry, &run)) >= 0) {
				log_warn("lock-timeout",
					 "%s: a batch could not get its locks within the "
					 "lock_timeout; blocked by %s; retry %d of %d in %lld ms",
					 b->m->file, db_run_blockers(&run), retry.attempt,
					 b->ddl_retries, delay);
				PQclear(run.res);
				util_sleep_ms(delay);
				continue;
			}
			if (run.interrupted)
				zerr_set(e, ZDM_EXIT_FAILED,
					 "interrupted by %s during the backfill of %s",
					 db_interrupt_name(), b->m->file);
			else
				db_result_error(e, ZDM_EXIT_FAILED, run.res, b->m->path);
			zerr_detail(e, "%lld rows updated; the next run resumes after key %s",
				    b->rows, last ? last : "(none)");
			PQclear(run.res);
			free(sql);
			goto cleanup;
		}
		free(sql);
		took = util_now_ms() - t0;
		n = db_value_ll(run.res, 0, 1, 0);
		updated = db_value_ll(run.res, 0, 2, 0);
		if (n > 0) {
			free(last);
			last = xstrdup(PQgetvalue(run.res, 0, 0));
		}
		PQclear(run.res);
		scanned += n;
		b->rows += updated;
		/* the resume point commits with the batch */
		if (backfill_record(b, last, start, e) < 0) {
			db_rollback(b->db);
			goto cleanup;
		}
		if (n == 0)
			break; /* no keys left: done */
		/* aim the next batch at batch-time, within half and double */
		{
			long long want = took > 0 ? size * b->m->bf_batch_time_ms / took : size * 2;
			if (want > size * 2)
				want = size * 2;
			if (want < size / 2)
				want = size / 2;
			size = want < BACKFILL_MIN   ? BACKFILL_MIN
			       : want > BACKFILL_MAX ? BACKFILL_MAX
						     : want;
		}
		/* the first batch, then every 2 s (or live on a terminal) */
		if (tty || scanned == n || util_now_ms() - last_report >= 2000) {
			backfill_progress(b, &k, scanned, start, size, 0);
			last_report = util_now_ms();
		}
		util_sleep_ms(b->m->bf_delay_ms);
	}
	if (tty)
		fputc('\n', stderr);
	backfill_progress(b, &k, scanned, start, size, 1);
	rc = 0;
cleanup:
	if (rc < 0 && tty)
		fputc('\n', stderr);
	for (size_t i = 0; i < b->nrows; i++)
		b->w[i].backfill_key = NULL;
	free(last);
	free(k.column);
	free(k.type);
	return rc;
}
