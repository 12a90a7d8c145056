/*
 * migrate — plan, validate and apply (see migrate.h for the flow).
 *
 * Exactly once. The advisory lock is held by the session that does the
 * work, `work`, and by nothing else. Whatever that session has been sent
 * (a whole pipeline: statements, history row, COMMIT) it finishes or
 * rolls back before its lock can go: a session-level advisory lock is
 * released only when the session ends or unlocks, so another runner's
 * pg_try_advisory_lock succeeds only after every statement of the
 * previous holder, committed or not, is settled, even when that holder's
 * client was killed with its pipeline still in the server's socket
 * buffer. The new holder then reads the history under the lock and sees
 * exactly what was committed. (With the lock on a second, idle session,
 * as before, the server closed that session the instant the client died
 * while the work session still committed what it had been sent, and a
 * second runner could apply the same migration meanwhile.) Waiters poll
 * pg_try_advisory_lock in short autocommit statements (lock.h): no
 * snapshot is held that a CREATE INDEX CONCURRENTLY would wait for.
 *
 * The history agrees: a version's successful row counts even when a
 * later failed attempt was recorded beside it, so an applied migration is
 * never applied again.
 *
 * The work session is migrate's own, or the caller's (migrate_opts.session:
 * `run` stamps the deployment log on it before and after, so that a hook
 * Job costs the server one backend for its work, not two).
 *
 * A second connection, `obs`, observes: it names who blocks a waiting
 * statement, and serves as the second client of db_require_session's
 * pooler probe. It holds nothing, and connects only when one of those
 * needs it (db_observer_init).
 *
 * A lost session (the server restarted, terminated it, or the network
 * failed for --peer-timeout) is not a failed migration: the run connects
 * again, at most --connect-retries times and within 1/4 of the peer
 * timeout each (so a partitioned client gives up within the bound), takes
 * the lock again, re-reads the history and goes on; when the server does
 * not come back it exits 4.
 *
 * History rows are written in the same transaction as a transactional
 * migration, so "applied" and "recorded" can never disagree. A failed
 * attempt is recorded afterwards (success = false, the error and the
 * failing statement), and the next run simply retries it: there is no
 * dirty state that needs a manual repair.
 */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appver.h"
#include "backfill.h"
#include "deplog.h"
#include "guard.h"
#include "lintfmt.h"
#include "lock.h"
#include "recipe.h"
#include "log.h"
#include "srclint.h"

static const char *const plan_state_names[] = {
	"applied",  "pending",        "failed", "partial", "changed",      "missing",
	"baseline", "below-baseline", "future", "ignored", "out-of-order",
};

_Static_assert(ZDM_ARRAY_LEN(plan_state_names) == PLAN_OUT_OF_ORDER + 1, "one name per state");

int plan_ignore_parse(const char *spec, unsigned *out, struct zerr *e)
{
	static const char *const statuses[] = { "missing", "future", "ignored", "pending" };
	const char *p = spec;

	*out = 0;
	if (!spec) {
		*out = PLAN_IGN_DEFAULT;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		char item[64];
		char *colon, *type, *status;
		unsigned bits = 0, shift[2] = { 0, 0 };
		int nshift = 0;

		snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) ? n : sizeof(item) - 1),
			 p);
		type = util_trim(item);
		colon = strchr(type, ':');
		if (!colon)
			goto bad;
		*colon = '\0';
		status = util_trim(colon + 1);
		type = util_trim(type);
		if (strcasecmp(type, "*") == 0 || strcasecmp(type, "versioned") == 0)
			shift[nshift++] = 0;
		if (strcasecmp(type, "*") == 0 || strcasecmp(type, "repeatable") == 0)
			shift[nshift++] = 4;
		if (nshift == 0)
			goto bad;
		if (strcmp(status, "*") == 0)
			bits = PLAN_IGN_MISSING | PLAN_IGN_FUTURE | PLAN_IGN_IGNORED |
			       PLAN_IGN_PENDING;
		for (size_t i = 0; i < ZDM_ARRAY_LEN(statuses); i++)
			if (strcasecmp(status, statuses[i]) == 0)
				bits = 1u << i;
		if (!bits)
			goto bad;
		for (int i = 0; i < nshift; i++)
			*out |= bits << shift[i];
		p += n;
		if (*p == ',')
			p++;
		continue;
bad:
		zerr_set(e, ZDM_EXIT_USAGE, "ignore migration pattern \"%.*s\" is not TYPE:STATUS",
			 (int)n, p);
		zerr_hint(e, "TYPE is *, versioned or repeatable; STATUS is *, missing, future, "
			     "ignored or pending; e.g. \"*:missing,versioned:future\"");
		return -1;
	}
	return 0;
}

/* History rows zdm cannot run (Flyway's Java and script migrations:
 * JDBC, SPRING_JDBC, SCRIPT, ...): without a file they do not block,
 * whatever the ignore patterns say (zdm's rule, not Flyway's: Flyway
 * has the Java classes, zdm never can). */
static int plan_row_runnable(const struct hist_row *r)
{
	return strcmp(r->type, "SQL") == 0 || strcmp(r->type, "SQL_BASELINE") == 0;
}

const char *plan_state_name(enum plan_state s)
{
	return plan_state_names[s];
}

int plan_is_pending(const struct plan_item *it)
{
	return it->state == PLAN_PENDING || it->state == PLAN_FAILED || it->state == PLAN_PARTIAL ||
	       it->state == PLAN_OUT_OF_ORDER;
}

static void plan_push(struct plan *p, size_t *cap, struct src_migration *m, struct hist_row *row,
		      enum plan_state st)
{
	if (p->n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		p->v = xrealloc(p->v, *cap * sizeof(*p->v));
	}
	memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
	p->v[p->n].m = m;
	p->v[p->n].row = row;
	p->v[p->n].state = st;
	p->n++;
	if (plan_is_pending(&p->v[p->n - 1]))
		p->npending++;
}

/* A baseline row: Flyway's "<< Flyway Baseline >>" (BASELINE) or an
 * applied B file (SQL_BASELINE). */
static int plan_is_baseline_row(const struct hist_row *r)
{
	return r->version &&
	       (strcmp(r->type, "BASELINE") == 0 || strcmp(r->type, "SQL_BASELINE") == 0);
}

static int plan_is_versioned_row(const struct hist_row *r)
{
	return r->version && !plan_is_baseline_row(r) && strcmp(r->type, "SCHEMA") != 0;
}

/* The B file with this version, or NULL. */
static struct src_migration *plan_find_baseline(struct src_set *src, const char *version)
{
	for (size_t i = 0; i < src->nbaselines; i++)
		if (source_version_cmp(src->baselines[i].version, version) == 0)
			return &src->baselines[i];
	return NULL;
}

/* History rows of versioned migrations, sorted by version then rank, so
 * that the last row of each version (a retried failure) is the one that
 * counts; qsort context through a static, as qsort has none. */
static int plan_row_cmp(const void *pa, const void *pb)
{
	const struct hist_row *a = *(struct hist_row *const *)pa,
			      *b = *(struct hist_row *const *)pb;
	int c = source_version_cmp(a->version, b->version);
	return c ? c : (a->rank > b->rank) - (a->rank < b->rank);
}

static int plan_script_cmp(const void *pa, const void *pb)
{
	const struct hist_row *a = *(struct hist_row *const *)pa,
			      *b = *(struct hist_row *const *)pb;
	int c = strcmp(a->script, b->script);
	return c ? c : (a->rank > b->rank) - (a->rank < b->rank);
}

/* Build the plan by walking the sorted sources and the sorted history
 * rows side by side: O(n log n) however many migrations there are. */
void plan_build(struct plan *p, struct src_set *src, struct history *h, const struct plan_opts *o)
{
	const char *newest = src->nversioned ? src->v[src->nversioned - 1].version : NULL;
	const char *baseline = NULL;
	int applied = 0; /* a successful versioned or baseline row */
	struct hist_row **vrows = xcalloc(h->n ? h->n : 1, sizeof(*vrows));
	struct hist_row **rrows = xcalloc(h->n ? h->n : 1, sizeof(*rrows));
	size_t nv = 0, nr = 0, cap = 0, i, k;

	memset(p, 0, sizeof(*p));
	for (k = 0; k < h->n; k++) {
		struct hist_row *r = &h->v[k];
		if (plan_is_baseline_row(r) && r->success) {
			/* an applied B file is checked against its file, when
			 * there is one (Flyway validates it as a migration) */
			struct src_migration *b = strcmp(r->type, "SQL_BASELINE") == 0
							  ? plan_find_baseline(src, r->version)
							  : NULL;
			baseline = r->version;
			plan_push(p, &cap, b, r,
				  b && r->has_checksum && r->checksum != b->checksum
					  ? PLAN_CHANGED
					  : PLAN_BASELINE);
			applied = 1;
		}
		if (plan_is_versioned_row(r)) {
			vrows[nv++] = r;
			applied |= r->success;
		} else if (!r->version) {
			rrows[nr++] = r;
		}
	}
	if (o->baseline && h->n == 0)
		baseline = o->baseline;
	/* Flyway's baseline migrations: on a database with no applied
	 * version the highest B file is applied, and the versions at or below
	 * it are not; elsewhere B files are ignored. */
	if (!applied && !baseline && src->nbaselines > 0) {
		struct src_migration *b = &src->baselines[src->nbaselines - 1];
		struct hist_row *failed = NULL;
		for (k = 0; k < h->n; k++)
			if (strcmp(h->v[k].type, "SQL_BASELINE") == 0 &&
			    source_version_cmp(h->v[k].version, b->version) == 0)
				failed = &h->v[k];
		baseline = b->version;
		plan_push(p, &cap, b, failed,
			  !failed                     ? PLAN_PENDING
			  : failed->applied_stmts > 0 ? PLAN_PARTIAL
						      : PLAN_FAILED);
	}
	util_sort(vrows, nv, sizeof(*vrows), plan_row_cmp);
	util_sort(rrows, nr, sizeof(*rrows), plan_script_cmp);
	p->current = history_current(h);

	for (i = 0, k = 0; i < src->nversioned || k < nv;) {
		struct src_migration *m = i < src->nversioned ? &src->v[i] : NULL;
		int c = !m ? 1 : k >= nv ? -1 : source_version_cmp(m->version, vrows[k]->version);
		struct hist_row *row = NULL;
		enum plan_state st;

		if (c > 0) {
			/* a history row with no file: applied versions are missing */
			struct hist_row *last = vrows[k];
			while (k + 1 < nv &&
			       source_version_cmp(vrows[k + 1]->version, vrows[k]->version) == 0) {
				k++;
				if (!last->success)
					last = vrows[k];
			}
			if (last->success || last->applied_stmts > 0) {
				int future = !newest ||
					     source_version_cmp(last->version, newest) > 0;
				plan_push(p, &cap, NULL, last, future ? PLAN_FUTURE : PLAN_MISSING);
				p->v[p->n - 1].ignored = !plan_row_runnable(last) ||
							 (o->ignore & (future ? PLAN_IGN_FUTURE
									      : PLAN_IGN_MISSING));
			}
			k++;
			continue;
		}
		if (c == 0) {
			/* the last row of the version counts, unless an earlier
			 * one succeeded: a success is never masked */
			row = vrows[k];
			while (k + 1 < nv &&
			       source_version_cmp(vrows[k + 1]->version, vrows[k]->version) == 0) {
				k++;
				if (!row->success)
					row = vrows[k];
			}
			k++;
		}
		i++;
		if (row && row->success)
			st = row->has_checksum && row->checksum != m->checksum ? PLAN_CHANGED
									       : PLAN_APPLIED;
		else if (row && row->applied_stmts > 0)
			st = row->checksum != m->checksum ? PLAN_CHANGED : PLAN_PARTIAL;
		else if (row)
			st = PLAN_FAILED;
		else if (baseline && source_version_cmp(m->version, baseline) <= 0)
			st = PLAN_BELOW_BASELINE;
		else if (p->current && source_version_cmp(m->version, p->current) < 0)
			st = o->out_of_order                ? PLAN_PENDING
			     : o->ignore & PLAN_IGN_IGNORED ? PLAN_IGNORED
							    : PLAN_OUT_OF_ORDER;
		else
			st = PLAN_PENDING;
		plan_push(p, &cap, m, row, st);
	}
	for (i = src->nversioned, k = 0; i < src->n; i++) {
		struct src_migration *m = &src->v[i];
		struct hist_row *row = NULL;
		enum plan_state st;

		while (k < nr && strcmp(rrows[k]->script, m->file) < 0)
			k++;
		while (k < nr && strcmp(rrows[k]->script, m->file) == 0)
			row = rrows[k++];
		if (!row)
			st = PLAN_PENDING;
		else if (!row->success)
			st = PLAN_FAILED;
		else
			st = row->checksum == m->checksum ? PLAN_APPLIED : PLAN_PENDING;
		plan_push(p, &cap, m, row, st);
	}
	free(vrows);
	free(rrows);
}

void plan_release(struct plan *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int plan_validate(const struct plan *p, const struct src_set *src, int out_of_order, struct zerr *e)
{
	struct sb problems;
	int count = 0;
	char first[1024] = "";

	(void)out_of_order;
	sb_init(&problems);
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->v[i];
		char line[1024];

		if (it->ignored)
			continue;
		/* flyway.validateOnMigrate=false: Flyway does not check applied
		 * files; zdm accepts a changed (fully applied) or missing one
		 * too, but says so (a partly applied file that changed is
		 * still refused: resuming it would run other statements) */
		if (src->conf.validate_on_migrate == 0 &&
		    ((it->state == PLAN_CHANGED && it->row && it->row->success) ||
		     it->state == PLAN_MISSING || it->state == PLAN_FUTURE)) {
			log_warn("not-validated",
				 "%s %s (%s=false in %s: not validated, as Flyway)",
				 it->m ? it->m->path : it->row->script,
				 it->state == PLAN_CHANGED ? "was changed after it was applied"
				 : it->state == PLAN_MISSING
					 ? "is applied but missing from the migrations"
					 : "is applied but newer than every file",
				 "validateOnMigrate", src->conf.validate_at);
			continue;
		}
		if (it->state == PLAN_CHANGED)
			snprintf(line, sizeof(line),
				 "%s was changed after it was applied (checksum in history %d, file now %d)",
				 it->m->path, it->row->checksum, it->m->checksum);
		else if (it->state == PLAN_MISSING)
			snprintf(line, sizeof(line),
				 "applied migration %s (version %s) is missing from %s",
				 it->row->script, it->row->version, src->dir);
		else if (it->state == PLAN_FUTURE)
			snprintf(line, sizeof(line),
				 "applied migration %s (version %s) is newer than every file in %s",
				 it->row->script, it->row->version, src->dir);
		else if (it->state == PLAN_OUT_OF_ORDER)
			snprintf(line, sizeof(line),
				 "%s (version %s) is pending but older than the applied version %s",
				 it->m->path, it->m->version, p->current);
		else
			continue;
		if (!count)
			snprintf(first, sizeof(first), "%s", line);
		sb_addf(&problems, "%s%s", count ? "\n  " : "  ", line);
		count++;
	}
	if (!count) {
		sb_release(&problems);
		return 0;
	}
	if (count == 1)
		zerr_set(e, ZDM_EXIT_USAGE, "%s", first);
	else {
		zerr_set(e, ZDM_EXIT_USAGE, "%d problems with the migrations; nothing was applied",
			 count);
		zerr_detail(e, "\n%s", problems.buf);
	}
	zerr_hint(e, "an applied migration is history: restore the file as it was and put the "
		     "change in a new migration; use --out-of-order to apply an older pending "
		     "version on purpose");
	sb_release(&problems);
	return -1;
}

struct migrate_ctx {
	const struct migrate_opts *o;
	struct src_set src;
	struct history h;
	struct plan plan;
	struct db *work; /* own, or the caller's session (migrate_opts.session) */
	struct db own, obs;
	struct db_opts dbo;
	int locked;
	int reconnects; /* lost sessions replaced so far */
	json_t *applied;
	const char *reached; /* highest version applied by this run */
	size_t stop; /* index of the first deferred contract, or plan.n */
	char *deferred; /* the deferral message */
	int forced;
	struct lint_report lint; /* findings of the pending migrations */
	int linted_empty; /* the lint took the database for empty */
	struct plan_opts po;
	/* srclint_since's flags for --since, or zdm.yaml's since: (one per
	 * src.v entry; NULL: nothing grandfathered) */
	unsigned char *since_learn;
	char *recipes; /* <history>_recipes, when a file is a recipe */
};

