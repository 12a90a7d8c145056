/*
 * db — the only module that talks to libpq.
 *
 * Connections: a URL (--database-url, ZDM_DATABASE_URL, DATABASE_URL) or
 * libpq's own PG* environment; application_name "zdm-hook[/<pod>]",
 * connect_timeout, TCP keepalives and tcp_user_timeout on every
 * connection, retried with backoff. Every password is registered with the
 * log so it is masked everywhere.
 *
 * Dead peers: one bound, --peer-timeout (default 60 s), sets the client's
 * keepalives and tcp_user_timeout and, for sessions that run or hold
 * something, the server's (tcp_keepalives_*, tcp_user_timeout are user
 * settable): across a network partition both ends give the session up
 * within that bound, so the server drops zdm's lock and the client exits 4
 * instead of waiting for the kernel's two-hour keepalive default.
 *
 * Statements: db_run sends one statement asynchronously and waits on the
 * socket, so SIGTERM/SIGINT (db_interrupted) cancels it on the server,
 * and, when an observer connection is given, looks up who blocks it.
 *
 * Results returned to the caller are owned by the caller (PQclear).
 */
#ifndef ZDM_DB_H
#define ZDM_DB_H

#include <libpq-fe.h>
#include <signal.h>

#include "util.h"

extern volatile sig_atomic_t db_interrupted; /* set by the signal handler */
void db_install_signal_handlers(void);
const char *db_interrupt_name(void);

#define DB_CACHED_MAX 8

struct db {
	PGconn *conn;
	int server_version;
	const char *purpose; /* "migrate" or "lock", for messages */
	int session_ready; /* db_prepare_session ran */
	int lost; /* the server ended the session (FATAL) or the
				  connection broke: see db_lost */
	long long peer_timeout_ms;
	int started; /* db_connect_start began conn; db_connect ends it */
	/* an observer that connects when first needed (db_observer_init) */
	const struct db_opts *lazy; /* how it connects; NULL: not one */
	const struct db *peer; /* the session it observes, on whose server */
	int connecting; /* conn is being set up, without blocking */
	PostgresPollingStatusType polling; /* what that waits for next */
	int lazy_failed; /* it could not connect: no more attempts */
	char *cached[DB_CACHED_MAX]; /* SQL prepared as zdm_<gen>_<index> */
	int cached_gen;
};

struct db_opts {
	const char *url; /* NULL: libpq environment */
	int connect_retries;
	long long peer_timeout_ms; /* 0: DB_PEER_TIMEOUT_MS */
	long long deadline_ms; /* util_now_ms() after which no attempt
					starts (0: none): a reconnect */
};

#define DB_PEER_TIMEOUT_MS 60000LL
#define DB_PEER_TIMEOUT_MIN_MS 5000LL

/* Pick the URL by precedence: flag value, ZDM_DATABASE_URL, DATABASE_URL
 * (NULL when none). Registers secrets with the log. */
const char *db_url_from_env(const char *flag_value);
/* Check a URL / conninfo string without connecting (exit 2 on error). */
int db_check_url(const char *url, struct zerr *e);

int db_connect(struct db *db, const struct db_opts *o, const char *purpose, struct zerr *e);
/* Begin connecting without waiting, so that the server starts its backend
 * while zdm reads the migrations; db_connect then finishes (its first
 * attempt) and reports. db_close releases a connection never finished. */
void db_connect_start(struct db *db, const struct db_opts *o, const char *purpose);
/* An observer (db_run, db_pipeline; db_require_session's probe) that
 * connects only when first needed: when a statement of peer's has waited
 * its watch time, or when the pooler probe needs a second session. Most
 * runs never wait, so they cost the server one backend, not two; a run
 * that waits connects without blocking while its statement goes on (a
 * statement that completes meanwhile is not held up), to the very server
 * peer is on. o and peer must outlive obs. */
void db_observer_init(struct db *obs, const struct db_opts *o, const struct db *peer);
/* Settings for a session that will run or hold something: a backend
 * whose client died stops within seconds (client_connection_check_
 * interval, PostgreSQL 14+), and no idle timeout ends an idle lock holder.
 * Deferred until needed, so a read-only no-op run does not pay for it. */
int db_prepare_session(struct db *db, struct zerr *e);
void db_close(struct db *db);
/* Is the session gone: the connection broke, or the server ended it (a
 * FATAL error: restart, pg_terminate_backend, crash)? Whatever ran on it
 * is then committed or rolled back for good, and any lock it held is
 * released. Reads what has arrived, without waiting. */
