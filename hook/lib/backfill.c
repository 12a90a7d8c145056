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
 *
 * Split batches, for an UPDATE whose WHERE leaves out the rows it has
 * done (a recipe's: b->may_split) when the key follows the table's
 * physical order (a plain table whose key's |pg_stats.correlation| is at
 * least 0.9, as a serial or identity key's is): the message above updates
 * only the rows at an even line pointer of their page (... AND
 * (alias.ctid::text::point)[1]::int % 2 = 0) and commits alone; a second
 * one updates the rest of the same slice, (last, hi], and commits with the
 * resume point. An UPDATE of a full page moves the row's new version to
 * another page and adds an entry to every index; once the first half has
 * moved and committed, PostgreSQL prunes its old versions when the second
 * one reads the page, and the second half's new versions fit beside them
 * (HOT: no index entries). The second message's WHERE leaves out what the
 * first did; a stop between the two does the slice again.
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
	int split; /* split batches (see the top of this file) */
};

/* what backfill_find_key reads of the key column and its table: name,
 * type, estimated rows, and whether to split batches (a plain table whose
 * key's |pg_stats.correlation| is at least 0.9) */
#define BACKFILL_KEY_COLUMNS                                                                       \
	"SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"                       \
	" c.reltuples::bigint, c.relkind = 'r' AND coalesce((SELECT abs(s.correlation)"            \
	" FROM pg_catalog.pg_stats s JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname"   \
	" WHERE n.oid = c.relnamespace AND s.tablename = c.relname AND s.attname = a.attname"      \
	" AND NOT s.inherited), 0) >= 0.9"

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
			     BACKFILL_KEY_COLUMNS
			     " FROM pg_catalog.pg_attribute a"
			     " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
			     " WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2"
			     " AND NOT a.attisdropped",
			     2, params, e);
	} else {
		r = db_query(b->db,
			     BACKFILL_KEY_COLUMNS
			     " FROM pg_catalog.pg_index i"
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
	k->split = b->may_split && !strcmp(PQgetvalue(r, 0, 3), "t");
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

/* Append value to s as a quoted literal; -1 when libpq cannot quote it. */
static int backfill_literal(struct backfill_ctx *b, struct sb *s, const char *value)
{
	char *lit = PQescapeLiteral(b->db->conn, value, strlen(value));

	if (!lit)
		return -1;
	sb_adds(s, lit);
	PQfreemem(lit);
	return 0;
}

enum backfill_part {
	BACKFILL_WHOLE, /* the slice in one message */
	BACKFILL_FIRST, /* a split batch's even line pointers */
	BACKFILL_REST, /* and the rest of its slice */
};

/* One message of a batch (caller frees; NULL, e set, when a value cannot
 * be quoted), returning hi, n and the rows updated. last: NULL for the
 * first batch. BACKFILL_REST: the slice is (last, hi]. */
static char *backfill_sql(struct backfill_ctx *b, const struct backfill_key *k, const char *last,
			  long long size, enum backfill_part part, const char *hi, struct zerr *e)
{
	const struct src_migration *m = b->m;
	const struct sql_stmt *st = &m->script.v[0];
	const char *text = m->sql + st->off;
	struct sb s, cond;
	int bad = 0;

	sb_init(&s);
	sb_init(&cond); /* the slice, in the UPDATE's WHERE */
	sb_addf(&s,
		"BEGIN;SET LOCAL lock_timeout = '%lldms';SET LOCAL statement_timeout = '%lldms';\n",
		b->lock_timeout_ms, b->statement_timeout_ms);
	if (part == BACKFILL_REST) {
		sb_adds(&s, "WITH ");
		bad |= backfill_literal(b, &cond, hi);
		sb_addf(&cond, "::%s", k->type);
	} else {
		sb_addf(&s,
			"WITH zdm_range AS (SELECT max(k)::text AS hi, count(*) AS n FROM"
			" (SELECT %s AS k FROM %s",
			k->column, m->bf_table);
		if (last) {
			sb_addf(&s, " WHERE %s > ", k->column);
			bad |= backfill_literal(b, &s, last);
			sb_addf(&s, "::%s", k->type);
		}
		sb_addf(&s, " ORDER BY %s LIMIT %lld) zdm_keys),\n", k->column, size);
		sb_addf(&cond, "(SELECT hi FROM zdm_range)::%s", k->type);
	}
	sb_adds(&s, "zdm_done AS (");
	sb_add(&s, text, m->bf_where);
	sb_adds(&s, "WHERE (");
	sb_add(&s, text + m->bf_where + 5, st->len - m->bf_where - 5);
	sb_addf(&s, ")\n AND %s.%s <= %s", m->bf_target, k->column, cond.buf);
	if (last) {
		sb_addf(&s, " AND %s.%s > ", m->bf_target, k->column);
		bad |= backfill_literal(b, &s, last);
		sb_addf(&s, "::%s", k->type);
	}
	if (part == BACKFILL_FIRST)
		sb_addf(&s, " AND (%s.ctid::text::point)[1]::int %% 2 = 0", m->bf_target);
	if (part == BACKFILL_REST)
		sb_adds(&s, " RETURNING 1)\nSELECT NULL, NULL, (SELECT count(*) FROM zdm_done)");
	else
		sb_adds(&s,
			" RETURNING 1)\nSELECT (SELECT hi FROM zdm_range), (SELECT n FROM zdm_range),"
			" (SELECT count(*) FROM zdm_done)");
	sb_release(&cond);
	if (bad) {
		sb_release(&s);
		zerr_set(e, ZDM_EXIT_FAILED, "cannot quote the backfill key: %s",
			 PQerrorMessage(b->db->conn));
		return NULL;
	}
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

/* The error of a stopped backfill: what was done, where the next run
 * resumes. */
static void backfill_stopped(struct backfill_ctx *b, const char *last, struct zerr *e)
{
	zerr_detail(e, "%lld rows updated; the next run resumes after key %s", b->rows,
		    last ? last : "(none)");
}

/* A signal stopped the backfill (db_interrupted): -1, e says so. */
static int backfill_interrupted(struct backfill_ctx *b, const char *last, struct zerr *e)
{
	zerr_set(e, ZDM_EXIT_FAILED, "interrupted by %s during the backfill of %s",
		 db_interrupt_name(), b->m->file);
	backfill_stopped(b, last, e);
	return -1;
}

/* Send one message of a batch, again after a lock timeout (with backoff,
 * ddl-retries times); *res its result, *took the ms of the attempt that
 * ran. last: the resume point, for the error. */
static int backfill_exec(struct backfill_ctx *b, const char *sql, const char *last, PGresult **res,
			 long long *took, struct zerr *e)
{
	struct db_retry retry;
	struct db_run run = { 0 };
	long long t0, delay;

	db_retry_init(&retry, b->ddl_retries);
	for (;;) {
		t0 = util_now_ms();
		if (db_run(b->db, b->observer, sql, db_watch_ms(b->lock_timeout_ms), &run) == 0)
			break;
		db_rollback(b->db);
		if ((delay = db_retry_next(&retry, &run)) >= 0) {
			log_warn("lock-timeout",
				 "%s: a batch could not get its locks within the lock_timeout; "
				 "blocked by %s; retry %d of %d in %lld ms",
				 b->m->file, db_run_blockers(&run), retry.attempt, b->ddl_retries,
				 delay);
			PQclear(run.res);
			util_sleep_ms(delay);
			continue;
		}
		if (run.interrupted)
			backfill_interrupted(b, last, e);
		else {
			db_result_error(e, ZDM_EXIT_FAILED, run.res, b->m->path);
			backfill_stopped(b, last, e);
		}
		PQclear(run.res);
		return -1;
	}
	*res = run.res;
	*took = util_now_ms() - t0;
	return 0;
}

/* Commit the first part of a split batch (first: its result: hi, n, the
 * rows it updated), then run the second; *took grows by their time. A
 * signal that came during the first part rolls it back, so that a stop
 * leaves whole batches done. */
static int backfill_rest(struct backfill_ctx *b, const struct backfill_key *k, const char *last,
			 const PGresult *first, long long *took, struct zerr *e)
{
	const char *hi = PQgetvalue(first, 0, 0);
	char *sql;
	PGresult *res;
	long long t;

	if (db_interrupted) {
		db_rollback(b->db);
		return backfill_interrupted(b, last, e);
	}
	if (backfill_exec(b, "COMMIT", last, &res, &t, e) < 0)
		return -1;
	PQclear(res);
	*took += t;
	b->rows += db_value_ll(first, 0, 2, 0);
	sql = backfill_sql(b, k, last, 0, BACKFILL_REST, hi, e);
	if (!sql)
		return -1;
	if (backfill_exec(b, sql, last, &res, &t, e) < 0) {
		free(sql);
		return -1;
	}
	free(sql);
	b->rows += db_value_ll(res, 0, 2, 0);
	*took += t;
	PQclear(res);
	return 0;
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
		 "aiming at %lld ms a batch%s)",
		 b->m->file, b->m->bf_table, k.column, last ? ", resuming after key " : "",
		 last ? last : "", k.estimate < 0 ? "size unknown: " : "~",
		 k.estimate < 0 ? 0 : k.estimate, size, b->m->bf_batch_time_ms,
		 k.split ? "; every other row of a page first" : "");
	for (;;) {
		PGresult *res;
		char *sql;
		long long took, n;

		if (db_interrupted) {
			backfill_interrupted(b, last, e);
			goto cleanup;
		}
		if (backfill_wait_replicas(b, e) < 0)
			goto cleanup;
		sql = backfill_sql(b, &k, last, size, k.split ? BACKFILL_FIRST : BACKFILL_WHOLE,
				   NULL, e);
		if (!sql)
			goto cleanup;
		if (backfill_exec(b, sql, last, &res, &took, e) < 0) {
			free(sql);
			goto cleanup;
		}
		free(sql);
		n = db_value_ll(res, 0, 1, 0);
		if (!k.split || n == 0)
			b->rows += db_value_ll(res, 0, 2, 0);
		else if (backfill_rest(b, &k, last, res, &took, e) < 0) {
			PQclear(res);
			goto cleanup;
		}
		if (n > 0) {
			free(last);
			last = xstrdup(PQgetvalue(res, 0, 0));
		}
		PQclear(res);
		scanned += n;
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