/* Fill e for a failed statement of m, pointing at its file and line. */
static int migrate_stmt_error(struct migrate_ctx *c, const struct src_migration *m, size_t idx,
			      const PGresult *res, struct zerr *e)
{
	const struct sql_stmt *st = &m->script.v[idx];
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	int line = st->line, col = st->col;
	long long at = 0;
	char *text = sql_stmt_text(m->sql, st);
	char where[1200];

	(void)c;
	if (!util_parse_ll(pos, &at) && at > 0)
		sql_position_to_line(m->sql, st, (long)at, &line, &col);
	snprintf(where, sizeof(where), "%s:%d:%d", m->path, line, col);
	if (res)
		db_result_error(e, ZDM_EXIT_FAILED, res, where);
	else
		zerr_set(e, ZDM_EXIT_FAILED, "%s: %s", where, PQerrorMessage(c->work->conn));
	if (!e->detail[0])
		zerr_detail(e, "statement %zu of %zu: %.300s%s", idx + 1, m->script.n, text,
			    strlen(text) > 300 ? "..." : "");
	free(text);
	return -1;
}

static long long migrate_lock_timeout(const struct migrate_opts *o, const struct src_migration *m)
{
	return m->lock_timeout_ms >= 0 ? m->lock_timeout_ms : o->lock_timeout_ms;
}

/* Log the retry of statement idx of m, which lost a lock race under a
 * lock_timeout of lt (before any lengthening by retry). */
static void migrate_log_retry(const struct migrate_opts *o, const struct src_migration *m,
			      size_t idx, long long lt, const struct db_run *run,
			      const struct db_retry *retry, long long delay)
{
	const struct sql_stmt *st = &m->script.v[idx];
	int deadlock = db_retry_is_deadlock(run->res);
	char note[160];

	log_event(LOG_WARN, "lock-timeout",
		  json_pack("{s:s, s:i, s:i, s:s, s:I}", "file", m->file, "line", st->line,
			    "attempt", retry->attempt, "blocked_by", run->blockers,
			    "next_lock_timeout_ms", (json_int_t)db_retry_lock_timeout(retry, lt)),
		  "%s:%d: %s; %s; retry %d of %d in %lld ms%s", m->path, st->line,
		  deadlock ? "deadlock with another session"
			   : "could not get the lock within the lock_timeout",
		  run->blockers[0] ? run->blockers
		  : run->watched   ? "the blocking session has already gone"
				   : "zdm could not look up the blocking session in time",
		  retry->attempt, o->ddl_retries, delay,
		  db_retry_note(retry, lt, note, sizeof(note)));
}

/* Record a failed attempt outside the (rolled back) transaction. */
static void migrate_record_failure(struct migrate_ctx *c, const struct src_migration *m,
				   const struct hist_row *prev, int applied, size_t failed_idx,
				   long long ms, const struct zerr *err)
{
	struct hist_write w = { 0 };
	struct zerr e2 = { 0 };
	char *stmt = failed_idx < m->script.n ? sql_stmt_text(m->sql, &m->script.v[failed_idx])
					      : NULL;

	if (stmt && strlen(stmt) > 1000)
		stmt[1000] = '\0';
	w.version = m->version;
	w.description = m->description;
	w.script = m->file;
	w.type = m->kind == SRC_BASELINE ? "SQL_BASELINE" : NULL;
	w.checksum = m->checksum;
	w.execution_ms = (int)ms;
	w.success = 0;
	w.applied_stmts = applied;
	w.total_stmts = (int)m->script.n;
	w.error = err->msg;
	w.error_stmt = stmt;
	db_rollback(c->work);
	if (db_lost(c->work)) {
		free(stmt);
		return; /* the next pass or run sees no row, or the old one */
	}
	if ((prev ? history_update(&c->h, c->work, prev->rank, &w, &e2)
		  : history_insert(&c->h, c->work, &w, &e2)) < 0)
		log_warn("history", "could not record the failure: %s", e2.msg);
	free(stmt);
}

static long long migrate_stmt_timeout(const struct migrate_opts *o, const struct src_migration *m)
{
	return m->statement_timeout_ms >= 0 ? m->statement_timeout_ms : o->statement_timeout_ms;
}

/* Check the rules of transactional files before anything runs. */
/* COPY ... FROM STDIN (1) / TO STDOUT (2), psql's data-in-the-script
 * form: the rows would have to come from, or go to, zdm. */
static int migrate_is_client_copy(const struct sql_stmt *st)
{
	if (st->ntoks < 3 || !sql_tok_is(&st->toks[0], "copy"))
		return 0;
	for (size_t i = 1; i < st->ntoks; i++)
		if (sql_tok_is(&st->toks[i], "stdin") || sql_tok_is(&st->toks[i], "stdout"))
			return sql_tok_is(&st->toks[i], "stdin") ? 1 : 2;
	return 0;
}

static int migrate_check_tx_rules(const struct src_migration *m, struct zerr *e)
{
	for (size_t i = 0; i < m->script.n; i++) {
		const struct sql_stmt *st = &m->script.v[i];
		enum sql_txkind k = sql_stmt_txkind(st);
		char head[64];

		sql_stmt_name(st, head, sizeof(head));
		if (m->transactional && k == SQL_TX_CONCURRENT) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: %s cannot run inside a transaction",
				 m->path, st->line, head);
			zerr_hint(e, "put it in a file of its own that starts with "
				     "\"-- zdm: transaction=off\"");
			return -1;
		}
		if (m->transactional && k == SQL_TX_NONTX) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: %s cannot run inside a transaction",
				 m->path, st->line, head);
			zerr_hint(e,
				  "put it in a file that starts with \"-- zdm: transaction=off\"");
			return -1;
		}
		if (migrate_is_client_copy(st)) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s:%d: COPY ... %s needs a client that %s the rows; "
				 "zdm does not",
				 m->path, st->line,
				 migrate_is_client_copy(st) == 2 ? "TO STDOUT" : "FROM STDIN",
				 migrate_is_client_copy(st) == 2 ? "receives" : "sends");
			zerr_hint(e,
				  migrate_is_client_copy(st) == 2
					  ? "remove it: nothing reads a migration's output"
					  : "use INSERT ... VALUES, or COPY from a file on the database server");
			return -1;
		}
		if (k == SQL_TX_CONTROL) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: %s: zdm manages transactions itself",
				 m->path, st->line, head);
			zerr_hint(e,
				  m->transactional
					  ? "remove it: each file runs in one transaction with its history row"
					  : "remove it: in a transaction=off file every statement commits on its own");
			return -1;
		}
	}
	return 0;
}

static json_t *migrate_applied_json(const struct src_migration *m, long long ms, int resumed_at)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:i}", "script", m->file, "description",
			      m->description, "ms", (json_int_t)ms, "statements", (int)m->script.n);
	if (o && m->version)
		json_object_set_new(o, "version", json_string(m->version));
	if (o && resumed_at > 0)
		json_object_set_new(o, "resumed_at_statement", json_integer(resumed_at + 1));
	return o;
}

/* Apply a transactional migration: one transaction with its history row,
 * the whole transaction retried on lock timeout. */
/* The timeouts of the transaction (local) or the session, as a pipeline
 * command: SET cannot take parameters, set_config can (and is prepared
 * once). */
struct migrate_timeouts {
	char lock[32], stmt[32];
	const char *params[2];
	struct db_cmd cmd;
};

static void migrate_timeouts_cmd(struct migrate_timeouts *t, long long lock_ms, long long stmt_ms,
				 int local)
{
	snprintf(t->lock, sizeof(t->lock), "%lldms", lock_ms);
	snprintf(t->stmt, sizeof(t->stmt), "%lldms", stmt_ms);
	t->params[0] = t->lock;
	t->params[1] = t->stmt;
	t->cmd = (struct db_cmd){ local ? "SELECT pg_catalog.set_config('lock_timeout', $1, true),"
					  " pg_catalog.set_config('statement_timeout', $2, true)"
					: "SELECT pg_catalog.set_config('lock_timeout', $1, false),"
					  " pg_catalog.set_config('statement_timeout', $2, false)",
				  2, t->params, 1 };
}

/* Apply transactional migrations its[0..n) (n > 1: a recipe group's
 * expands) in one transaction and one round trip: BEGIN, the timeouts,
 * each one's statements and history row, and COMMIT go out as one
 * pipeline, and the server stops at the first error. Retried whole after
 * a lock timeout or deadlock; a failure is recorded for the migration it
 * happened in. */
static int migrate_apply_tx(struct migrate_ctx *c, struct plan_item *its, size_t n, struct zerr *e)
{
	const struct migrate_opts *o = c->o;
	long long start = util_now_ms();
	size_t ncmds = 3, k;
	struct db_cmd *cmds;
	char ***texts = xcalloc(n, sizeof(*texts)), **allowed = xcalloc(n, sizeof(*allowed));
	/* per migration: where its statements start, its delete and row */
	int *first = xcalloc(n, sizeof(int)), *del_at = xcalloc(n, sizeof(int)),
	    *row_at = xcalloc(n, sizeof(int));
	struct hist_cmd *del = xcalloc(n, sizeof(*del)), *row = xcalloc(n, sizeof(*row));
	struct db_retry retry;
	long long delay;
	int rc = -1;
	size_t i;

	for (k = 0; k < n; k++) {
		struct src_migration *m = its[k].m;
		texts[k] = xmalloc(sizeof(**texts) * (m->script.n + 1));
		for (i = 0; i < m->script.n; i++)
			texts[k][i] = sql_stmt_text(m->sql, &m->script.v[i]);
		allowed[k] = srclint_allowed(&c->lint, m->path);
		ncmds += m->script.n + 2; /* statements, [delete,] history row */
	}
	cmds = xmalloc(sizeof(*cmds) * ncmds);
	db_retry_init(&retry, o->ddl_retries);
	for (;;) {
		struct db_run run;
		struct migrate_timeouts t;
		int nc = 0, commit_at, failed;
		long long lt_base = migrate_lock_timeout(o, its[0].m);
		long long lt = db_retry_lock_timeout(&retry, lt_base);
		const struct src_migration *m;
		const struct plan_item *it;

		cmds[nc++] = (struct db_cmd){ "BEGIN", 0, NULL, 0 };
		migrate_timeouts_cmd(&t, lt, migrate_stmt_timeout(o, its[0].m), 1);
		cmds[nc++] = t.cmd;
		for (k = 0; k < n; k++) {
			struct hist_write w = { 0 };
			m = its[k].m;
			it = &its[k];
			first[k] = nc;
			for (i = 0; i < m->script.n; i++)
				cmds[nc++] = (struct db_cmd){ texts[k][i], 0, NULL, 0 };
			w.version = m->version;
			w.description = m->description;
			w.script = m->file;
			w.type = m->kind == SRC_BASELINE ? "SQL_BASELINE" : NULL;
			w.checksum = m->checksum;
			w.execution_ms = (int)(util_now_ms() - start); /* earlier attempts */
			w.tx_time = 1; /* + this one */
			w.success = 1;
			w.applied_stmts = w.total_stmts = (int)m->script.n;
			w.allowed = allowed[k];
			del_at[k] = -1;
			if (it->row && m->kind != SRC_REPEATABLE) {
				history_update_cmd(&c->h, it->row->rank, &w, &row[k]);
			} else {
				/* a failed repeatable row is replaced by the new one */
				if (it->row && !it->row->success) {
					history_delete_cmd(&c->h, it->row->rank, &del[k]);
					del_at[k] = nc;
					cmds[nc++] = del[k].cmd;
				}
				history_insert_cmd(&c->h, &w, &row[k]);
			}
			row_at[k] = nc;
			cmds[nc++] = row[k].cmd;
		}
		commit_at = nc;
		cmds[nc++] = (struct db_cmd){ "COMMIT", 0, NULL, 0 };

		failed = db_pipeline(c->work, &c->obs, cmds, nc, -1, db_watch_ms(lt), &run);
		for (k = 0; k < n; k++) {
			history_cmd_release(&row[k]);
			if (del_at[k] >= 0)
				history_cmd_release(&del[k]);
		}
		if (failed == 0) {
			for (k = 0; k < n; k++) {
				m = its[k].m;
				log_event(LOG_INFO, "applied",
					  json_pack("{s:s, s:I}", "file", m->file, "ms",
						    (json_int_t)(util_now_ms() - start)),
					  "applied %s (%zu statement%s, %lld ms%s)", m->file,
					  m->script.n, m->script.n == 1 ? "" : "s",
					  util_now_ms() - start,
					  n > 1 ? ", in one transaction with the others" : "");
				json_array_append_new(c->applied,
						      migrate_applied_json(m, util_now_ms() - start,
									   0));
			}
			rc = 0;
			break;
		}
		db_rollback(c->work);
		/* the migration the failure happened in, and its statement */
		for (k = n - 1; k > 0 && run.failed < first[k]; k--)
			;
		m = its[k].m;
		it = &its[k];
		i = run.failed >= first[k] && run.failed < first[k] + (int)m->script.n
			    ? (size_t)(run.failed - first[k])
			    : 0;
		if (run.interrupted || db_interrupted) {
			PQclear(run.res);
			zerr_set(e, ZDM_EXIT_FAILED,
				 "interrupted by %s while applying %s; rolled back",
				 db_interrupt_name(), m->path);
			zerr_detail(e, "the migration was not applied; the next run applies it");
			migrate_record_failure(c, m, it->row, 0, i, util_now_ms() - start, e);
			break;
		}
		if (!run.res) { /* the connection is gone */
			db_run_error(c->work, &run, NULL, e);
			zerr_prefix(e, "%s", m->path);
			zerr_detail(e,
				    "the migration was not committed unless the server finished it; "
				    "the next run sees which");
			break;
		}
		if (run.failed == row_at[k] || run.failed == commit_at || run.failed == del_at[k]) {
			/* the row or the COMMIT failed (a deferred constraint, ...):
			 * nothing of the migration stayed */
			db_run_error(c->work, &run,
				     run.failed == commit_at ? "commit failed" : "query failed", e);
			zerr_prefix(e, "cannot record %s in %s", m->file, c->h.display);
			PQclear(run.res);
			migrate_record_failure(c, m, it->row, 0, m->script.n, util_now_ms() - start,
					       e);
			break;
		}
		if (run.failed >= first[k] && (delay = db_retry_next(&retry, &run)) >= 0) {
			migrate_log_retry(o, m, i, lt_base, &run, &retry, delay);
			PQclear(run.res);
			util_sleep_ms(delay);
			continue;
		}
		migrate_stmt_error(c, m, i, run.res, e);
		if (db_retry_is_lock(run.res))
			zerr_hint(e, "gave up after %d retries; blocked by %s", o->ddl_retries,
				  db_run_blockers(&run));
		PQclear(run.res);
		migrate_record_failure(c, m, it->row, 0, i, util_now_ms() - start, e);
		break;
	}
	for (k = 0; k < n; k++) {
		for (i = 0; i < its[k].m->script.n; i++)
			free(texts[k][i]);
		free(texts[k]);
		free(allowed[k]);
	}
	free(texts);
	free(allowed);
	free(first);
	free(del_at);
	free(row_at);
	free(del);
	free(row);
	free(cmds);
	return rc;
}

/* Run cmd with also (when not NULL) after it in the same round trip:
 * cmd's result, or NULL with e set. */
static PGresult *migrate_query_also(struct migrate_ctx *c, const struct db_cmd *cmd,
				    const struct db_cmd *also, struct zerr *e)
{
	struct db_cmd cmds[2] = { *cmd };
	struct db_run run;

	if (also)
		cmds[1] = *also;
	if (db_pipeline(c->work, NULL, cmds, also ? 2 : 1, 0, 0, &run) < 0) {
		db_run_error(c->work, &run, "query failed", e);
		PQclear(run.res);
		return NULL;
	}
	return run.res;
}

/* Query an index's state by regclass text: 0 absent, 1 valid, 2 invalid
 * and idle (left by a failed build), 3 invalid but being built (then
 * builder gets the building session's pid and its statement's
 * query_start). Runs twice per CREATE INDEX CONCURRENTLY, so the common
 * answers (absent, valid) come from one cached query; the progress view,
 * which costs more to plan than the rest together, is read only for an
 * invalid index. */