int db_lost(struct db *db);
/* Refuse a connection that does not keep one server session for its
 * lifetime (a transaction-pooling proxy such as PgBouncer in transaction
 * mode): exit 2 with a hint. other is a second connection to the same
 * database, held inside a transaction meanwhile, so that a pooler must
 * hand db's next transaction to another server connection. */
int db_require_session(struct db *db, struct db *other, struct zerr *e);
/* "user@host:port/dbname" of a live connection (static buffer). */
const char *db_describe(const struct db *db);

/* End the transaction the connection is in (open or failed), if any, with
 * ROLLBACK; its outcome does not matter (a lost connection has none). */
void db_rollback(struct db *db);

/* Hand a session back as a new one would be: no transaction, no advisory
 * lock, settings, role and prepared statements as at connect (DISCARD
 * ALL). A lost session is left as it is, for its owner to replace. */
void db_reset_session(struct db *db);
/* Run a command that returns no rows; -1 with e set on error. */
int db_exec(struct db *db, const char *sql, struct zerr *e);
/* Run a parameterised query; returns a PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK result (caller clears) or NULL with e set. */
PGresult *db_query(struct db *db, const char *sql, int nparams, const char *const *params,
		   struct zerr *e);

/* An integer column of a result row: dflt when it is NULL or not a
 * decimal integer (the server's own text for int/bigint always is). */
long long db_value_ll(const PGresult *r, int row, int col, long long dflt);
/* A column of a result row as a copy (caller frees), NULL when NULL. */
char *db_value_dup(const PGresult *r, int row, int col);
/* SQLSTATE of a result, "" when there is none (NULL-safe). */
const char *db_sqlstate(const PGresult *r);
/* Fill e from a failed result: primary message, detail, hint. */
int db_result_error(struct zerr *e, int code, const PGresult *r, const char *what);

struct db_run {
	PGresult *res; /* final result (caller clears); NULL if lost */
	int failed; /* db_pipeline: index of the failing command, else -1 */
	int interrupted; /* a signal arrived and the statement was cancelled */
	int watched; /* the observer saw it wait on a lock and looked for blockers */
	long long watch_next_ms; /* when the observer looks again (0: at watch_ms) */
	char blockers[1024]; /* who blocked it, when an observer found out */
	/* one of them was an autovacuum that PostgreSQL cancels for a lock
	 * request waiting longer than deadlock_timeout (not one to prevent
	 * wraparound): deadlock_timeout + a margin, in ms; else 0 */
	long long autovacuum_wait_ms;
	long long report_ms; /* when the next still-running report is due (0: first) */
};

/* The watch_ms of a statement under lock_timeout lock_timeout_ms (0:
 * none): half of it, so that a lock wait that ends in lock_timeout is
 * looked at while it lasts; 500 ms without one (a deadlock is reported
 * after deadlock_timeout, 1 s by default). */
long long db_watch_ms(long long lock_timeout_ms);

/* Run one statement (any SQL text) on db; wait with signal handling.
 * With an observer and watch_ms > 0, after watch_ms and every watch_ms
 * after that, the observer looks whether db's backend waits on a lock;
 * when it does, it describes pg_blocking_pids of the backend in
 * r->blockers (the last wait it saw).
 * With an observer, a statement still running after 10 s is logged, then
 * every 60 s: what it waits on, and who blocks it (event still-waiting,
 * a warning) or that nothing does (still-running).
 * Returns 0 when the statement succeeded (even if a signal arrived
 * meanwhile: check db_interrupted), -1 when it failed or was cancelled
 * (r->res holds the error result when there is one). */
int db_run(struct db *db, struct db *observer, const char *sql, long long watch_ms,
	   struct db_run *r);

/* The one retry policy for statements that lost a lock race, shaped like
 * pg_repack's lock-retry loop: a lock timeout (55P03) or a deadlock
 * (40P01) is retried after a growing delay with jitter
 * (util_backoff_ms: 250 ms doubling to 10 s, a random half to whole of
 * it), at most max times, and never once the delays slept would pass
 * DB_RETRY_TOTAL_MS together. Every path that retries on a lock (migrate's
 * transactional and transaction=off paths, a backfill's batches) asks
 * db_retry_next; the caller logs the retry in its own words. */
#define DB_RETRY_TOTAL_MS (10 * 60 * 1000LL)
struct db_retry {
	int max; /* retries after the first attempt */
	int attempt; /* retries granted so far (1 after the first) */
	long long slept_ms; /* delays granted so far */
	long long lock_timeout_ms; /* the next attempt's, when longer (0: as set) */
};
void db_retry_init(struct db_retry *r, int max_retries);
/* The lock_timeout of the next attempt: lt, or longer after an attempt
 * that an autovacuum blocked. PostgreSQL cancels an autovacuum (not one
 * to prevent wraparound) only for a lock request that has waited
 * deadlock_timeout, and a lock_timeout no longer than that fires first:
 * retried as it was, the statement would lose to the autovacuum every
 * time, however long it runs. lt 0 (no lock_timeout) stays 0. */