static int migrate_index_state(struct migrate_ctx *c, const char *name, const struct db_cmd *also,
			       char builder[2][64], struct zerr *e)
{
	const char *params[1] = { name };
	const struct db_cmd q = { "SELECT i.indisvalid AND i.indisready FROM pg_catalog.pg_index i"
				  " WHERE i.indexrelid = pg_catalog.to_regclass($1)",
				  1, params, 1 };
	PGresult *r = migrate_query_also(c, &q, also, e);
	int state = 0;

	if (!r)
		return -1;
	if (PQntuples(r) == 1)
		state = PQgetvalue(r, 0, 0)[0] == 't' ? 1 : 2;
	PQclear(r);
	if (state != 2)
		return state;
	r = db_query(c->work,
		     "SELECT p.pid, a.query_start FROM pg_catalog.pg_stat_progress_create_index p"
		     " JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid"
		     " WHERE p.index_relid = pg_catalog.to_regclass($1)",
		     1, params, e);
	if (!r)
		return -1;
	if (PQntuples(r) >= 1) {
		state = 3;
		snprintf(builder[0], sizeof(builder[0]), "%s", PQgetvalue(r, 0, 0));
		snprintf(builder[1], sizeof(builder[1]), "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return state;
}

/* Another session is building the index (state 3): wait until its
 * statement has ended, at most --concurrent-timeout, before deciding.
 * Running our CREATE INDEX CONCURRENTLY meanwhile is not the same: it
 * queues for the table with a snapshot, and a build that has yet to wait
 * for old snapshots then waits for ours: a deadlock, which PostgreSQL
 * may resolve by failing the other build (leaving the index INVALID).
 * And a finished build unlocks the table before it commits the index's
 * validity, so our statement's skip can come before that commit. The
 * session's statement ending (state no longer active) is after both. */
static int migrate_wait_builder(struct migrate_ctx *c, const struct src_migration *m,
				const struct sql_stmt *st, const char *name, char builder[2][64],
				struct zerr *e)
{
	const char *params[2] = { builder[0], builder[1][0] ? builder[1] : NULL };
	long long start = util_now_ms();

	log_info("index-wait",
		 "%s:%d: index %s is being built by another session (pid %s); "
		 "waiting for that build to end",
		 m->path, st->line, name, builder[0]);
	for (int attempt = 0; !db_interrupted; attempt++) {
		PGresult *r = db_query(c->work,
				       "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity"
				       " WHERE pid = $1::int AND state = 'active'"
				       " AND query_start = $2::timestamptz)",
				       2, params, e);
		int busy;

		if (!r)
			return -1;
		busy = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (!busy || (c->o->concurrent_timeout_ms > 0 &&
			      util_now_ms() - start >= c->o->concurrent_timeout_ms))
			break;
		util_sleep_ms(util_backoff_ms(attempt, 25, 1000));
	}
	return 0;
}

/* Before each attempt at a CREATE INDEX CONCURRENTLY (timeouts, when
 * not NULL, go out with the first query). An attempt that lost a lock
 * race after the build began left its index INVALID, as a failed run
 * does, and the statement again would fail on the name: such an index is
 * dropped first, by a DROP that can lose the same race (lt its
 * lock_timeout). Returns 1 when the statement must be skipped (a killed
 * run built it already), 0 to run it, 2 when the DROP failed (run holds
 * its result, to retry or report), -1 on error. */
static int migrate_cic_prepare(struct migrate_ctx *c, const struct src_migration *m,
			       const struct sql_stmt *st, int resuming,
			       const struct db_cmd *timeouts, long long lt, struct db_run *run,
			       struct zerr *e)
{
	char *name = sql_cic_index_name(st);
	char builder[2][64];
	int state, rc = 0;

	if (!name)
		return 0;
	state = migrate_index_state(c, name, timeouts, builder, e);
	if (state == 3)
		state = migrate_wait_builder(c, m, st, name, builder, e) < 0
				? -1
				: migrate_index_state(c, name, NULL, builder, e);
	if (state < 0) {
		rc = -1;
	} else if (state == 2) {
		char *sql = xasprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", name);
		log_warn("invalid-index",
			 "%s:%d: dropping INVALID index %s left by an earlier failed build",
			 m->path, st->line, name);
		if (db_run(c->work, &c->obs, sql, db_watch_ms(lt), run) < 0)
			rc = 2;
		else
			PQclear(run->res);
		free(sql);
	} else if (state == 1 && resuming) {
		log_info("resume",
			 "%s:%d: index %s already exists and is valid (built by an interrupted "
			 "run); not building it again",
			 m->path, st->line, name);
		rc = 1;
	}
	free(name);
	return rc;
}

/* After a CREATE INDEX CONCURRENTLY: a command that fails (division by
 * zero) when the index is not valid, sent with the statement's progress
 * row so that the row commits only for a valid index. */
static const char migrate_valid_guard[] =
	"SELECT 1 / (i.indisvalid AND i.indisready)::int FROM pg_catalog.pg_index i"
	" WHERE i.indexrelid = pg_catalog.to_regclass($1)";

/* Record statement i, a CREATE INDEX CONCURRENTLY of index, as applied:
 * the progress row commits together with migrate_valid_guard, in one
 * round trip, so a row never says applied for an INVALID index. */
static int migrate_record_index(struct migrate_ctx *c, const struct src_migration *m,
				const char *index, int rank, struct hist_write *w, size_t i,
				long long start, struct zerr *e)
{
	const char *params[1] = { index };
	struct hist_cmd row;
	struct db_cmd cmds[4];
	struct db_run run;
	int rc;

	w->applied_stmts = (int)i + 1;
	w->execution_ms = (int)(util_now_ms() - start);
	w->success = (size_t)w->applied_stmts == m->script.n;
	history_update_cmd(&c->h, rank, w, &row);
	cmds[0] = (struct db_cmd){ "BEGIN", 0, NULL, 0 };
	cmds[1] = (struct db_cmd){ migrate_valid_guard, 1, params, 1 };
	cmds[2] = row.cmd;
	cmds[3] = (struct db_cmd){ "COMMIT", 0, NULL, 0 };
	rc = db_pipeline(c->work, NULL, cmds, 4, -1, 0, &run);
	history_cmd_release(&row);
	if (rc == 0)
		return 0;
	db_rollback(c->work);
	if (run.failed == 1) {
		zerr_set(e, ZDM_EXIT_FAILED, "index %s was left INVALID", index);
		zerr_hint(e, "the next run drops it and builds it again");
	} else {
		db_run_error(c->work, &run, run.failed == 3 ? "commit failed" : "query failed", e);
		if (run.res)
			zerr_prefix(e, "cannot record %s in %s", m->file, c->h.display);
	}
	PQclear(run.res);
	return -1;
}

/* One transaction=off file's run: its history row (the resume point) and
 * what every statement's progress write needs. */
struct migrate_notx {
	struct migrate_ctx *c;
	struct src_migration *m;
	struct hist_write w;
	int rank;
	int from; /* first statement to run */
	int resuming; /* the row existed: a killed run may have done some */
	long long start;
	/* the attempt that failed was the DROP of this INVALID index (a
	 * CREATE INDEX CONCURRENTLY's leftover), not the statement */
	const char *failed_drop;
};

/* Is statement i the one an earlier run of the file started and did not
 * finish (killed, interrupted, failed)? */
static int migrate_notx_resumed_at(const struct migrate_notx *n, size_t i)
{
	return n->resuming && i == (size_t)n->from;
}

/* How one statement, or one attempt at it, ended. */
enum migrate_step {
	MIGRATE_STEP_DONE, /* it ran */
	MIGRATE_STEP_TRIED, /* an attempt failed; its result is in the db_run */
	MIGRATE_STEP_FAILED, /* e set: record the failure in the history row */
	MIGRATE_STEP_INTERRUPTED, /* a signal: record it, the next run resumes */
	MIGRATE_STEP_LOST, /* e set; nothing more can be written */
};

/* The history row: resume a partial one, or insert the "in progress"
 * marker (success = false, 0 applied). */
static int migrate_notx_begin(struct migrate_notx *n, struct plan_item *it, const char *allowed,
			      struct zerr *e)
{
	struct migrate_ctx *c = n->c;
	struct src_migration *m = n->m;

	n->w.version = m->version;
	n->w.description = m->description;
	n->w.script = m->file;
	n->w.type = m->kind == SRC_BASELINE ? "SQL_BASELINE" : NULL;
	n->w.checksum = m->checksum;
	n->w.total_stmts = (int)m->script.n;
	n->w.allowed = allowed;
	if (it->row && it->row->applied_stmts > 0 && it->state == PLAN_PARTIAL) {
		n->from = it->row->applied_stmts;
		n->resuming = 1;
		log_info("resume",
			 "%s: resuming at statement %d of %zu (%d applied by an earlier run)",
			 m->path, n->from + 1, m->script.n, n->from);
	}
	if (it->row && m->kind != SRC_REPEATABLE) {
		n->rank = it->row->rank;
		n->resuming = 1;
		return 0;
	}
	if (it->row && !it->row->success && history_delete(&c->h, c->work, it->row->rank, e) < 0)
		return -1;
	n->rank = history_insert(&c->h, c->work, &n->w, e);
	return n->rank < 0 ? -1 : 0;
}

/* Record statement i as applied (its own round trip). */
static int migrate_notx_progress(struct migrate_notx *n, size_t i, struct zerr *e)
{
	n->w.applied_stmts = (int)i + 1;
	n->w.execution_ms = (int)(util_now_ms() - n->start);
	n->w.success = (size_t)n->w.applied_stmts == n->m->script.n;
	return history_update(&n->c->h, n->c->work, n->rank, &n->w, e);
}

/* One attempt at a transactional statement: the statement and its
 * progress commit together, in one round trip (BEGIN, timeouts,
 * statement, row, COMMIT). */
static enum migrate_step migrate_notx_try_tx(struct migrate_notx *n, size_t i, const char *text,
					     long long lt, struct db_run *run, struct zerr *e)
{
	struct migrate_ctx *c = n->c;
	struct migrate_timeouts t;
	struct hist_cmd row;
	struct db_cmd cmds[5];
	int rc;

	n->w.applied_stmts = (int)i + 1;
	n->w.success = (size_t)n->w.applied_stmts == n->m->script.n;
	n->w.execution_ms = (int)(util_now_ms() - n->start);
	n->w.tx_time = 1;
	migrate_timeouts_cmd(&t, lt, migrate_stmt_timeout(c->o, n->m), 1);
	history_update_cmd(&c->h, n->rank, &n->w, &row);
	cmds[0] = (struct db_cmd){ "BEGIN", 0, NULL, 0 };
	cmds[1] = t.cmd;
	cmds[2] = (struct db_cmd){ text, 0, NULL, 0 };
	cmds[3] = row.cmd;
	cmds[4] = (struct db_cmd){ "COMMIT", 0, NULL, 0 };
	rc = db_pipeline(c->work, &c->obs, cmds, 5, -1, db_watch_ms(lt), run);
	history_cmd_release(&row);
	n->w.tx_time = 0;
	if (rc == 0)
		return MIGRATE_STEP_DONE;
	db_rollback(c->work);
	if (run->res && run->failed >= 3) {
		/* its progress could not be written, or the COMMIT failed:
		 * rolled back, it runs again next time */
		db_run_error(c->work, run, run->failed == 4 ? "commit failed" : "query failed", e);
		zerr_prefix(e, "cannot record %s in %s", n->m->file, c->h.display);
		PQclear(run->res);
		zerr_prefix(e, "%s:%d", n->m->path, n->m->script.v[i].line);
		return MIGRATE_STEP_LOST;
	}
	return MIGRATE_STEP_TRIED;
}

/* Is child pending detach from parent, as a DETACH PARTITION ...
 * CONCURRENTLY leaves it when its wait for older snapshots was cancelled,
 * timed out or killed? The statement again would fail on it (55000) for
 * ever; FINALIZE finishes it. also, when not NULL, goes out in the same
 * round trip. 1 yes, 0 no, -1 on error. */
static int migrate_detach_pending(struct migrate_ctx *c, const char *parent, const char *child,
				  const struct db_cmd *also, struct zerr *e)
{
	const char *params[2] = { parent, child };
	const struct db_cmd q = { "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i"
				  " WHERE i.inhparent = pg_catalog.to_regclass($1)"
				  " AND i.inhrelid = pg_catalog.to_regclass($2)"
				  " AND i.inhdetachpending)",
				  2, params, 1 };
	PGresult *r = migrate_query_also(c, &q, also, e);
	int pending;

	if (!r)
		return -1;
	pending = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return pending;
}

/* The command that sets the session's timeouts for an attempt under
 * lock_timeout lt (in ts), or NULL when *sent_lt says they are set. */
static const struct db_cmd *migrate_alone_cmd(const struct migrate_notx *n, long long lt,
					      long long sent_lt, struct migrate_timeouts *ts)
{
	if (sent_lt == lt)
		return NULL;
	migrate_timeouts_cmd(ts, lt, migrate_stmt_timeout(n->c->o, n->m), 0);
	return &ts->cmd;
}

/* Set the session's timeouts for an attempt under lock_timeout lt,
 * unless *sent_lt says they are set already. */
static int migrate_alone_timeouts(struct migrate_notx *n, const struct sql_stmt *st, long long lt,
				  long long *sent_lt, struct zerr *e)
{
	struct migrate_timeouts ts;
	const struct db_cmd *set = migrate_alone_cmd(n, lt, *sent_lt, &ts);
	PGresult *r;

	if (!set)
		return 0;
	r = db_query_cached(n->c->work, set->sql, set->nparams, set->params, 0, e);
	if (!r) {
		zerr_prefix(e, "%s:%d", n->m->path, st->line);
		return -1;
	}
	PQclear(r);
	*sent_lt = lt;
	return 0;
}

/* One attempt at a statement that cannot share a transaction or a
 * pipeline (CONCURRENTLY and friends) under lock_timeout lt: the
 * session's timeouts, when *sent_lt says they differ (sent with the first
 * query); for a CREATE INDEX CONCURRENTLY of index, its index's state
 * (migrate_cic_prepare; the first attempt of a resumed file may find it
 * built); then the statement, or, for a DETACH PARTITION ...
 * CONCURRENTLY that an earlier attempt or run left pending, its FINALIZE
 * under the migration's lock_timeout instead. */
static enum migrate_step migrate_notx_try_alone(struct migrate_notx *n, size_t i, const char *text,
						const char *index, long long lt, long long *sent_lt,
						const struct db_retry *retry, struct db_run *run,
						struct zerr *e)
{
	struct migrate_ctx *c = n->c;
	const struct sql_stmt *st = &n->m->script.v[i];
	struct migrate_timeouts ts;
	const struct db_cmd *set = migrate_alone_cmd(n, lt, *sent_lt, &ts);
	char *parent, *child, *finalize = NULL;
	enum migrate_step step;

	n->failed_drop = NULL;
	if (index) {
		int rc = migrate_cic_prepare(c, n->m, st,
					     retry->attempt == 0 && migrate_notx_resumed_at(n, i),
					     set, lt, run, e);
		if (rc < 0) {
			zerr_prefix(e, "%s:%d", n->m->path, st->line);
			return MIGRATE_STEP_FAILED;
		}
		*sent_lt = lt; /* with the index's state */
		if (rc == 1)
			return MIGRATE_STEP_DONE;
		if (rc == 2) {
			n->failed_drop = index;
			return MIGRATE_STEP_TRIED;
		}
	} else if (sql_detach_names(st, &parent, &child)) {
		int pending = migrate_detach_pending(c, parent, child, set, e);
		if (pending < 0) {
			zerr_prefix(e, "%s:%d", n->m->path, st->line);
			free(parent);
			free(child);
			return MIGRATE_STEP_FAILED;
		}
		*sent_lt = lt;
		if (pending) {
			log_info("resume",
				 "%s:%d: partition %s is pending detach from %s (an earlier attempt "
				 "did not finish); finishing it with DETACH PARTITION ... FINALIZE",
				 n->m->path, st->line, child, parent);
			text = finalize = xasprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE",
						    parent, child);
			/* FINALIZE holds the partition's ACCESS EXCLUSIVE lock
			 * while it waits for older snapshots: bounded like any
			 * DDL that takes it */
			lt = db_retry_lock_timeout(retry, migrate_lock_timeout(c->o, n->m));
		}
		free(parent);
		free(child);
	}
	if (migrate_alone_timeouts(n, st, lt, sent_lt, e) < 0) {
		free(finalize);
		return MIGRATE_STEP_FAILED;
	}
	step = db_run(c->work, &c->obs, text, db_watch_ms(lt), run) == 0 ? MIGRATE_STEP_DONE
									 : MIGRATE_STEP_TRIED;
	if (step == MIGRATE_STEP_DONE)
		PQclear(run->res);
	free(finalize);
	return step;
}

/* A REINDEX ... CONCURRENTLY that fails after its first transaction
 * (a lost lock race, a duplicate in a unique index, a signal) leaves an
 * INVALID copy of an index, named <index>_ccnew[N] (or, past the swap,
 * the old one as _ccold[N]), which every write to the table then
 * maintains; each retry adds one more. The INVALID such indexes that a
 * statement's attempts made are those absent from a list taken before
 * the first (migrate_cc_list: their oids as an array literal); once the
 * statement has succeeded or failed for good, migrate_cc_drop drops
 * them, under a lock_timeout just past deadlock_timeout (a blocker that
 * outlived the statement is not waited for again; an autovacuum yields),
 * except on a table that another session is indexing now (its REINDEX
 * may be the one building them). */
#define MIGRATE_CC_FROM                                                                            \
	" FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
#define MIGRATE_CC_SUFFIX "'_cc(new|old)[0-9]*$'"
#define MIGRATE_CC_COND " NOT i.indisvalid AND c.relname ~ " MIGRATE_CC_SUFFIX
static const char migrate_cc_where[] = MIGRATE_CC_FROM " WHERE" MIGRATE_CC_COND;

/* resumed: st is the statement an earlier run started and did not
 * finish (killed, interrupted, failed; migrate_notx_stmt). The INVALID
 * copies of the index (INDEX) or of the table's indexes (TABLE) it names,
 * with their partitions' and TOAST tables', as PostgreSQL names them (the base name,
 * maybe cut, then the suffix), are not on the list, whoever left them:
 * PostgreSQL's advice for a REINDEX CONCURRENTLY that did not finish is
 * to drop them and run it again, which this statement does. */
static char *migrate_cc_list(struct migrate_ctx *c, const struct src_migration *m,
			     const struct sql_stmt *resumed, struct zerr *e)
{
	char *target = NULL;
	int table = 0;
	const char *params[2];
	static const char sql[] =
		"SELECT coalesce(array_agg(i.indexrelid) FILTER (WHERE NOT o.own), '{}')::text,"
		" string_agg(i.indexrelid::regclass::text, ', ' ORDER BY c.relname)"
		" FILTER (WHERE o.own)" MIGRATE_CC_FROM
		" CROSS JOIN LATERAL (SELECT $1::text IS NOT NULL AND EXISTS (SELECT 1"
		" FROM pg_catalog.pg_index j JOIN pg_catalog.pg_class jc ON jc.oid = j.indexrelid"
		" CROSS JOIN LATERAL pg_catalog.regexp_replace(c.relname::text, " MIGRATE_CC_SUFFIX
		", '') AS b(base)"
		" WHERE j.indrelid = i.indrelid AND j.indexrelid <> i.indexrelid"
		/* TABLE: the table, its partitions, their TOAST tables; INDEX:
		 * the index and its partitions */
		" AND CASE WHEN $2::bool THEN j.indrelid IN (SELECT v.x FROM pg_catalog.pg_class t"
		" CROSS JOIN LATERAL (VALUES (t.oid), (t.reltoastrelid)) AS v(x)"
		" WHERE t.oid = pg_catalog.to_regclass($1) OR t.oid IN (SELECT p.relid"
		" FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass($1)) p))"
		" ELSE j.indexrelid = pg_catalog.to_regclass($1) OR j.indexrelid IN (SELECT p.relid"
		" FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass($1)) p) END"
		/* the base name, or one PostgreSQL cut to fit the suffix in 63
		 * bytes (a multibyte character may leave it up to 3 short) */
		" AND (jc.relname::text = b.base OR pg_catalog.octet_length(c.relname::text) >= 60"
		" AND pg_catalog.starts_with(jc.relname::text, b.base))) AS own) o"
		" WHERE" MIGRATE_CC_COND;
	PGresult *r;
	char *list;

	if (resumed)
		(void)sql_reindex_target(resumed, &table, &target);
	params[0] = target;
	params[1] = table ? "t" : "f";
	r = db_query(c->work, sql, 2, params, e);
	list = r ? db_value_dup(r, 0, 0) : NULL;
	if (r && !PQgetisnull(r, 0, 1))
		log_info("invalid-index",
			 "%s:%d: the REINDEX ... CONCURRENTLY that an earlier run did not finish "
			 "left INVALID copies of %s: %s; they are dropped once it is done",
			 m->path, resumed->line, target, PQgetvalue(r, 0, 1));
	PQclear(r);
	free(target);
	return list;
}

static void migrate_cc_drop(struct migrate_ctx *c, const struct src_migration *m,
			    const struct sql_stmt *st, const char *before)
{
	const char *params[1] = { before };
	char *sql =
		xasprintf("SELECT i.indexrelid::regclass::text%s AND i.indexrelid <> ALL ($1::oid[])"
			  " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p"
			  " WHERE p.relid = i.indrelid AND p.pid <> pg_catalog.pg_backend_pid())"
			  " ORDER BY 1",
			  migrate_cc_where);
	struct zerr e = { 0 };
	/* the lock_timeout to restore, and one past deadlock_timeout, after
	 * which PostgreSQL cancels an autovacuum that holds the table */
	PGresult *t = db_query(c->work,
			       "SELECT pg_catalog.current_setting('lock_timeout'),"
			       " ((extract(epoch FROM pg_catalog.current_setting('deadlock_timeout')"
			       "::interval) * 1000)::bigint + 1000)::text || 'ms'",
			       0, NULL, &e);
	PGresult *r = t && db_set(c->work, "lock_timeout", PQgetvalue(t, 0, 1), 0, &e) == 0
			      ? db_query(c->work, sql, 1, params, &e)
			      : NULL;

	free(sql);
	if (!r)
		log_warn("invalid-index",
			 "%s:%d: could not look for INVALID indexes that failed attempts at the "
			 "REINDEX ... CONCURRENTLY left: %s",
			 m->path, st->line, e.msg);
	for (int k = 0; r && k < PQntuples(r) && !db_interrupted; k++) {
		const char *name = PQgetvalue(r, k, 0);
		char *drop = xasprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", name);
		struct db_run run;

		log_warn("invalid-index",
			 "%s:%d: dropping INVALID index %s, left by a failed attempt at the "
			 "REINDEX ... CONCURRENTLY",
			 m->path, st->line, name);
		if (db_run(c->work, NULL, drop, 0, &run) < 0) {
			db_run_error(c->work, &run, "query failed", &e);
			log_warn("invalid-index",
				 "%s:%d: could not drop %s (%s); it slows every write to its "
				 "table: drop it by hand (DROP INDEX CONCURRENTLY)",
				 m->path, st->line, name, e.msg);
		}
		PQclear(run.res);
		free(drop);
	}
	PQclear(r);
	if (t && db_set(c->work, "lock_timeout", PQgetvalue(t, 0, 0), 0, &e) < 0)
		log_warn("invalid-index", "%s:%d: could not restore lock_timeout: %s", m->path,
			 st->line, e.msg);
	PQclear(t);
}

/* Run statement i until it succeeds, retrying a lost lock race
 * (db_retry_next), dispatching each attempt on the statement's kind;
 * index: what a CREATE INDEX CONCURRENTLY builds, else NULL. */
static enum migrate_step migrate_notx_attempts(struct migrate_notx *n, size_t i,
					       enum sql_txkind kind, const char *text,
					       const char *index, struct zerr *e)
{
	const struct migrate_opts *o = n->c->o;
	struct db_retry retry;
	long long delay, sent_lt = -1;
	long long lt = kind == SQL_TX_CONCURRENT ? o->concurrent_timeout_ms
						 : migrate_lock_timeout(o, n->m);

	db_retry_init(&retry, o->ddl_retries);
	for (;;) {
		struct db_run run = { 0 };
		long long lt_try = db_retry_lock_timeout(&retry, lt);
		enum migrate_step step;

		/* a signal in the delay: not a failure of the next attempt's
		 * checks, which it would cancel */
		if (db_interrupted)
			return MIGRATE_STEP_INTERRUPTED;
		step = kind == SQL_TX_NORMAL ? migrate_notx_try_tx(n, i, text, lt_try, &run, e)
					     : migrate_notx_try_alone(n, i, text, index, lt_try,
								      &sent_lt, &retry, &run, e);

		if (step != MIGRATE_STEP_TRIED)
			return step;
		if (!run.res && !run.interrupted) { /* the connection is gone */
			db_run_error(n->c->work, &run, NULL, e);
			zerr_prefix(e, "%s", n->m->path);
			zerr_detail(e, "%zu of %zu statements are applied and recorded", i,
				    n->m->script.n);
			return MIGRATE_STEP_LOST;
		}
		if ((delay = db_retry_next(&retry, &run)) >= 0) {
			migrate_log_retry(o, n->m, i, lt, &run, &retry, delay);
			PQclear(run.res);
			util_sleep_ms(delay);
			continue;
		}
		if (run.interrupted) {
			PQclear(run.res);
			return MIGRATE_STEP_INTERRUPTED;
		}
		if (n->failed_drop) {
			/* the DROP's error, not one of the statement's text */
			char where[1100];
			snprintf(where, sizeof(where), "%s:%d: DROP INDEX CONCURRENTLY %s",
				 n->m->path, n->m->script.v[i].line, n->failed_drop);
			db_result_error(e, ZDM_EXIT_FAILED, run.res, where);
			if (!e->detail[0])
				zerr_detail(e,
					    "%s is an INVALID index that an earlier build left; the "
					    "statement builds it again once it is dropped",
					    n->failed_drop);
			if (!e->hint[0])
				zerr_hint(e,
					  "drop it by hand (DROP INDEX CONCURRENTLY %s), then run "
					  "again",
					  n->failed_drop);
		} else {
			migrate_stmt_error(n->c, n->m, i, run.res, e);
		}
		PQclear(run.res);
		return MIGRATE_STEP_FAILED;
	}
}

/* Apply statement i. *recorded says whether its progress row committed
 * with it (a transactional statement, a valid new index); otherwise the
 * caller records it. */
static enum migrate_step migrate_notx_stmt(struct migrate_notx *n, size_t i, int *recorded,
					   struct zerr *e)
{
	struct migrate_ctx *c = n->c;
	struct src_migration *m = n->m;
	const struct sql_stmt *st = &m->script.v[i];
	enum sql_txkind kind = sql_stmt_txkind(st);
	enum migrate_step step;
	char *text, *index, *cc_before = NULL;

	*recorded = 0;
	if (db_interrupted)
		return MIGRATE_STEP_INTERRUPTED;
	/* (REINDEX ... CONCURRENTLY: PostgreSQL 12+; pg_partition_tree too) */
	if (kind == SQL_TX_CONCURRENT && sql_tok_is(&st->toks[0], "reindex") &&
	    c->work->server_version >= 120000 &&
	    !(cc_before = migrate_cc_list(c, m, migrate_notx_resumed_at(n, i) ? st : NULL, e))) {
		zerr_prefix(e, "%s:%d", m->path, st->line);
		return MIGRATE_STEP_FAILED;
	}
	index = kind == SQL_TX_CONCURRENT ? sql_cic_index_name(st) : NULL;
	text = sql_stmt_text(m->sql, st);
	step = migrate_notx_attempts(n, i, kind, text, index, e);
	free(text);
	if (cc_before && (step == MIGRATE_STEP_DONE || step == MIGRATE_STEP_FAILED))
		migrate_cc_drop(c, m, st, cc_before);
	free(cc_before);
	if (step == MIGRATE_STEP_DONE && kind == SQL_TX_NORMAL)
		*recorded = 1;
	if (step == MIGRATE_STEP_DONE && index) {
		/* the progress row commits only if the index is valid */
		if (migrate_record_index(c, m, index, n->rank, &n->w, i, n->start, e) < 0) {
			zerr_prefix(e, "%s:%d", m->path, st->line);
			step = MIGRATE_STEP_FAILED;
		} else {
			*recorded = 1;
		}
	}
	free(index);
	return step;
}

/* Apply a transaction=off migration statement by statement, resuming
 * after the last recorded statement. allowed goes into the history row. */
static int migrate_apply_notx_steps(struct migrate_ctx *c, struct plan_item *it,
				    const char *allowed, struct zerr *e)
{
	struct migrate_notx n = { .c = c, .m = it->m, .start = util_now_ms() };
	struct src_migration *m = it->m;
	size_t i;

	if (migrate_notx_begin(&n, it, allowed, e) < 0)
		return -1;
	for (i = (size_t)n.from; i < m->script.n; i++) {
		int recorded;
		enum migrate_step step = migrate_notx_stmt(&n, i, &recorded, e);

		if (step == MIGRATE_STEP_DONE) {
			if (!recorded && migrate_notx_progress(&n, i, e) < 0) {
				/* the statement ran but its progress could not be
				 * written: a resumed run will run it again */
				zerr_prefix(e, "%s:%d", m->path, m->script.v[i].line);
				return -1;
			}
			continue;
		}
		if (step == MIGRATE_STEP_LOST)
			return -1;
		if (step == MIGRATE_STEP_INTERRUPTED) {
			zerr_set(e, ZDM_EXIT_FAILED, "interrupted by %s while applying %s",
				 db_interrupt_name(), m->path);
			zerr_detail(e,
				    "%zu of %zu statements are applied and recorded; the next run "
				    "resumes at statement %zu",
				    i, m->script.n, i + 1);
		}
		{
			struct hist_row prev = { .rank = n.rank };
			migrate_record_failure(c, m, &prev, (int)i, i, util_now_ms() - n.start, e);
		}
		return -1;
	}
	if (m->script.n == 0) {
		n.w.success = 1;
		n.w.execution_ms = (int)(util_now_ms() - n.start);
		if (history_update(&c->h, c->work, n.rank, &n.w, e) < 0)
			return -1;
	}
	log_event(LOG_INFO, "applied",
		  json_pack("{s:s, s:I}", "file", m->file, "ms",
			    (json_int_t)(util_now_ms() - n.start)),
		  "applied %s (%zu statement%s without a transaction%s, %lld ms)", m->file,
		  m->script.n, m->script.n == 1 ? "" : "s", n.from ? ", resumed" : "",
		  util_now_ms() - n.start);
	json_array_append_new(c->applied, migrate_applied_json(m, util_now_ms() - n.start, n.from));
	return 0;
}

/* A backfill's history row values for migration m. */
static void migrate_backfill_write(struct hist_write *w, const struct src_migration *m)
{
	memset(w, 0, sizeof(*w));
	w->version = m->version;
	w->description = m->description;
	w->script = m->file;
	w->type = m->kind == SRC_BASELINE ? "SQL_BASELINE" : NULL;
	w->checksum = m->checksum;
	w->total_stmts = 1;
}

/* The end of a backfill in history row w (rc 0: done). */
static void migrate_backfill_end(struct hist_write *w, int rc, long long start,
				 const struct zerr *e)
{
	w->execution_ms = (int)(util_now_ms() - start);
	w->success = rc == 0;
	w->applied_stmts = rc == 0;
	w->error = rc == 0 ? NULL : e->msg;
}

/* "a.sql, b.sql and c.sql": first, then the files of more[0..n) */
static void migrate_file_list(struct sb *s, const char *first, struct src_migration *const *more,
			      size_t n)
{
	sb_adds(s, first);
	for (size_t i = 0; i < n; i++)
		sb_addf(s, "%s%s", i + 1 < n ? ", " : " and ", more[i]->file);
}

/* Apply a backfill migration: an in-progress history row whose
 * backfill_key is the resume point, committed with every batch. also:
 * nalso more migrations (recipes) whose backfills this one UPDATE does,
 * with their history rows (also_rank), which take the same resume point
 * and the same end. recipe: zdm wrote the UPDATE, whose WHERE leaves out
 * the rows it has done, so its batches may be split (backfill.c). */
static int migrate_apply_backfill(struct migrate_ctx *c, struct plan_item *it,
				  struct src_migration *const *also, const int *also_rank,
				  size_t nalso, int recipe, struct zerr *e)
{
	const struct migrate_opts *o = c->o;
	struct src_migration *m = it->m;
	size_t nrows = 1 + nalso;
	struct hist_write *w = xcalloc(nrows, sizeof(*w));
	int *ranks = xcalloc(nrows, sizeof(*ranks));
	struct backfill_ctx b = { 0 };
	long long start = util_now_ms();
	int rc = -1;
	struct sb names;

	migrate_backfill_write(&w[0], m);
	for (size_t i = 0; i < nalso; i++) {
		migrate_backfill_write(&w[1 + i], also[i]);
		ranks[1 + i] = also_rank[i];
	}
	if (it->row) {
		ranks[0] = it->row->rank;
		b.resume_after = it->row->backfill_key;
	} else if ((ranks[0] = history_insert(&c->h, c->work, &w[0], e)) < 0) {
		goto out;
	}
	b.db = c->work;
	b.observer = &c->obs;
	b.h = &c->h;
	b.ranks = ranks;
	b.w = w;
	b.nrows = nrows;
	b.m = m;
	b.lock_timeout_ms = migrate_lock_timeout(o, m);
	b.statement_timeout_ms = migrate_stmt_timeout(o, m);
	b.ddl_retries = o->ddl_retries;
	b.max_replica_lag_ms = o->max_replica_lag_ms;
	b.may_split = recipe;
	rc = backfill_run(&b, e);
	for (size_t i = 0; i < nrows; i++)
		migrate_backfill_end(&w[i], rc, start, e);
	if (rc < 0) {
		/* keep the rows' resume point; record why it stopped */
		struct zerr e2 = { 0 };
		db_rollback(c->work);
		for (size_t i = 0; i < nrows && PQstatus(c->work->conn) == CONNECTION_OK; i++)
			if (history_update(&c->h, c->work, ranks[i], &w[i], &e2) < 0) {
				log_warn("history", "could not record the failure: %s", e2.msg);
				break;
			}
		goto out;
	}
	rc = -1;
	for (size_t i = 0; i < nrows; i++)
		if (history_update(&c->h, c->work, ranks[i], &w[i], e) < 0)
			goto out;
	sb_init(&names);
	migrate_file_list(&names, m->file, also, nalso);
	log_event(LOG_INFO, "applied",
		  json_pack("{s:s, s:I, s:I}", "file", m->file, "ms", (json_int_t)w[0].execution_ms,
			    "rows", (json_int_t)b.rows),
		  "applied %s (%sbackfill of %s: %lld rows, %d ms)", names.buf, nalso ? "one " : "",
		  m->bf_table, b.rows, w[0].execution_ms);
	sb_release(&names);
	json_array_append_new(c->applied, migrate_applied_json(m, w[0].execution_ms, 0));
	rc = 0;
out:
	free(w);
	free(ranks);
	return rc;
}

static int migrate_apply_notx(struct migrate_ctx *c, struct plan_item *it, struct zerr *e)
{
	char *allowed = srclint_allowed(&c->lint, it->m->path);
	int rc;

	if (it->m->tx_detected)
		log_event(LOG_INFO, "no-transaction", json_pack("{s:s}", "file", it->m->file),
			  "%s runs without a transaction, statement by statement: it has "
			  "statements that cannot run in one (as Flyway detects them)",
			  it->m->file);
	rc = migrate_apply_notx_steps(c, it, allowed, e);

	free(allowed);
	return rc;
}

/* --force-contract ran a contract (what: "applying contract migration",
 * ...) that the guard defers (why): say so loudly and count it. */
static void migrate_forced(struct migrate_ctx *c, const char *what, const char *file,
			   const char *need, const char *why)
{
	log_event(LOG_WARN, "contract-forced",
		  json_pack("{s:s, s:s}", "file", file, "requires_app", need),
		  "FORCED: %s %s (--force-contract), which the guard defers: %s; pods of older "
		  "versions may break",
		  what, file, why);
	c->forced++;
}

/* ---- recipes (recipe.h) ---- */

static int migrate_recipe_table(struct migrate_ctx *c, int *yes, struct zerr *e);
static int migrate_recipe_contract(struct migrate_ctx *c, struct src_migration *m, struct zerr *e);
static int migrate_recipe_ddl(struct migrate_ctx *c, const struct src_migration *m,
			      const char *const *steps, int n, const struct db_cmd *also, int nalso,
			      long long lock_ms, const char *what, struct zerr *e);

/* A recipe's generated migration text, loaded like a file and given the
 * recipe file's identity (name, version, checksum) for the history row. */
static int migrate_recipe_load(const struct src_migration *m, const char *text, struct src_set *set,
			       struct zerr *e)
{
	char *name = xasprintf("V%s__recipe.sql", m->version);
	struct src_text t = { name, text, strlen(text) };
	struct src_migration *g;
	int rc = source_load_texts(&t, 1, set, e);

	free(name);
	if (rc < 0 || set->n != 1) {
		zerr_prefix(e, "%s: the SQL zdm generated for recipe=%s", m->path, m->recipe->name);
		return -1;
	}
	g = &set->v[0];
	free(g->file);
	free(g->path);
	free(g->description);
	g->file = xstrdup(m->file);
	g->path = xstrdup(m->path);
	g->description = xstrdup(m->description);
	g->checksum = m->checksum;
	return 0;
}

/* The recipe's row in <history>_recipes: state ("" when there is none)
 * and whether its backfill is done. */
static int migrate_recipe_state(struct migrate_ctx *c, const char *version, char *state,
				size_t size, int *backfilled, struct zerr *e)
{
	char *sql = xasprintf("SELECT state, backfilled FROM %s WHERE version = $1", c->recipes);
	const char *p[1] = { version };
	PGresult *r = db_query(c->work, sql, 1, p, e);

	free(sql);
	if (!r)
		return -1;
	state[0] = '\0';
	*backfilled = 0;
	if (PQntuples(r) == 1) {
		snprintf(state, size, "%s", PQgetvalue(r, 0, 0));
		*backfilled = PQgetvalue(r, 0, 1)[0] == 't';
	}
	PQclear(r);
	return 0;
}

/* The newest history row of version v: its rank and resume point (NULL
 * when none; caller frees), read from the table rather than c->h, whose
 * rows the plan items point into. -1 with e set when there is none. */
static int migrate_history_row(struct migrate_ctx *c, const char *v, int *rank, char **key,
			       struct zerr *e)
{
	char *sql = xasprintf("SELECT installed_rank, backfill_key FROM %s WHERE version = $1"
			      " ORDER BY installed_rank DESC LIMIT 1",
			      c->h.qname);
	const char *p[1] = { v };
	PGresult *r = db_query(c->work, sql, 1, p, e);

	free(sql);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return zerr_set(e, ZDM_EXIT_FAILED, "version %s has no row in %s", v, c->h.display);
	}
	*rank = (int)db_value_ll(r, 0, 0, 0);
	*key = db_value_dup(r, 0, 1);
	PQclear(r);
	return 0;
}

/* How long the VALIDATE after a backfill waits for its lock (ms). */
#define MIGRATE_VALIDATE_WAIT_MS 200

/* Once m's backfill is done, validate its NOT NULL check (when it has
 * one, NOT VALID: recipe_validate_sql) while the apps run, so that its
 * contract has no table to scan. Best effort: the contract keeps its own
 * VALIDATE step, which does the work when this could not. held: an
 * earlier recipe of the same backfill found the table held, and this one
 * does not wait for it again. Returns 1 when the table was held. */
static int migrate_recipe_validate(struct migrate_ctx *c, const struct src_migration *m, int held)
{
	struct zerr e = { 0 };
	char *sql = NULL;
	long long start = util_now_ms(), lt = migrate_lock_timeout(c->o, m);
	int later = 0;

	/* One attempt that waits at most MIGRATE_VALIDATE_WAIT_MS, less than
	 * deadlock_timeout's default: what holds a lock that conflicts with
	 * its SHARE UPDATE EXCLUSIVE is a vacuum or a schema change, most
	 * likely the autovacuum of the rows the backfill just wrote, which a
	 * longer wait would have PostgreSQL cancel. */
	if (lt <= 0 || lt > MIGRATE_VALIDATE_WAIT_MS)
		lt = MIGRATE_VALIDATE_WAIT_MS;
	if (recipe_validate_sql(m->recipe, c->work, &sql, &e) == 0) {
		if (!sql)
			return held; /* nothing to validate */
		if (held)
			later = 1;
		else if (migrate_recipe_ddl(c, m, (const char *const *)&sql, 1, NULL, 0, lt,
					    "the VALIDATE of its NOT NULL check", &e) == 0) {
			log_info("validated",
				 "%s: its NOT NULL check validated after the backfill (%lld ms); "
				 "the contract has no rows to scan",
				 m->file, util_now_ms() - start);
			free(sql);
			return 0;
		}
	}
	free(sql);
	if (later || strstr(e.msg, "(SQLSTATE 55P03)")) {
		log_info("validate-later",
			 "%s: its NOT NULL check is left for the contract to validate: a vacuum "
			 "or a schema change holds %s%s",
			 m->file, m->recipe->table,
			 later ? " (as the VALIDATE before it found; not waited for again)" : "");
		return 1;
	}
	if (strstr(e.msg, "(SQLSTATE 23514)"))
		log_warn("recipe",
			 "%s: rows of %s have no value for the column that recipe=%s makes NOT "
			 "NULL (%s); its contract will fail on them: give them a value (an "
			 "UPDATE) before the contract runs",
			 m->file, m->recipe->table, m->recipe->name, e.msg);
	else
		log_warn("recipe",
			 "%s: could not validate its NOT NULL check after the backfill (%s); its "
			 "contract validates it",
			 m->file, e.msg);
	return held;
}