long long db_retry_lock_timeout(const struct db_retry *r, long long lt);
/* "" or, when the next attempt waits longer than lt for that reason, the
 * words that say so ("; the next attempt waits up to ..."), in buf. */
const char *db_retry_note(const struct db_retry *r, long long lt, char *buf, size_t size);
/* Did res fail on a lock timeout or a deadlock? NULL-safe: no result, or
 * one without a SQLSTATE, is not. */
int db_retry_is_lock(const PGresult *res);
/* After a failed attempt: the delay (ms) to sleep before the next one,
 * counted in r, or -1 when it must not be retried (cancelled by a signal,
 * not a lock failure, retries or total bound spent). */
long long db_retry_next(struct db_retry *r, const struct db_run *run);
/* Did res fail on a deadlock (40P01)? NULL-safe, as db_retry_is_lock. */
int db_retry_is_deadlock(const PGresult *res);
/* The sessions that blocked run's statement, as the observer described
 * them (db_run), for a retry's or a failure's message; words saying so
 * when the observer found none (the blocker had gone before it looked)
 * or did not look (it was still connecting, or could not connect). */
const char *db_run_blockers(const struct db_run *run);

/* One command of a pipeline: a single SQL statement with $n parameters,
 * run unnamed, or with cache prepared once per connection (see
 * db_query_cached). */
struct db_cmd {
	const char *sql;
	int nparams;
	const char *const *params;
	int cache;
};

/* Run n commands in one round trip: a libpq pipeline with one Sync at the
 * end, with db_run's signal handling and blocker watch. The server skips
 * every command after a failing one. Returns 0 when all succeeded, with
 * r->res the result of cmds[keep] (NULL when keep < 0); -1 otherwise, with
 * r->failed the index of the failing command and r->res its error result,
 * or r->failed = -1 and r->res = NULL when the connection failed. A
 * transaction the commands opened stays open (aborted after an error). */
int db_pipeline(struct db *db, struct db *observer, const struct db_cmd *cmds, int n, int keep,
		long long watch_ms, struct db_run *r);
/* Fill e from a failed db_run/db_pipeline: its error result, with what
 * before it ("query failed", ...), or the lost connection. Returns -1. */
int db_run_error(struct db *db, const struct db_run *r, const char *what, struct zerr *e);

/* db_query for zdm's own statements that run once per migration: the
 * first call prepares sql on this connection (in the same round trip),
 * later calls with the same text run it by name, so the server neither
 * parses nor plans it again. With commit, a COMMIT follows in the same
 * round trip (a libpq pipeline). Returns the command's result (caller
 * clears) when everything succeeded; NULL with e set otherwise; the
 * transaction is then still open (aborted) unless the COMMIT itself
 * failed. */
PGresult *db_query_cached(struct db *db, const char *sql, int nparams, const char *const *params,
			  int commit, struct zerr *e);

/* SET (session) a setting to a value, quoting the value. */
int db_set(struct db *db, const char *name, const char *value, int local, struct zerr *e);

/* Quote an identifier, e.g. for a user-given table name (caller frees). */
char *db_quote_ident(const char *name);
/* A string literal for SQL text zdm writes (E'...' when s has a
 * backslash), or NULL for s NULL (caller frees). */
char *db_quote_literal(const char *s);

/* A user-named table (--history-table, --log-table): an unquoted
 * identifier, optionally schema-qualified, case-folded as PostgreSQL
 * folds it, always quoted in SQL. */
struct db_table {
	char *schema; /* resolved (current_schema() when unqualified) */
	char *table;
	char *qname; /* "schema"."table" for SQL */
	char *display; /* schema.table for messages */
	int exists;
};
/* Validate a table name without a database; what names the option. */
int db_check_table_name(const char *name, const char *what, struct zerr *e);
/* Resolve the name on db and check whether the table exists. */
int db_table_init(struct db_table *t, struct db *db, const char *name, const char *what,
		  struct zerr *e);
void db_table_release(struct db_table *t);
/* "CREATE SCHEMA ...;" when t's schema does not exist yet, else "" (into
 * sql), so creating a table never prints a notice. */
int db_schema_sql(struct db *db, const struct db_table *t, struct sb *sql, struct zerr *e);

#endif