/* The backfill of expanded recipes ms[0..n) (n > 1: a group that
 * recipe_backfill_joins made, run as one UPDATE over the table),
 * resumable: its progress is the history rows' backfill key, the first
 * one's the resume point; the table's sync trigger is off for this
 * session while it runs (zdm.sync_off), so that a backfilled value is
 * not taken for an app's write. */
static int migrate_recipe_backfill(struct migrate_ctx *c, struct src_migration *const *ms, size_t n,
				   struct zerr *e)
{
	const struct recipe **rs = xcalloc(n, sizeof(*rs));
	struct src_set set = { 0 };
	struct plan_item bit = { 0 };
	struct hist_row row = { 0 };
	struct sb names = { 0 };
	int *ranks = xcalloc(n, sizeof(*ranks));
	char *text, *key = NULL;
	int rc = -1, held = 0;

	for (size_t i = 0; i < n; i++)
		rs[i] = ms[i]->recipe;
	text = recipe_backfill_sql(rs, n);
	/* nothing to fill (a row that an older zdm left unfinished for a
	 * set-not-null without up, an add-column without fill): mark it */
	if (!text)
		goto filled;
	if (migrate_recipe_load(ms[0], text, &set, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char *k = NULL;
		if (migrate_history_row(c, ms[i]->version, &ranks[i], &k, e) < 0)
			goto out;
		if (i == 0)
			key = k;
		else
			free(k);
	}
	row.rank = ranks[0];
	row.backfill_key = key;
	bit.row = &row;
	bit.m = &set.v[0];
	bit.state = PLAN_PENDING;
	sb_init(&names);
	migrate_file_list(&names, ms[0]->file, ms + 1, n - 1);
	if (n > 1)
		log_info("backfill", "%s: their backfills of %s run as one pass over the table",
			 names.buf, ms[0]->recipe->table);
	if (db_set(c->work, "zdm.sync_off", "on", 0, e) < 0)
		goto out;
	if (migrate_apply_backfill(c, &bit, ms + 1, ranks + 1, n - 1, 1, e) < 0) {
		/* a NOT VALID check of a recipe (zdm_<version>_nn) refused a
		 * row whose value the backfill left NULL */
		if (strstr(e->msg, "violates check constraint \"zdm_")) {
			char was[sizeof(e->detail)];
			snprintf(was, sizeof(was), "%s", e->detail);
			zerr_detail(e,
				    "%s%sthe backfill of %s fills a column that must become NOT NULL, "
				    "and its value is NULL for this row",
				    was, was[0] ? "; " : "", names.buf);
			zerr_hint(e,
				  "make the column's value non-NULL for such rows (the recipe's "
				  "up or fill block gives NULL for them; an UPDATE of those rows "
				  "fixes the data), then run again: the backfill resumes where "
				  "it stopped");
		}
		goto out;
	}
	/* the versions were reported applied by their expands already */
	json_array_remove(c->applied, json_array_size(c->applied) - 1);
	if (db_exec(c->work, "RESET zdm.sync_off", e) < 0)
		goto out;
filled:
	for (size_t i = 0; i < n; i++) {
		char *sql = xasprintf("UPDATE %s SET backfilled = true WHERE version = $1",
				      c->recipes);
		const char *p[1] = { ms[i]->version };
		PGresult *r = db_query(c->work, sql, 1, p, e);
		free(sql);
		if (!r)
			goto out;
		PQclear(r);
	}
	for (size_t i = 0; i < n && !db_interrupted; i++)
		held = migrate_recipe_validate(c, ms[i], held);
	rc = 0;
out:
	source_release(&set);
	sb_release(&names);
	free(text);
	free(key);
	free(ranks);
	free(rs);
	return rc;
}

/* The expand of recipe versions its[0..n) (one transaction, or statement
 * by statement for CONCURRENTLY), which records each version and its
 * recipe's row together; n > 1: a group (migrate_recipe_group) none of
 * which is expanded, in one transaction (recipe_compile_expand), so that
 * the apps queue behind the table's lock, and then reload the table and
 * its new trigger, once for the group. Nothing when n is 1 and its row
 * exists. fresh: it ran now; backfilled: the recipe's backfill is done
 * (or it has none). */
static int migrate_recipe_expand(struct migrate_ctx *c, struct plan_item *const *its, size_t n,
				 int *fresh, int *backfilled, struct zerr *e)
{
	const struct recipe **rs = xcalloc(n, sizeof(*rs));
	struct recipe_sql *out = xcalloc(n, sizeof(*out));
	struct src_set *sets = xcalloc(n, sizeof(*sets));
	struct plan_item *git = xcalloc(n, sizeof(*git));
	struct src_migration *m = its[0]->m;
	char state[32];
	size_t bad = 0;
	int exists, rc = -1;

	state[0] = '\0';
	*fresh = *backfilled = 0;
	if (migrate_recipe_table(c, &exists, e) < 0 ||
	    (exists && n == 1 &&
	     migrate_recipe_state(c, m->version, state, sizeof(state), backfilled, e) < 0))
		goto out;
	if (state[0]) {
		rc = 0;
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		rs[k] = its[k]->m->recipe;
	if (recipe_compile_expand(rs, n, c->work, c->recipes, out, &bad, e) < 0) {
		zerr_prefix(e, "%s:%d", its[bad]->m->path, rs[bad]->line);
		goto out;
	}
	if (!exists && recipe_state_ensure(c->work, c->recipes, e) < 0)
		goto out;
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < out[k].nnotes; i++)
			log_warn("recipe", "%s: %s", its[k]->m->file, out[k].notes[i]);
		if (migrate_recipe_load(its[k]->m, out[k].expand.buf, &sets[k], e) < 0)
			goto out;
		git[k] = *its[k];
		git[k].m = &sets[k].v[0];
	}
	if (n > 1) {
		struct src_migration **more = xcalloc(n, sizeof(*more));
		struct sb names;
		for (size_t k = 1; k < n; k++)
			more[k - 1] = its[k]->m;
		sb_init(&names);
		migrate_file_list(&names, m->file, more, n - 1);
		log_info("expand", "%s: their expands of %s run in one transaction", names.buf,
			 m->recipe->table);
		sb_release(&names);
		free(more);
	}
	if ((git[0].m->transactional ? migrate_apply_tx(c, git, n, e)
				     : migrate_apply_notx(c, &git[0], e)) < 0)
		goto out;
	*fresh = 1;
	*backfilled = !recipe_backfills(m->recipe);
	rc = 0;
out:
	for (size_t k = 0; k < n; k++) {
		source_release(&sets[k]);
		recipe_sql_release(&out[k]);
	}
	free(sets);
	free(out);
	free(git);
	free(rs);
	return rc;
}

/* Have none of plan items idx[0..n) a row in <history>_recipes? */
static int migrate_recipes_none(struct migrate_ctx *c, const size_t *idx, size_t n, int *none,
				struct zerr *e)
{
	int exists;

	*none = 1;
	if (migrate_recipe_table(c, &exists, e) < 0)
		return -1;
	for (size_t k = 0; exists && *none && k < n; k++) {
		char state[32];
		int bf;
		if (migrate_recipe_state(c, c->plan.v[idx[k]].m->version, state, sizeof(state), &bf,
					 e) < 0)
			return -1;
		*none = !state[0];
	}
	return 0;
}

/* Plan item i's recipe and the pending recipes right after it (before
 * c->stop) whose backfills can join its pass (recipe_backfill_joins): their
 * plan items in idx, their recipes in rs (each with room for c->plan.n -
 * i); returns how many, at least 1. */
static size_t migrate_recipe_group(const struct migrate_ctx *c, size_t i, size_t *idx,
				   const struct recipe **rs)
{
	size_t n = 1;

	idx[0] = i;
	rs[0] = c->plan.v[i].m->recipe;
	for (size_t j = i + 1; recipe_backfills(rs[0]) && j < c->stop; j++) {
		const struct plan_item *it = &c->plan.v[j];
		if (!plan_is_pending(it))
			continue;
		if (!it->m->recipe || !recipe_backfill_joins(rs, n, it->m->recipe))
			break;
		idx[n] = j;
		rs[n++] = it->m->recipe;
	}
	return n;
}

/* Apply the recipe version of plan item i: its expand, then its backfill,
 * then, without a contract-after, its contract. The recipes of its group
 * (migrate_recipe_group) are expanded first and backfilled with it: the
 * table is written once, not once per recipe. *last: the last plan item
 * this applied. */
static int migrate_apply_recipe(struct migrate_ctx *c, size_t i, size_t *last, struct zerr *e)
{
	size_t room = c->plan.n - i, *idx = xcalloc(room, sizeof(*idx));
	const struct recipe **rs = xcalloc(room, sizeof(*rs));
	struct src_migration **g = xcalloc(room, sizeof(*g));
	struct plan_item **its = xcalloc(room, sizeof(*its));
	int *fresh = xcalloc(room, sizeof(*fresh));
	size_t cand = migrate_recipe_group(c, i, idx, rs), n = 0;
	int backfilled, none = 0, rc = -1;

	*last = i;
	for (size_t k = 0; k < cand; k++)
		its[k] = &c->plan.v[idx[k]];
	if (cand > 1 && migrate_recipes_none(c, idx, cand, &none, e) < 0)
		goto out;
	if (none) {
		/* the group's expands in one transaction */
		if (migrate_recipe_expand(c, its, cand, &fresh[0], &backfilled, e) < 0)
			goto out;
		for (n = 0; n < cand; n++) {
			g[n] = its[n]->m;
			fresh[n] = 1;
		}
		*last = idx[cand - 1];
	} else {
		/* one by one (the group's first is expanded, by a run that
		 * stopped before its backfill, or it is alone) */
		if (migrate_recipe_expand(c, its, 1, &fresh[0], &backfilled, e) < 0)
			goto out;
		g[n++] = c->plan.v[i].m;
		for (size_t k = 1; !backfilled && k < cand; k++) {
			int bf;
			log_info("applying", "applying %s (its backfill joins that of %s)",
				 its[k]->m->file, g[0]->file);
			if (migrate_recipe_expand(c, its + k, 1, &fresh[n], &bf, e) < 0)
				goto out;
			*last = idx[k];
			if (bf)
				break;
			g[n++] = its[k]->m;
		}
	}
	if (!backfilled && migrate_recipe_backfill(c, g, n, e) < 0)
		goto out;
	/* no contract-after: nothing waits, contract now (before a later
	 * version changes the table, a rename-table say) */
	for (size_t k = 0; k < n; k++)
		if (!g[k]->recipe->contract_after && fresh[k] &&
		    migrate_recipe_contract(c, g[k], e) < 0)
			goto out;
	rc = 0;
out:
	free(idx);
	free(rs);
	free(g);
	free(its);
	free(fresh);
	return rc;
}

static struct src_migration *migrate_recipe_file(struct migrate_ctx *c, const char *version)
{
	for (size_t i = 0; i < c->src.n; i++)
		if (c->src.v[i].recipe && source_version_cmp(c->src.v[i].version, version) == 0)
			return &c->src.v[i];
	return NULL;
}

static int migrate_ms_cmp(const void *pa, const void *pb)
{
	const struct src_migration *const *a = pa, *const *b = pb;
	return source_version_cmp((*a)->version, (*b)->version);
}

/* Recipes whose backfill a killed run left unfinished: finish them before
 * anything else runs (later versions may rely on the backfilled data), in
 * version order; those that ran as one pass (the same resume point in
 * their history rows) go on as one. */
static int migrate_recipe_resume(struct migrate_ctx *c, struct zerr *e)
{
	char *sql = xasprintf("SELECT version FROM %s WHERE NOT backfilled AND state = 'expanded'",
			      c->recipes);
	PGresult *r = db_query(c->work, sql, 0, NULL, e);
	struct src_migration **ms;
	const struct recipe **rs;
	char **keys;
	size_t n = 0;
	int rc = -1;

	free(sql);
	if (!r)
		return -1;
	ms = xcalloc((size_t)PQntuples(r) + 1, sizeof(*ms));
	rs = xcalloc((size_t)PQntuples(r) + 1, sizeof(*rs));
	keys = xcalloc((size_t)PQntuples(r) + 1, sizeof(*keys));
	for (int i = 0; i < PQntuples(r); i++) {
		struct src_migration *m = migrate_recipe_file(c, PQgetvalue(r, i, 0));
		if (!m) {
			log_warn("recipe",
				 "the backfill of recipe version %s is unfinished and its file "
				 "is gone; restore the file to finish it",
				 PQgetvalue(r, i, 0));
			continue;
		}
		ms[n++] = m;
	}
	PQclear(r);
	util_sort(ms, n, sizeof(*ms), migrate_ms_cmp);
	for (size_t i = 0; i < n; i++) {
		int rank;
		if (migrate_history_row(c, ms[i]->version, &rank, &keys[i], e) < 0)
			goto out;
	}
	for (size_t i = 0, k; i < n; i = k) {
		rs[i] = ms[i]->recipe;
		for (k = i + 1; k < n; k++) {
			rs[k] = ms[k]->recipe;
			if (!recipe_backfill_joins(rs + i, k - i, rs[k]) || !keys[i] != !keys[k] ||
			    (keys[i] && strcmp(keys[i], keys[k]) != 0))
				break;
		}
		if (recipe_backfills(rs[i]))
			log_info("resume",
				 "%s%s: finishing its backfill (an earlier run stopped in it)",
				 ms[i]->file, k - i > 1 ? " and the recipes after it" : "");
		if (migrate_recipe_backfill(c, ms + i, k - i, e) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(rs);
	free(ms);
	return rc;
}

/* Run steps[0..n), DDL statements of recipe file m, in one transaction
 * of its own under m's timeouts, with also[0..nalso) after them in it; a
 * lost lock race is retried. lock_ms >= 0: that lock_timeout instead, and
 * one attempt. what names them in messages ("contract step 2 of 4"). */
static int migrate_recipe_ddl(struct migrate_ctx *c, const struct src_migration *m,
			      const char *const *steps, int n, const struct db_cmd *also, int nalso,
			      long long lock_ms, const char *what, struct zerr *e)
{
	struct db_retry retry;
	long long lt = lock_ms >= 0 ? lock_ms : migrate_lock_timeout(c->o, m), delay;
	char note[160];
	struct db_cmd *cmds = xcalloc((size_t)n + (size_t)nalso + 3, sizeof(*cmds));
	int rc = -1;

	db_retry_init(&retry, lock_ms >= 0 ? 0 : c->o->ddl_retries);
	for (;;) {
		struct migrate_timeouts t;
		struct db_run run;
		int k = 0, first;

		long long lt_try = db_retry_lock_timeout(&retry, lt);

		migrate_timeouts_cmd(&t, lt_try, migrate_stmt_timeout(c->o, m), 1);
		cmds[k++] = (struct db_cmd){ "BEGIN", 0, NULL, 0 };
		cmds[k++] = t.cmd;
		first = k;
		for (int i = 0; i < n; i++)
			cmds[k++] = (struct db_cmd){ steps[i], 0, NULL, 0 };
		for (int i = 0; i < nalso; i++)
			cmds[k++] = also[i];
		cmds[k++] = (struct db_cmd){ "COMMIT", 0, NULL, 0 };
		/* a single best-effort attempt (lock_ms) names no blocker: it
		 * has no second session look one up, which would connect while
		 * the apps are busy just for a VALIDATE's scan */
		if (db_pipeline(c->work, &c->obs, cmds, k, -1,
				lock_ms >= 0 ? 0 : db_watch_ms(lt_try), &run) == 0) {
			rc = 0;
			break;
		}
		db_rollback(c->work);
		delay = db_retry_next(&retry, &run);
		if (delay < 0) {
			db_run_error(c->work, &run, "recipe step failed", e);
			PQclear(run.res);
			zerr_prefix(e, "%s: %s (%.200s)", m->path, what,
				    run.failed >= first && run.failed < first + n
					    ? steps[run.failed - first]
					    : steps[0]);
			break;
		}
		log_event(LOG_WARN, "lock-timeout",
			  json_pack("{s:s, s:s, s:i, s:s, s:I}", "file", m->file, "what", what,
				    "attempt", retry.attempt, "blocked_by", run.blockers,
				    "next_lock_timeout_ms",
				    (json_int_t)db_retry_lock_timeout(&retry, lt)),
			  "%s: %s %s; blocked by %s; retry %d of %d in %lld ms%s", m->file, what,
			  db_retry_is_deadlock(run.res)
				  ? "deadlocked with another session"
				  : "timed out waiting for a lock (lock_timeout)",
			  db_run_blockers(&run), retry.attempt, c->o->ddl_retries, delay,
			  db_retry_note(&retry, lt, note, sizeof(note)));
		PQclear(run.res);
		util_sleep_ms(delay);
	}
	free(cmds);
	return rc;
}

/* The end of the transaction of contract step i of steps[0..n): a
 * VALIDATE runs alone (its scan must not hold the ACCESS EXCLUSIVE lock
 * of another step), the steps between VALIDATEs together (catalog
 * changes that take the table's lock once, not once per step). */
static int migrate_step_group_end(const char *const *steps, int i, int n)
{
	int j = i + 1;

	while (!recipe_step_is_validate(steps[i]) && j < n && !recipe_step_is_validate(steps[j]))
		j++;
	return j;
}

/* Run contract steps[i..j) of n of recipe version v in one transaction
 * with their progress (migrate_recipe_ddl). */
static int migrate_recipe_steps(struct migrate_ctx *c, const struct src_migration *m,
				const char *const *steps, int i, int j, int n, struct zerr *e)
{
	char next[16], total[16], what[64];
	const char *params[3] = { next, total, m->version };
	char *prog = xasprintf("UPDATE %s SET contract_step = $1::int,"
			       " state = CASE WHEN $1::int = $2::int THEN 'contracted'"
			       " ELSE 'contracting' END,"
			       " contracted_at = CASE WHEN $1::int = $2::int THEN now() END,"
			       " error = NULL WHERE version = $3",
			       c->recipes);
	struct db_cmd also = { prog, 3, params, 0 };
	int rc;

	snprintf(next, sizeof(next), "%d", j);
	snprintf(total, sizeof(total), "%d", n);
	if (j - i == 1)
		snprintf(what, sizeof(what), "contract step %d of %d", i + 1, n);
	else
		snprintf(what, sizeof(what), "contract steps %d to %d of %d", i + 1, j, n);
	rc = migrate_recipe_ddl(c, m, steps + i, j - i, &also, 1, -1, what, e);
	free(prog);
	return rc;
}

/* v[0..n) as a text[] literal */
static void migrate_text_array(struct sb *arr, const char *const *v, size_t n)
{
	sb_init(arr);
	sb_addc(arr, '{');
	for (size_t i = 0; i < n; i++) {
		sb_adds(arr, i ? ",\"" : "\"");
		for (const char *q = v[i]; *q; q++) {
			if (*q == '"' || *q == '\\')
				sb_addc(arr, '\\');
			sb_addc(arr, *q);
		}
		sb_addc(arr, '"');
	}
	sb_addc(arr, '}');
}

/* The log line of recipe file m's contract of n steps, begun at start;
 * together: in one transaction with others. */
static void migrate_log_contracted(const struct src_migration *m, int n, long long start,
				   int together)
{
	log_event(LOG_INFO, "contracted",
		  json_pack("{s:s, s:s, s:i}", "file", m->file, "recipe", m->recipe->name, "steps",
			    n),
		  "contracted %s (recipe=%s on %s: %d step%s, %lld ms%s)", m->file, m->recipe->name,
		  m->recipe->table, n, n == 1 ? "" : "s", util_now_ms() - start,
		  together ? ", in one transaction with the others" : "");
}

/* Contract one recipe: its steps are compiled once, stored in its row
 * (so a resumed run runs the same ones), then run from the first not
 * done. */
static int migrate_recipe_contract(struct migrate_ctx *c, struct src_migration *m, struct zerr *e)
{
	const char *p[2] = { m->version, NULL };
	char *sql =
		xasprintf("SELECT contract_sql IS NULL, contract_step FROM %s WHERE version = $1",
			  c->recipes);
	PGresult *r = db_query(c->work, sql, 1, p, e);
	long long start = util_now_ms();
	const char **steps = NULL;
	int from, rc = -1, n;

	free(sql);
	if (!r)
		return -1;
	if (PQgetvalue(r, 0, 0)[0] == 't') {
		struct recipe_sql out = { 0 };
		struct sb arr;
		PQclear(r);
		if (recipe_compile_contract(m->recipe, c->work, c->recipes, 0, NULL, 0, &out, e) <
		    0) {
			zerr_prefix(e, "%s:%d: contract", m->path, m->recipe->line);
			return -1;
		}
		migrate_text_array(&arr, (const char *const *)out.contract, out.ncontract);
		recipe_sql_release(&out);
		p[1] = arr.buf;
		sql = xasprintf("UPDATE %s SET contract_sql = $2::text[], state = 'contracting'"
				" WHERE version = $1",
				c->recipes);
		r = db_query(c->work, sql, 2, p, e);
		free(sql);
		sb_release(&arr);
		if (!r)
			return -1;
		PQclear(r);
		from = 0;
	} else {
		from = (int)db_value_ll(r, 0, 1, 0);
		PQclear(r);
	}
	sql = xasprintf("SELECT s FROM %s, unnest(contract_sql) WITH ORDINALITY AS u(s, i)"
			" WHERE version = $1 ORDER BY i",
			c->recipes);
	r = db_query(c->work, sql, 1, p, e);
	free(sql);
	if (!r)
		return -1;
	n = PQntuples(r);
	steps = xcalloc((size_t)n + 1, sizeof(*steps));
	for (int i = 0; i < n; i++)
		steps[i] = PQgetvalue(r, i, 0);
	if (from > 0)
		log_info("resume", "%s: resuming its contract at step %d of %d", m->file, from + 1,
			 n);
	for (int i = from, j; i < n; i = j) {
		j = migrate_step_group_end(steps, i, n);
		if (migrate_recipe_steps(c, m, steps, i, j, n, e) < 0)
			goto out;
	}
	if (n == 0) {
		/* nothing to run: mark it contracted */
		const char *none[1] = { "SELECT 1" };
		if (migrate_recipe_steps(c, m, none, 0, 1, 1, e) < 0)
			goto out;
	}
	migrate_log_contracted(m, n, start, 0);
	rc = 0;
out:
	free(steps);
	PQclear(r);
	return rc;
}

/* Contract recipes ms[0..n) of one table (n > 1, each of whose
 * contracts recipe_contract_joins, none started) in one transaction: the
 * apps queue behind the table's lock, and reload the table, once for them
 * all. Their steps are compiled before any runs (recipe_compile_contract
 * with the versions before each) and recorded with their rows in that
 * transaction: a killed one leaves them all as they were, to be compiled
 * again. */
static int migrate_recipe_contract_batch(struct migrate_ctx *c, struct src_migration *const *ms,
					 size_t n, struct zerr *e)
{
	struct recipe_sql *out = xcalloc(n, sizeof(*out));
	const char **before = xcalloc(n, sizeof(*before)), **steps = NULL;
	struct db_cmd *rows = xcalloc(n, sizeof(*rows));
	const char **params = xcalloc(3 * n, sizeof(*params));
	struct sb *arrs = xcalloc(n, sizeof(*arrs)), names;
	char(*counts)[16] = xcalloc(n, sizeof(*counts));
	long long start = util_now_ms();
	char *sql = xasprintf("UPDATE %s SET contract_sql = $2::text[], contract_step = $3::int,"
			      " state = 'contracted', contracted_at = now(), error = NULL"
			      " WHERE version = $1",
			      c->recipes);
	size_t nsteps = 0, k;
	int rc = -1;

	sb_init(&names);
	migrate_file_list(&names, ms[0]->file, ms + 1, n - 1);
	for (k = 0; k < n; k++) {
		before[k] = ms[k]->version;
		if (recipe_compile_contract(ms[k]->recipe, c->work, c->recipes, 0, before, k,
					    &out[k], e) < 0) {
			zerr_prefix(e, "%s:%d: contract", ms[k]->path, ms[k]->recipe->line);
			goto out;
		}
		steps = xrealloc(steps, (nsteps + out[k].ncontract + 1) * sizeof(*steps));
		for (size_t i = 0; i < out[k].ncontract; i++)
			steps[nsteps++] = out[k].contract[i];
		migrate_text_array(&arrs[k], (const char *const *)out[k].contract,
				   out[k].ncontract);
		snprintf(counts[k], sizeof(counts[k]), "%zu", out[k].ncontract);
		params[3 * k] = ms[k]->version;
		params[3 * k + 1] = arrs[k].buf;
		params[3 * k + 2] = counts[k];
		rows[k] = (struct db_cmd){ sql, 3, params + 3 * k, 0 };
	}
	log_info("contract", "%s: their contracts of %s run in one transaction", names.buf,
		 ms[0]->recipe->table);
	{
		char *what = xasprintf("the contracts of %s (one transaction)", names.buf);
		rc = migrate_recipe_ddl(c, ms[0], steps, (int)nsteps, rows, (int)n, -1, what, e);
		free(what);
	}
	for (k = 0; rc == 0 && k < n; k++)
		migrate_log_contracted(ms[k], (int)out[k].ncontract, start, 1);
out:
	for (k = 0; k < n; k++) {
		recipe_sql_release(&out[k]);
		sb_release(&arrs[k]);
	}
	sb_release(&names);
	free(sql);
	free(out);
	free(before);
	free(steps);
	free(rows);
	free(params);
	free(arrs);
	free(counts);
	return rc;
}

static int migrate_row_version_cmp(const void *pa, const void *pb)
{
	return source_version_cmp(*(char *const *)pa, *(char *const *)pb);
}

/* The table of vs[i] ("version\0table") */
static const char *migrate_row_table(char *const *vs, size_t i)
{
	return vs[i] + strlen(vs[i]) + 1;
}

/* May the contract of recipe version vs[i] (file ms[i], NULL when it is
 * gone) run now? ok[i] 1 yes, 2 no: it waits for an earlier recipe on its
 * table (blocked[0..nblocked)), for its file or for the guard; each is
 * logged. Decided once: nothing when ok[i] is set. */
static int migrate_contract_ok(struct migrate_ctx *c, struct guard *g,
			       struct src_migration *const *ms, char *const *vs, size_t i,
			       char *const *blocked, size_t nblocked, int *ok, struct zerr *e)
{
	const struct src_migration *m = ms[i];
	const char *version = vs[i], *table = migrate_row_table(vs, i);
	int wait = 0;
	char *why = NULL;

	if (ok[i])
		return 0;
	ok[i] = 2;
	for (size_t k = 0; k < nblocked; k++)
		wait |= strcmp(blocked[k], table) == 0;
	if (!m) {
		log_warn("recipe",
			 "recipe version %s is expanded but its file is gone; its "
			 "contract cannot run until the file is back",
			 version);
		return 0;
	}
	if (wait) {
		log_info("contract-waits",
			 "%s: its contract waits for the earlier recipe on %s to contract", m->file,
			 table);
		return 0;
	}
	ok[i] = 1;
	if (m->recipe->contract_after) {
		char *what = xasprintf("the contract of %s (recipe=%s contract-after=%s)", m->file,
				       m->recipe->name, m->recipe->contract_after);
		int allows = guard_allows(g, what, m->recipe->contract_after, &why, e);
		free(what);
		if (allows < 0)
			return -1;
		if (!allows && c->o->force_contract) {
			migrate_forced(c, "running the contract of", m->file,
				       m->recipe->contract_after, why);
		} else if (!allows) {
			log_event(LOG_WARN, "contract-deferred",
				  json_pack("{s:s}", "file", m->file), "DEFERRED: %s", why);
			if (!c->deferred)
				c->deferred = xstrdup(why);
			ok[i] = 2;
		}
		free(why);
	}
	return 0;
}

/* Can recipe file m's contract run in one transaction with others
 * (migrate_recipe_contract_batch): none of its steps has run or been
 * compiled, and recipe_contract_joins? */
static int migrate_contract_joins(struct migrate_ctx *c, const struct src_migration *m, int *yes,
				  struct zerr *e)
{
	char *sql = xasprintf("SELECT contract_sql IS NULL FROM %s WHERE version = $1", c->recipes);
	const char *p[1] = { m->version };
	PGresult *r = db_query(c->work, sql, 1, p, e);

	free(sql);
	*yes = 0;
	if (!r)
		return -1;
	*yes = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return *yes ? recipe_contract_joins(m->recipe, c->work, yes, e) : 0;
}

/* Run the contracts the guard allows, in version order; a recipe waits
 * for the earlier recipes on its table. Each deferral is logged; none
 * holds back a later version's expand. Consecutive ones on one table
 * whose contracts can run together (migrate_contract_joins) run in one
 * transaction. */
static int migrate_recipe_contracts(struct migrate_ctx *c, struct zerr *e)
{
	char *sql = xasprintf("SELECT version, table_name FROM %s WHERE state <> 'contracted'"
			      " AND backfilled",
			      c->recipes);
	PGresult *r = db_query(c->work, sql, 0, NULL, e);
	char **vs = NULL, **blocked = NULL;
	struct src_migration **ms = NULL, **batch = NULL;
	int *ok = NULL; /* per version: 0 not decided, 1 runs, 2 does not */
	size_t n = 0, nblocked = 0;
	struct guard g;
	int rc = 0;

	free(sql);
	if (!r)
		return -1;
	n = (size_t)PQntuples(r);
	vs = xcalloc(n + 1, sizeof(*vs));
	for (size_t i = 0; i < n; i++)
		vs[i] = xasprintf("%s%c%s", PQgetvalue(r, (int)i, 0), '\0',
				  PQgetvalue(r, (int)i, 1));
	PQclear(r);
	/* version order (the table name follows the version's NUL) */
	util_sort(vs, n, sizeof(*vs), migrate_row_version_cmp);
	ms = xcalloc(n + 1, sizeof(*ms));
	batch = xcalloc(n + 1, sizeof(*batch));
	ok = xcalloc(n + 1, sizeof(*ok));
	for (size_t i = 0; i < n; i++)
		ms[i] = migrate_recipe_file(c, vs[i]);
	guard_init(&g, c->o, c->work);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *table = migrate_row_table(vs, i);
		size_t nb = 0, j = i + 1;
		int joins = 0;

		if (migrate_contract_ok(c, &g, ms, vs, i, blocked, nblocked, ok, e) < 0) {
			rc = -1;
			break;
		}
		if (ok[i] == 2) {
			blocked = xrealloc(blocked, (nblocked + 1) * sizeof(*blocked));
			blocked[nblocked++] = (char *)table;
			continue;
		}
		if (db_interrupted) {
			rc = zerr_set(e, ZDM_EXIT_FAILED,
				      "interrupted by %s before the contract of %s",
				      db_interrupt_name(), ms[i]->file);
			break;
		}
		batch[nb++] = ms[i];
		if (migrate_contract_joins(c, ms[i], &joins, e) < 0) {
			rc = -1;
			break;
		}
		/* the next ones on this table that run now and can join it */
		for (; joins && j < n && strcmp(migrate_row_table(vs, j), table) == 0; j++) {
			if (migrate_contract_ok(c, &g, ms, vs, j, blocked, nblocked, ok, e) < 0 ||
			    (ok[j] == 1 && migrate_contract_joins(c, ms[j], &joins, e) < 0)) {
				rc = -1;
				break;
			}
			if (ok[j] != 1 || !joins)
				break;
			batch[nb++] = ms[j];
		}
		if (rc < 0)
			break;
		rc = nb > 1 ? migrate_recipe_contract_batch(c, batch, nb, e)
			    : migrate_recipe_contract(c, ms[i], e);
		i += nb - 1;
	}
	guard_release(&g);
	for (size_t i = 0; i < n; i++)
		free(vs[i]);
	free(vs);
	free(ms);
	free(batch);
	free(ok);
	free(blocked);
	return rc;
}

/* Does <history>_recipes exist? (It is made by the first recipe's
 * expand, so that a recipe refused at apply time leaves nothing.) */
static int migrate_recipe_table(struct migrate_ctx *c, int *yes, struct zerr *e)
{
	*yes = 0;
	return c->recipes ? recipe_state_exists(c->work, c->recipes, yes, e) : 0;
}

/* Is there recipe work left in the database: an unfinished backfill or a
 * contract not run? (Without the lock: the fast path asks it.) */
static int migrate_recipe_work(struct migrate_ctx *c, int *any, struct zerr *e)
{
	PGresult *r;
	char *sql;
	int exists;

	*any = 0;
	if (migrate_recipe_table(c, &exists, e) < 0)
		return -1;
	if (!exists)
		return 0;
	sql = xasprintf("SELECT count(*) FROM %s WHERE state <> 'contracted'", c->recipes);
	r = db_query(c->work, sql, 0, NULL, e);
	free(sql);
	if (!r)
		return -1;
	*any = db_value_ll(r, 0, 0, 0) > 0;
	PQclear(r);
	return 0;
}

static size_t migrate_count_pending(const struct plan *p, size_t from, size_t to)
{
	size_t n = 0;

	for (size_t i = from; i < to && i < p->n; i++)
		n += plan_is_pending(&p->v[i]);
	return n;
}

/* The contract guard (guard.h): find the first pending phase=contract
 * migration that may not run yet. Sets c->stop (plan.n when nothing is
 * deferred) and c->deferred. */
static int migrate_guard(struct migrate_ctx *c, struct zerr *e)
{
	const struct migrate_opts *o = c->o;
	struct guard g;
	int rc = 0;

	free(c->deferred);
	c->deferred = NULL;
	c->stop = c->plan.n;
	c->forced = 0;
	guard_init(&g, o, c->work);
	for (size_t i = 0; i < c->plan.n; i++) {
		struct plan_item *it = &c->plan.v[i];
		char *what, *why = NULL;
		int ok;

		if (!plan_is_pending(it) || it->m->phase != SRC_PHASE_CONTRACT)
			continue;
		what = xasprintf("%s (phase=contract requires-app=%s)", it->m->file,
				 it->m->requires_app);
		ok = guard_allows(&g, what, it->m->requires_app, &why, e);
		free(what);
		if (ok < 0) {
			rc = -1;
			break;
		}
		if (ok)
			continue;
		if (o->force_contract) {
			migrate_forced(c, "applying contract migration", it->m->file,
				       it->m->requires_app, why);
			free(why);
			continue;
		}
		c->stop = i;
		c->deferred = xasprintf("%s%s", why,
					migrate_count_pending(&c->plan, i + 1, c->plan.n)
						? "; the migrations after it stay pending too"
						: "");
		free(why);
		break;
	}
	guard_release(&g);
	return rc;
}

/* Is the database empty: no successful history row and no relation of
 * its own (tables, views, sequences, ... outside the system schemas and
 * not members of an extension; the history table does not count)? */
static int migrate_db_empty(struct migrate_ctx *c, int *empty, struct zerr *e)
{
	static const char sql[] =
		"SELECT count(*) FROM pg_catalog.pg_class c"
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
		" AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
		" AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
		" AND NOT (n.nspname = $1 AND c.relname = $2)"
		" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
		" WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
		" AND d.objid = c.oid AND d.deptype = 'e')"
		" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
		" WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
		" AND d.objid = c.oid AND d.deptype IN ('a', 'i')"
		" AND d.refobjid = pg_catalog.to_regclass($3))";
	const char *params[3] = { c->h.schema, c->h.table, c->h.qname };
	PGresult *r;

	*empty = 0;
	for (size_t i = 0; i < c->h.n; i++)
		if (c->h.v[i].success)
			return 0;
	r = db_query(c->work, sql, 3, params, e);
	if (!r)
		return -1;
	*empty = db_value_ll(r, 0, 0, 1) == 0;
	PQclear(r);
	return 0;
}

/* Lint the pending migrations (applied ones teach the context) as one
 * run: a table an earlier pending file creates did not exist before the
 * run; on an empty database nothing can be hurt, so blocking and
 * contract findings are logged as information. Log the warnings and
 * allowed findings, refuse (exit 6) on anything unsafe. */
static int migrate_lint(struct migrate_ctx *c, struct zerr *e)
{
	unsigned char *learn = xcalloc(c->src.n ? c->src.n : 1, 1);
	struct srclint_opts lo = { .run_scope = 1 };
	size_t info = 0;
	int rc;

	if (migrate_db_empty(c, &lo.empty_db, e) < 0) {
		free(learn);
		return -1;
	}
	c->linted_empty = lo.empty_db;
	memset(learn, 1, c->src.n);
	for (size_t i = 0; i < c->plan.n; i++) {
		const struct plan_item *it = &c->plan.v[i];
		if (!it->m || !plan_is_pending(it))
			continue;
		if (it->m->kind == SRC_BASELINE)
			lo.baseline = it->m;
		else if (!(c->since_learn && c->since_learn[it->m - c->src.v]))
			learn[it->m - c->src.v] = 0; /* --since: applied, not judged */
	}
	lint_report_release(&c->lint);
	rc = srclint_run_opts(&c->src, learn, &lo, &c->lint, e);
	free(learn);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < c->lint.n; i++)
		info += c->lint.v[i].allowed == LINT_ALLOWED_BY_EMPTY_DB;
	if (info > 0)
		log_event(LOG_INFO, "empty-database", json_pack("{s:i}", "findings", (int)info),
			  "empty database: %zu blocking or contract finding%s reported as information "
			  "(nothing runs against the database while it is built; \"zdm-hook lint\" "
			  "lists them)",
			  info, info == 1 ? "" : "s");
	for (size_t i = 0; i < c->lint.n; i++) {
		const struct lint_finding *f = &c->lint.v[i];
		struct lintfmt_item it;
		struct sb s;

		if (f->refusing || f->allowed == LINT_ALLOWED_BY_EMPTY_DB)
			continue;
		lintfmt_view(&it, f);
		sb_init(&s);
		lintfmt_text(&s, &it, LINTFMT_LOG);
		log_event(f->allowed ? LOG_INFO : LOG_WARN,
			  f->allowed ? "lint-allowed" : "lint-warning",
			  json_pack("{s:s, s:i, s:s}", "file", f->path, "line", f->line, "rule",
				    f->rule),
			  "%s", s.buf);
		sb_release(&s);
	}
	return srclint_refuse(&c->lint, e);
}

static void migrate_report_deferral(struct migrate_ctx *c)
{
	if (!c->deferred)
		return;
	log_event(LOG_WARN, "contract-deferred",
		  json_pack("{s:s}", "file", c->plan.v[c->stop].m->file), "DEFERRED: %s",
		  c->deferred);
}

static int migrate_load_and_plan(struct migrate_ctx *c, struct zerr *e)
{
	plan_release(&c->plan);
	if (history_load(&c->h, c->work, e) < 0)
		return -1;
	plan_build(&c->plan, &c->src, &c->h, &c->po);
	if (plan_validate(&c->plan, &c->src, c->o->out_of_order, e) < 0)
		return -1;
	return migrate_guard(c, e);
}

/* Expanded recipes whose contract has not run (--dry-run). */
static void migrate_print_contracts(struct migrate_ctx *c)
{
	struct zerr e = { 0 };
	char *sql;
	PGresult *r;
	int any;

	if (migrate_recipe_work(c, &any, &e) < 0 || !any)
		return;
	sql = xasprintf("SELECT version, recipe, table_name, state, contract_after, backfilled"
			" FROM %s WHERE state <> 'contracted'",
			c->recipes);
	r = db_query(c->work, sql, 0, NULL, &e);
	free(sql);
	if (!r)
		return;
	for (int i = 0; i < PQntuples(r); i++)
		log_result("recipe version %s (%s on %s): %s%s, contract %s%s", PQgetvalue(r, i, 0),
			   PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
			   PQgetvalue(r, i, 5)[0] == 't' ? "" : ", backfill unfinished",
			   PQgetisnull(r, i, 4) ? "right away" : "after app ",
			   PQgetisnull(r, i, 4) ? "" : PQgetvalue(r, i, 4));
	PQclear(r);
}

/* What a pending recipe will run, phase by phase (--dry-run): x, its
 * compiled expand; its backfill is the one pass of rs[0..n) (rs[0] ==
 * m->recipe), or, with joins, part of the pass (and of the expand's
 * transaction, with one_tx) of that file's recipe. */
static void migrate_print_recipe(struct migrate_ctx *c, const struct src_migration *m,
				 const struct recipe_sql *x, const struct recipe *const *rs,
				 size_t n, const char *joins, int one_tx)
{
	const struct recipe *r = m->recipe;
	struct recipe_sql k = { 0 };
	struct zerr e = { 0 };
	char *bf = joins ? NULL : recipe_backfill_sql(rs, n);

	log_result("%s: recipe=%s on %s", m->file, r->name, r->table);
	if (joins && one_tx)
		log_result("  expand (pre phase, with the version's history row, in the transaction "
			   "of %s's):\n%s",
			   joins, x->expand.buf);
	else
		log_result("  expand (pre phase, with the version's history row%s):\n%s",
			   one_tx ? "; the expands below run in this transaction too" : "",
			   x->expand.buf);
	for (size_t i = 0; i < x->nnotes; i++)
		log_result("  note: %s", x->notes[i]);
	if (bf)
		log_result("  backfill (in batches, resumable%s):\n%s",
			   n > 1 ? "; one pass for the recipes below it too" : "", bf);
	else if (joins)
		log_result("  backfill: in the one pass of %s (above)", joins);
	if (x->validate)
		log_result("  then, once the backfill is done (no app waits for it; if it cannot "
			   "run, the contract does it):\n%s;",
			   x->validate);
	if (recipe_compile_contract(r, c->work, c->recipes, 1, NULL, 0, &k, &e) == 0) {
		const char *const *steps = (const char *const *)k.contract;
		int nsteps = (int)k.ncontract;
		if (r->contract_after)
			log_result("  contract (once a rollout of app %s or later has completed and no "
				   "older app session is connected), in these transactions:",
				   r->contract_after);
		else
			log_result("  contract (right after the expand), in these transactions:");
		for (int i = 0, j; i < nsteps; i = j) {
			j = migrate_step_group_end(steps, i, nsteps);
			log_result("    BEGIN;");
			for (int t = i; t < j; t++)
				log_result("    %d. %s;", t + 1, steps[t]);
			log_result("    COMMIT;");
		}
	}
	recipe_sql_release(&k);
	free(bf);
}

/* --dry-run: the recipe group of plan item i (migrate_recipe_group), as
 * migrate_apply_recipe runs it: its expands compiled together when none
 * is expanded, its backfills in one pass. */
static void migrate_print_group(struct migrate_ctx *c, const size_t *idx,
				const struct recipe *const *rs, size_t n)
{
	struct recipe_sql *x = xcalloc(n, sizeof(*x));
	const struct src_migration *m0 = c->plan.v[idx[0]].m;
	struct zerr e = { 0 };
	size_t bad = 0, ncomp = n;
	int none = 0;

	if (n > 1 && migrate_recipes_none(c, idx, n, &none, &e) < 0)
		none = 0;
	if (!none)
		ncomp = 1;
	for (size_t k = 0; k < n; k += ncomp) {
		if (recipe_compile_expand(rs + k, ncomp, c->work, c->recipes, x + k, &bad, &e) <
		    0) {
			log_result("%s: recipe=%s on %s", c->plan.v[idx[k + bad]].m->file,
				   rs[k + bad]->name, rs[k + bad]->table);
			log_result("  cannot compile it against this database: %s", e.msg);
			memset(&e, 0, sizeof(e));
			continue;
		}
		for (size_t j = k; j < k + ncomp; j++)
			migrate_print_recipe(c, c->plan.v[idx[j]].m, &x[j], j ? NULL : rs,
					     j ? 0 : n, j ? m0->file : NULL, n > 1 && none);
		for (size_t j = k; j < k + ncomp; j++)
			recipe_sql_release(&x[j]);
	}
	free(x);
}

static void migrate_print_plan(struct migrate_ctx *c)
{
	json_t *items = json_array();

	for (size_t i = 0; i < c->plan.n; i++) {
		struct plan_item *it = &c->plan.v[i];
		if (!plan_is_pending(it))
			continue;
		json_array_append_new(items,
				      json_pack("{s:s, s:s, s:i, s:b, s:s, s:b}", "script",
						it->m->file, "state", plan_state_name(it->state),
						"statements", (int)it->m->script.n, "transaction",
						it->m->transactional, "version",
						it->m->version ? it->m->version : "", "deferred",
						i >= c->stop));
		if (log_format_get() == LOG_TEXT && it->m->recipe)
			log_result("would apply %s (recipe=%s, below)", it->m->file,
				   it->m->recipe->name);
		else if (log_format_get() == LOG_TEXT)
			log_result("would %s %s (%zu statement%s%s)%s",
				   i >= c->stop ? "defer" : "apply", it->m->file, it->m->script.n,
				   it->m->script.n == 1 ? "" : "s",
				   it->m->backfill        ? ", a batched backfill"
				   : it->m->transactional ? ""
							  : ", without a transaction",
				   it->state == PLAN_PARTIAL ? " resuming" : "");
	}
	if (c->deferred && log_format_get() == LOG_TEXT)
		log_result("deferred: %s", c->deferred);
	for (size_t i = 0; i < c->plan.n && log_format_get() == LOG_TEXT; i++) {
		size_t *idx, n;
		const struct recipe **rs;
		if (!plan_is_pending(&c->plan.v[i]) || !c->plan.v[i].m->recipe)
			continue;
		/* its group's backfills in one pass, as migrate_apply_recipe
		 * runs them */
		idx = xcalloc(c->plan.n - i, sizeof(*idx));
		rs = xcalloc(c->plan.n - i, sizeof(*rs));
		n = migrate_recipe_group(c, i, idx, rs);
		migrate_print_group(c, idx, rs, n);
		i = idx[n - 1];
		free(idx);
		free(rs);
	}
	migrate_print_contracts(c);
	if (log_format_get() == LOG_JSON)
		log_result_json(json_pack("{s:b, s:o}", "dry_run", 1, "pending", items));
	else {
		if (c->plan.npending == 0)
			log_result("nothing to apply: the database is up to date");
		json_decref(items);
	}
}

/* Flyway's baselineOnMigrate: the row Flyway writes when it baselines a
 * populated schema (flyway-core .../internal/schemahistory/
 * JdbcTableSchemaHistory.java: type BASELINE, script and description
 * "<< Flyway Baseline >>", no checksum). */
static int migrate_insert_baseline(struct migrate_ctx *c, struct zerr *e)
{
	char *sql = xasprintf("INSERT INTO %s (installed_rank, version, description, type, script,"
			      " checksum, installed_by, execution_time, success)"
			      " VALUES (1, $1, '<< Flyway Baseline >>', 'BASELINE',"
			      " '<< Flyway Baseline >>', NULL, left(current_user, 100), 0, true)",
			      c->h.qname);
	const char *params[1] = { c->po.baseline };
	PGresult *r = db_query(c->work, sql, 1, params, e);

	free(sql);
	if (!r)
		return -1;
	PQclear(r);
	log_info("baseline", "baselined the database at version %s (baselineOnMigrate)",
		 c->po.baseline);
	return 0;
}

/* Take the lock on the work session, then, under it: create or extend
 * the history table, look again (another runner may have applied
 * everything while we waited) and apply what is pending. */
static int migrate_apply_locked(struct migrate_ctx *c, struct zerr *e)
{
	int recipes;

	db_observer_init(&c->obs, &c->dbo, c->work);
	if (db_prepare_session(c->work, e) < 0 || db_require_session(c->work, &c->obs, e) < 0)
		return -1;
	if (lock_acquire(c->work, c->h.lock_key, c->o->lock_wait_ms, e) < 0)
		return -1;
	c->locked = 1;
	if (history_ensure(&c->h, c->work, e) < 0 || migrate_load_and_plan(c, e) < 0)
		return -1;
	if (c->po.baseline && c->h.n == 0) {
		if (migrate_insert_baseline(c, e) < 0 || migrate_load_and_plan(c, e) < 0)
			return -1;
	}
	/* another runner applied migrations between our lint and the lock:
	 * the database is no longer empty, judge again */
	if (c->linted_empty && !c->reached && history_current(&c->h) &&
	    migrate_count_pending(&c->plan, 0, c->plan.n) > 0 && migrate_lint(c, e) < 0)
		return -1;
	if (migrate_recipe_table(c, &recipes, e) < 0 ||
	    (recipes && migrate_recipe_resume(c, e) < 0))
		return -1;
	for (size_t i = 0; i < c->stop; i++) {
		struct plan_item *it = &c->plan.v[i];
		if (!plan_is_pending(it))
			continue;
		if (db_interrupted)
			return zerr_set(e, ZDM_EXIT_FAILED, "interrupted by %s before %s",
					db_interrupt_name(), it->m->file);
		log_info("applying", "applying %s%s", it->m->file,
			 it->state == PLAN_FAILED ? " (retrying a failed attempt)" : "");
		if ((it->m->recipe          ? migrate_apply_recipe(c, i, &i, e)
		     : it->m->backfill      ? migrate_apply_backfill(c, it, NULL, NULL, 0, 0, e)
		     : it->m->transactional ? migrate_apply_tx(c, it, 1, e)
					    : migrate_apply_notx(c, it, e)) < 0)
			return -1;
		it = &c->plan.v[i];
		if (it->m->version &&
		    (!c->reached || source_version_cmp(it->m->version, c->reached) > 0))
			c->reached = it->m->version;
	}
	migrate_report_deferral(c);
	if (migrate_recipe_table(c, &recipes, e) < 0 ||
	    (recipes && migrate_recipe_contracts(c, e) < 0))
		return -1;
	if (history_load(&c->h, c->work, e) < 0)
		return -1;
	plan_release(&c->plan);
	plan_build(&c->plan, &c->src, &c->h, &c->po);
	return 0;
}

/* After a failed migrate_apply_locked: when the session was lost (and not
 * because we were told to stop), connect again for another pass; 0 when
 * connected. Otherwise -1, e keeping the failure; a lost session that
 * cannot be replaced is exit 4, never "a migration failed". */
static int migrate_reconnect(struct migrate_ctx *c, struct zerr *e)
{
	struct zerr lost = *e;
	long long bound = c->work->peer_timeout_ms;

	if (db_interrupted || !((c->work->conn && db_lost(c->work)) ||
				(c->obs.conn && !c->obs.connecting && db_lost(&c->obs))))
		return -1;
	e->code = ZDM_EXIT_CONNECT;
	if (c->reconnects++ >= c->o->connect_retries)
		return -1;
	log_warn("reconnect", "lost the database session (%s); connecting again (%d of %d)%s",
		 lost.msg, c->reconnects, c->o->connect_retries,
		 c->locked ? "; the server released the migration lock with it" : "");
	c->locked = 0;
	db_close(&c->obs);
	db_close(c->work);
	c->dbo.deadline_ms = util_now_ms() + bound / 4;
	if (db_connect(c->work, &c->dbo, "migrate", e) < 0) {
		zerr_prefix(e, "lost the database session (%s); connecting again failed", lost.msg);
		return -1;
	}
	c->dbo.deadline_ms = 0;
	memset(e, 0, sizeof(*e));
	return 0;
}

void migrate_result_release(struct migrate_result *r)
{
	json_decref(r->json);
	free(r->version);
	free(r->deferred);
	memset(r, 0, sizeof(*r));
}

/* The settings a flag does not give, from the directory's settings files
 * (zdm.yaml, flyway.conf/toml; see srcconf.h): since, ignore patterns. */
static int migrate_settings(struct migrate_ctx *c, struct zerr *e)
{
	const struct migrate_opts *o = c->o;

	/* --since, else zdm.yaml's since: (a bad one names its source) */
	free(c->since_learn);
	if (srclint_since(&c->src, o->since, &c->since_learn, e) < 0)
		return -1;
	if (plan_ignore_parse(o->ignore_patterns ? o->ignore_patterns : c->src.conf.ignore_patterns,
			      &c->po.ignore, e) < 0)
		return -1;
	/* --out-of-order / ZDM_OUT_OF_ORDER, else flyway.outOfOrder */
	c->po.out_of_order = o->out_of_order >= 0 ? o->out_of_order : c->src.conf.out_of_order > 0;
	for (size_t i = 0; i < c->src.n; i++)
		if (migrate_check_tx_rules(&c->src.v[i], e) < 0)
			return -1;
	for (size_t i = 0; i < c->src.nbaselines; i++)
		if (migrate_check_tx_rules(&c->src.baselines[i], e) < 0)
			return -1;
	return 0;
}

/* A file used ${flyway:user}, ${flyway:database} or
 * ${flyway:defaultSchema}: read them from the session and load again. */
static int migrate_reload_builtins(struct migrate_ctx *c, struct src_load_opts *lo, struct zerr *e)
{
	PGresult *r = db_query(c->work,
			       "SELECT current_user, current_database(), "
			       "coalesce(current_schema(), '')",
			       0, NULL, e);
	char *user, *database, *schema;
	int rc;

	if (!r)
		return -1;
	user = xstrdup(PQgetvalue(r, 0, 0));
	database = xstrdup(PQgetvalue(r, 0, 1));
	schema = xstrdup(PQgetvalue(r, 0, 2));
	PQclear(r);
	lo->user = user;
	lo->database = database;
	lo->schema = schema;
	source_release(&c->src);
	rc = source_load_opts(c->o->dir, lo, &c->src, e) < 0 || migrate_settings(c, e) < 0 ? -1 : 0;
	lo->user = lo->database = lo->schema = NULL;
	free(user);
	free(database);
	free(schema);
	return rc;
}

int migrate_run(const struct migrate_opts *o, struct migrate_result *res, struct zerr *e)
{
	struct src_load_opts lo = { .mixed = -1 };
	struct migrate_ctx c;
	long long start = util_now_ms();
	int rc = -1, recipe_work = 0;
	const char *lender = NULL;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.dbo = (struct db_opts){ .url = o->url,
				  .connect_retries = o->connect_retries,
				  .peer_timeout_ms = o->peer_timeout_ms };
	c.applied = json_array();
	c.work = o->session ? o->session : &c.own;
	if (o->session) {
		lender = o->session->purpose; /* its errors say what it was doing */
		o->session->purpose = "migrate";
	}
	if (history_check_name(o->history_table, e) < 0)
		goto cleanup;
	/* the server starts a backend while we read the files */
	if (!o->session)
		db_connect_start(c.work, &c.dbo, "migrate");
	lo.encoding = o->encoding;
	lo.placeholders = o->placeholders;
	lo.nplaceholders = o->nplaceholders;
	lo.table = o->history_table;
	if (source_load_opts(o->dir, &lo, &c.src, e) < 0 || migrate_settings(&c, e) < 0)
		goto cleanup;
	if (!o->session && db_connect(c.work, &c.dbo, "migrate", e) < 0)
		goto cleanup;
	log_info("connected", "connected to %s (PostgreSQL %d.%d)", db_describe(c.work),
		 c.work->server_version / 10000, c.work->server_version % 10000);
	if (c.src.db_builtins && migrate_reload_builtins(&c, &lo, e) < 0)
		goto cleanup;
	if (history_init(&c.h, c.work, o->history_table, e) < 0)
		goto cleanup;
	for (size_t i = 0; i < c.src.n && !c.recipes; i++)
		if (c.src.v[i].recipe)
			c.recipes = recipe_state_table(c.h.schema, c.h.table);
	if (c.src.conf.baseline_on_migrate) {
		int empty = 1;
		if (history_load(&c.h, c.work, e) < 0 || migrate_db_empty(&c, &empty, e) < 0)
			goto cleanup;
		if (c.h.n == 0 && !empty)
			c.po.baseline = c.src.conf.baseline_version ? c.src.conf.baseline_version
								    : "1";
		if (c.po.baseline && !source_version_valid(c.po.baseline)) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: baselineVersion \"%s\" is not a version",
				 c.src.conf.flyway_file, c.po.baseline);
			goto cleanup;
		}
	}
	if (migrate_load_and_plan(&c, e) < 0)
		goto cleanup;
	/* nothing to run: no lint, no lock (Argo CD re-runs hooks on every
	 * sync); applied files were judged when they were pending */
	if (migrate_count_pending(&c.plan, 0, c.plan.n) > 0 && migrate_lint(&c, e) < 0)
		goto cleanup;
	if (o->dry_run) {
		migrate_print_plan(&c);
		rc = 0;
		goto cleanup;
	}
	if (migrate_count_pending(&c.plan, 0, c.stop) == 0 && c.h.exists &&
	    migrate_recipe_work(&c, &recipe_work, e) < 0)
		goto cleanup;
	if (migrate_count_pending(&c.plan, 0, c.stop) == 0 && c.h.exists && !recipe_work) {
		log_info("up-to-date", "nothing to apply: %zu migration%s, database at version %s",
			 c.src.n, c.src.n == 1 ? "" : "s",
			 c.plan.current ? c.plan.current : "(none)");
		migrate_report_deferral(&c);
		rc = 0;
		goto cleanup;
	}
	for (;;) {
		rc = migrate_apply_locked(&c, e);
		if (rc == 0 || migrate_reconnect(&c, e) < 0)
			break;
	}
	if (rc < 0)
		goto cleanup;
	rc = 0;
	{
		size_t n = json_array_size(c.applied);
		log_event(LOG_INFO, "done",
			  json_pack("{s:i, s:I}", "applied", (int)n, "ms",
				    (json_int_t)(util_now_ms() - start)),
			  "%s %zu migration%s in %lld ms; database at version %s",
			  n ? "applied" : "checked", n ? n : c.src.n,
			  (n ? n : c.src.n) == 1 ? "" : "s", util_now_ms() - start,
			  c.plan.current ? c.plan.current : "(none)");
	}
cleanup:
	if (rc == 0 && c.deferred && o->strict_contract) {
		zerr_set(e, ZDM_EXIT_CONTRACT, "%s", c.deferred);
		zerr_hint(e,
			  "--strict-contract makes a deferral fail the run; without it the contract "
			  "migration runs at the first safe moment");
		rc = -1;
	}
	if (res) {
		memset(res, 0, sizeof(*res));
		res->json = json_pack("{s:s, s:O, s:I}", "status", rc == 0 ? "ok" : "failed",
				      "applied", c.applied, "ms",
				      (json_int_t)(util_now_ms() - start));
		/* after a failure the plan predates what this run applied */
		const char *version = c.plan.current;
		if (c.reached && (!version || source_version_cmp(c.reached, version) > 0))
			version = c.reached;
		if (version) {
			res->version = xstrdup(version);
			json_object_set_new(res->json, "version", json_string(version));
		}
		if (c.deferred) {
			res->deferred = xstrdup(c.deferred);
			json_object_set_new(res->json, "contract_deferred",
					    json_string(c.deferred));
		}
		res->forced = c.forced;
		if (c.forced)
			json_object_set_new(res->json, "contract_forced", json_integer(c.forced));
		if (rc < 0)
			json_object_set_new(res->json, "error", json_string(e->msg));
	}
	free(c.deferred);
	free(c.recipes);
	free(c.since_learn);
	lint_report_release(&c.lint);
	if (c.locked)
		lock_release(c.work, c.h.lock_key);
	db_close(&c.obs);
	if (o->session) {
		db_reset_session(c.work);
		c.work->purpose = lender;
	} else
		db_close(c.work);
	plan_release(&c.plan);
	history_release(&c.h);
	source_release(&c.src);
	json_decref(c.applied);
	return rc;
}
