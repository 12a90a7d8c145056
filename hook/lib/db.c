/*
 * db — libpq wrapper (see db.h). Nothing else includes libpq-fe.h for
 * connecting; other modules receive PGresults from here.
 *
 * Safety notes:
 *  - PQresultErrorField can return NULL: every read goes through db_field.
 *  - Connection errors are retried (the database may still be starting
 *    while the Job runs); an invalid URL is not (exit 2 at once).
 *  - client_connection_check_interval (PostgreSQL 14+) is set on every
 *    session so a backend whose client was killed stops within seconds
 *    instead of finishing a long statement while holding zdm's lock.
 */
#include "db.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/select.h>

#include "log.h"

volatile sig_atomic_t db_interrupted;

static void db_on_signal(int sig)
{
	db_interrupted = sig;
}

void db_install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = db_on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking wait must return so we can cancel */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

const char *db_interrupt_name(void)
{
	return db_interrupted == SIGINT ? "SIGINT" : "SIGTERM";
}

static const char *db_field(const PGresult *r, int field)
{
	const char *v = r ? PQresultErrorField(r, field) : NULL;
	return v ? v : "";
}

char *db_value_dup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

long long db_value_ll(const PGresult *r, int row, int col, long long dflt)
{
	long long v;

	if (!r || row >= PQntuples(r) || col >= PQnfields(r) || PQgetisnull(r, row, col))
		return dflt;
	return util_parse_ll(PQgetvalue(r, row, col), &v) ? dflt : v;
}

const char *db_sqlstate(const PGresult *r)
{
	return db_field(r, PG_DIAG_SQLSTATE);
}

void db_retry_init(struct db_retry *r, int max_retries)
{
	memset(r, 0, sizeof(*r));
	r->max = max_retries;
}

int db_retry_is_lock(const PGresult *res)
{
	const char *s = db_sqlstate(res);
	return strcmp(s, "55P03") == 0 || strcmp(s, "40P01") == 0;
}

int db_retry_is_deadlock(const PGresult *res)
{
	return strcmp(db_sqlstate(res), "40P01") == 0;
}

const char *db_run_blockers(const struct db_run *run)
{
	if (run->blockers[0])
		return run->blockers;
	/* watched: the observer saw it wait and found no blocker left */
	return run->watched ? "a session that has gone since"
			    : "a session zdm could not look up in time";
}

long long db_retry_next(struct db_retry *r, const struct db_run *run)
{
	long long delay;

	if (run->interrupted || !db_retry_is_lock(run->res) || r->attempt >= r->max)
		return -1;
	delay = util_backoff_ms(r->attempt, 250, 10000);
	if (r->slept_ms + delay > DB_RETRY_TOTAL_MS)
		return -1;
	r->attempt++;
	r->slept_ms += delay;
	r->lock_timeout_ms = run->autovacuum_wait_ms;
	return delay;
}

long long db_retry_lock_timeout(const struct db_retry *r, long long lt)
{
	return lt > 0 && r->lock_timeout_ms > lt ? r->lock_timeout_ms : lt;
}

const char *db_retry_note(const struct db_retry *r, long long lt, char *buf, size_t size)
{
	long long next = db_retry_lock_timeout(r, lt);

	if (next == lt)
		return "";
	snprintf(buf, size,
		 "; the next attempt waits up to %lld ms, past deadlock_timeout, so that "
		 "PostgreSQL cancels the autovacuum",
		 next);
	return buf;
}

/* libpq's message as one line (static copy): its first line, the cause;
 * libpq appends what followed from it ("cannot exit pipeline mode while
 * busy", "Is the server running on that host...") on further lines. */
static const char *db_conn_error(PGconn *conn)
{
	static char buf[1024];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", conn ? PQerrorMessage(conn) : "out of memory");
	buf[strcspn(buf, "\n")] = '\0';
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return n ? buf : "the connection was closed";
}

int db_result_error(struct zerr *e, int code, const PGresult *r, const char *what)
{
	const char *primary = db_field(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *state = db_sqlstate(r);

	if (!*primary)
		primary = r ? PQresultErrorMessage(r) : "no result from server";
	zerr_set(e, code, "%s: %s%s%s%s", what, primary, *state ? " (SQLSTATE " : "", state,
		 *state ? ")" : "");
	if (*db_field(r, PG_DIAG_MESSAGE_DETAIL))
		zerr_detail(e, "%s", db_field(r, PG_DIAG_MESSAGE_DETAIL));
	if (*db_field(r, PG_DIAG_MESSAGE_HINT))
		zerr_hint(e, "%s", db_field(r, PG_DIAG_MESSAGE_HINT));
	return -1;
}

const char *db_url_from_env(const char *flag_value)
{
	const char *url = flag_value;

	if (!url || !*url)
		url = getenv("ZDM_DATABASE_URL");
	if (!url || !*url)
		url = getenv("DATABASE_URL");
	if (url && !*url)
		url = NULL;
	log_add_secret(getenv("PGPASSWORD"));
	return url;
}

int db_check_url(const char *url, struct zerr *e)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;

	if (!url)
		return 0;
	opts = PQconninfoParse(url, &err);
	if (!opts) {
		char *msg = err ? xstrdup(err) : xstrdup("out of memory");
		size_t n = strlen(msg);
		while (n > 0 && msg[n - 1] == '\n')
			msg[--n] = '\0';
		PQfreemem(err);
		/* the message may quote parts of the URL: mask the password
		 * even though we could not parse it, by masking the URL's
		 * userinfo section */
		{
			const char *at = strchr(url, '@');
			const char *scheme = strstr(url, "://");
			if (at && scheme && scheme < at) {
				const char *colon = memchr(scheme + 3, ':',
							   (size_t)(at - scheme - 3));
				if (colon) {
					char *pw = xstrndup(colon + 1, (size_t)(at - colon - 1));
					log_add_secret(pw);
					free(pw);
				}
			}
		}
		zerr_set(e, ZDM_EXIT_USAGE, "invalid database URL: %s", msg);
		zerr_hint(e, "use postgres://USER:PASSWORD@HOST:PORT/DBNAME or "
			     "\"host=... dbname=...\", or leave it unset to use PGHOST, "
			     "PGDATABASE, ...");
		free(msg);
		return -1;
	}
	for (o = opts; o->keyword; o++)
		if (o->val && strcmp(o->keyword, "password") == 0)
			log_add_secret(o->val);
	PQconninfoFree(opts);
	return 0;
}

/* The dead-peer bound T, split the same way on both ends: the first
 * keepalive after T/4 idle, then DB_KEEPALIVE_COUNT probes T/8 apart
 * (5T/8 in all), and unacknowledged data for at most T/2 (tcp_user_
 * timeout): the session is given up before T, whatever it was doing.
 * Keepalive times are whole seconds, at least 1. */
#define DB_KEEPALIVE_COUNT 3

static long long db_keepalive_idle(long long t)
{
	return t / 4000 > 1 ? t / 4000 : 1;
}

static long long db_keepalive_interval(long long t)
{
	return t / 8000 > 1 ? t / 8000 : 1;
}

static const char *db_appname(void)
{
	static char name[64];
	const char *pod = getenv("HOSTNAME");

	if (pod && *pod)
		snprintf(name, sizeof(name), "zdm-hook/%s", pod);
	else
		snprintf(name, sizeof(name), "zdm-hook");
	return name;
}

int db_prepare_session(struct db *db, struct zerr *e)
{
	struct sb sql;
	long long t = db->peer_timeout_ms;
	int rc;

	if (db->session_ready)
		return 0;
	/* one round trip for every session setting; the server's dead-peer
	 * bound is the client's (db_params). All of them are ignored on a
	 * Unix socket. */
	sb_init(&sql);
	sb_addf(&sql,
		"SET idle_in_transaction_session_timeout = 0; SET tcp_keepalives_idle = %lld;"
		" SET tcp_keepalives_interval = %lld; SET tcp_keepalives_count = %d",
		db_keepalive_idle(t), db_keepalive_interval(t), DB_KEEPALIVE_COUNT);
	if (db->server_version >= 120000)
		sb_addf(&sql, "; SET tcp_user_timeout = %lld", t / 2);
	if (db->server_version >= 140000)
		sb_addf(&sql,
			"; SET client_connection_check_interval = '2s'; SET idle_session_timeout = 0");
	rc = db_exec(db, sql.buf, e);
	sb_release(&sql);
	if (rc < 0)
		return -1;
	db->session_ready = 1;
	return 0;
}

/* Server notices (RAISE NOTICE in a migration, ...) become log events. */
static void db_on_notice(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	(void)arg;
	log_msg(sev && !strcmp(sev, "WARNING") ? LOG_WARN : LOG_INFO, "server-notice",
		"server %s: %s", sev ? sev : "NOTICE", msg ? msg : "");
}

static int db_session_setup(struct db *db, struct zerr *e)
{
	PQsetNoticeReceiver(db->conn, db_on_notice, NULL);
	db->server_version = PQserverVersion(db->conn);
	if (db->server_version < 110000)
		return zerr_set(e, ZDM_EXIT_CONNECT,
				"PostgreSQL %d is not supported (11 or later is needed)",
				db->server_version / 10000);
	(void)e;
	return 0;
}

/* Will retrying this connection failure help? Not when the server said
 * the database or role does not exist or the password is wrong, nor when
 * libpq refused an option value (gssencmode=require without GSSAPI in the
 * static build, a bad sslmode, ...), nor when the server's certificate
 * does not verify. libpq has
 * no SQLSTATE for a failed connection, so this reads the server's (English,
 * by default) message; anything unrecognised is retried, the safe side. */
static int db_retryable(PGconn *conn)
{
	static const char *const final[] = { "does not exist",
					     "password authentication failed",
					     "no pg_hba.conf entry",
					     "no password supplied",
					     "authentication failed",
					     "invalid",
					     "not compiled in",
					     "not supported",
					     "certificate" };
	const char *msg = conn ? PQerrorMessage(conn) : "";

	for (size_t i = 0; i < ZDM_ARRAY_LEN(final); i++)
		if (strstr(msg, final[i]))
			return 0;
	return 1;
}

/* The connection parameters: zdm's defaults first (keys after "dbname"
 * would override the URL's), then the URL, or libpq's PG* environment.
 * gssencmode: libpq's default ("prefer") asks Kerberos for credentials on
 * every connect, which costs a megabyte of resident memory for nothing in
 * a Job that does not use GSS; PGGSSENCMODE or the URL still choose
 * otherwise. */
struct db_params {
	const char *keys[13];
	const char *vals[13];
	char connect_timeout[24], idle[24], interval[24], count[24], user_timeout[24];
};

static long long db_peer_timeout(const struct db_opts *o)
{
	return o->peer_timeout_ms > 0 ? o->peer_timeout_ms : DB_PEER_TIMEOUT_MS;
}

/* connect_timeout: 10 s, less when a reconnect's deadline is nearer
 * (libpq takes 2 s at the least). */
static void db_params(struct db_params *p, const struct db_opts *o)
{
	static const char *const keys[] = { "application_name",    "connect_timeout",
					    "keepalives",          "keepalives_idle",
					    "keepalives_interval", "keepalives_count",
					    "tcp_user_timeout",    "gssencmode" };
	long long t = db_peer_timeout(o), ct = 10;
	size_t n = ZDM_ARRAY_LEN(keys) - (getenv("PGGSSENCMODE") ? 1 : 0);

	if (o->deadline_ms > 0) {
		long long left = (o->deadline_ms - util_now_ms() + 999) / 1000;
		ct = left < 2 ? 2 : left < ct ? left : ct;
	}
	snprintf(p->connect_timeout, sizeof(p->connect_timeout), "%lld", ct);
	snprintf(p->idle, sizeof(p->idle), "%lld", db_keepalive_idle(t));
	snprintf(p->interval, sizeof(p->interval), "%lld", db_keepalive_interval(t));
	snprintf(p->count, sizeof(p->count), "%d", DB_KEEPALIVE_COUNT);
	snprintf(p->user_timeout, sizeof(p->user_timeout), "%lld", t / 2);
	{
		const char *vals[] = { db_appname(),    p->connect_timeout, "1",
				       p->idle,         p->interval,        p->count,
				       p->user_timeout, "disable" };
		memcpy(p->keys, keys, n * sizeof(*keys));
		memcpy(p->vals, vals, n * sizeof(*vals));
	}
	if (o->url) { /* else libpq reads PG* itself */
		p->keys[n] = "dbname";
		p->vals[n++] = o->url;
	}
	p->keys[n] = NULL;
	p->vals[n] = NULL;
}

/* db_params for a session on the server peer is connected to (later keys
 * win over the URL's): the same host, port and address, so no name is
 * looked up again and a multi-host URL cannot pick another server. */
static void db_params_pinned(struct db_params *p, const struct db_opts *o, const struct db *peer)
{
	const char *host = PQhost(peer->conn), *addr = PQhostaddr(peer->conn);
	const char *port = PQport(peer->conn);
	size_t n;

	db_params(p, o);
	for (n = 0; p->keys[n]; n++)
		;
	if (host && *host) {
		p->keys[n] = "host";
		p->vals[n++] = host;
	}
	if (addr && *addr && host && *host != '/') {
		p->keys[n] = "hostaddr";
		p->vals[n++] = addr;
	}
	if (port && *port) {
		p->keys[n] = "port";
		p->vals[n++] = port;
	}
	p->keys[n] = NULL;
	p->vals[n] = NULL;
}

static int db_check_peer_timeout(const struct db_opts *o, struct zerr *e)
{
	if (o->peer_timeout_ms == 0 || o->peer_timeout_ms >= DB_PEER_TIMEOUT_MIN_MS)
		return 0;
	zerr_set(e, ZDM_EXIT_USAGE, "--peer-timeout %lld ms is too short", o->peer_timeout_ms);
	zerr_hint(e, "give it 5s or more: a live connection must not be mistaken for a dead one");
	return -1;
}

void db_connect_start(struct db *db, const struct db_opts *o, const char *purpose)
{
	struct db_params p;
	struct zerr e = { 0 };

	memset(db, 0, sizeof(*db));
	db->purpose = purpose;
	if (db_check_url(o->url, &e) < 0)
		return; /* db_connect reports it */
	db_params(&p, o);
	db->conn = PQconnectStartParams(p.keys, p.vals, 1);
	db->started = db->conn != NULL;
}

/* Finish a connection db_connect_start began: poll it to the end, within
 * connect_timeout (which libpq does not enforce on its own here). NULL
 * when that ran out, so that a blocking attempt takes over. */
static PGconn *db_connect_finish(PGconn *conn)
{
	long long deadline = util_now_ms() + 10000;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	if (PQstatus(conn) == CONNECTION_BAD)
		return conn;
	for (;;) {
		struct pollfd pfd = { PQsocket(conn),
				      st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
		long long left = deadline - util_now_ms();
		int n;

		if (st == PGRES_POLLING_OK || st == PGRES_POLLING_FAILED)
			return conn;
		if (left <= 0 || db_interrupted)
			break;
		n = poll(&pfd, 1, left > 100 ? 100 : (int)left);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			st = PQconnectPoll(conn);
	}
	PQfinish(conn);
	return NULL;
}

int db_connect(struct db *db, const struct db_opts *o, const char *purpose, struct zerr *e)
{
	struct db_params p;
	int attempt;
	PGconn *started = db->started ? db->conn : NULL;

	memset(db, 0, sizeof(*db));
	db->purpose = purpose;
	db->peer_timeout_ms = db_peer_timeout(o);
	if (db_check_url(o->url, e) < 0 || db_check_peer_timeout(o, e) < 0) {
		if (started)
			PQfinish(started);
		return -1;
	}
	for (attempt = 0;; attempt++) {
		long long delay;
		db->conn = started ? db_connect_finish(started) : NULL;
		started = NULL;
		if (!db->conn) {
			db_params(&p, o);
			db->conn = PQconnectdbParams(p.keys, p.vals, 1);
		}
		if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
			break;
		delay = util_backoff_ms(attempt, 500, 5000);
		if (attempt >= o->connect_retries || db_interrupted || !db_retryable(db->conn) ||
		    (o->deadline_ms > 0 && util_now_ms() + delay >= o->deadline_ms)) {
			zerr_set(e, ZDM_EXIT_CONNECT, "cannot connect to the database: %s",
				 db_conn_error(db->conn));
			zerr_hint(e, "check --database-url / ZDM_DATABASE_URL / DATABASE_URL "
				     "or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD");
			PQfinish(db->conn);
			db->conn = NULL;
			return -1;
		}
		log_warn("connect-retry",
			 "cannot connect (attempt %d of %d): %s; retrying in %lld ms", attempt + 1,
			 o->connect_retries + 1, db_conn_error(db->conn), delay);
		PQfinish(db->conn);
		db->conn = NULL;
		util_sleep_ms(delay);
	}
	if (db_session_setup(db, e) < 0) {
		db_close(db);
		return -1;
	}
	return 0;
}

/* Forget the prepared statements: on close, and before a statement that
 * may DEALLOCATE or DISCARD them (later ones get new names). */
static void db_forget_cached(struct db *db)
{
	for (int i = 0; i < DB_CACHED_MAX; i++) {
		free(db->cached[i]);
		db->cached[i] = NULL;
	}
	db->cached_gen++;
}

void db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	db->started = 0;
	db_forget_cached(db);
}

const char *db_describe(const struct db *db)
{
	static char buf[512];
	const char *host = PQhost(db->conn);

	snprintf(buf, sizeof(buf), "%s@%s:%s/%s", PQuser(db->conn),
		 host && *host == '/' ? "[socket]"
		 : host               ? host
				      : "",
		 PQport(db->conn), PQdb(db->conn));
	return buf;
}

/* An error of severity FATAL or PANIC ends the session: the server
 * closes it right after (an administrator's shutdown or terminate, a
 * crash). Remember it, so that db_lost answers before the close has
 * arrived. */
static void db_note_result(struct db *db, const PGresult *r)
{
	const char *sev = db_field(r, PG_DIAG_SEVERITY_NONLOCALIZED);

	if (!r || !strcmp(sev, "FATAL") || !strcmp(sev, "PANIC"))
		db->lost = 1;
}

int db_lost(struct db *db)
{
	if (!db->conn || db->lost || PQstatus(db->conn) != CONNECTION_OK)
		return 1;
	/* the socket is non-blocking: this reads what is there, if anything,
	 * and notices a closed connection */
	if (!PQisBusy(db->conn) && !PQconsumeInput(db->conn))
		db->lost = 1;
	return db->lost || PQstatus(db->conn) != CONNECTION_OK;
}

/* pg_backend_pid() of db's current server session; -1 with e set. */
static int db_server_pid(struct db *db, struct zerr *e)
{
	PGresult *r = db_query(db, "SELECT pg_catalog.pg_backend_pid()", 0, NULL, e);
	int pid;

	if (!r)
		return -1;
	pid = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return pid;
}

/*
 * A direct connection's BackendKeyData names its server process, so
 * PQbackendPID equals pg_backend_pid(): one query settles it. A proxy
 * answers the startup itself (PgBouncer makes up the key), so behind one
 * zdm probes: other opens a transaction, which a transaction pooler
 * serves from an idle server connection, the one db used last if it
 * reuses them last-in first-out as PgBouncer does; db's next statement
 * must then run on another. Pooling shows as other running on db's
 * server process, or db changing process between two statements; a
 * session pool never does either. Three rounds, in case other clients
 * take the idle server connections in between.
 */
int db_require_session(struct db *db, struct db *other, struct zerr *e)
{
	int first = db_server_pid(db, e), round;

	if (first < 0)
		return -1;
	if (first == PQbackendPID(db->conn))
		return 0;
	/* a lazy observer (db_observer_init) is needed now */
	if ((!other->conn || other->connecting) && other->lazy) {
		const struct db_opts *o = other->lazy;
		db_close(other);
		if (db_connect(other, o, "observer", e) < 0)
			return -1;
	}
	for (round = 0; round < 3; round++) {
		const struct db_cmd cmds[2] = { { "BEGIN", 0, NULL, 0 },
						{ "SELECT pg_catalog.pg_backend_pid()", 0, NULL,
						  0 } };
		struct db_run run;
		int theirs, again;

		if (db_pipeline(other, NULL, cmds, 2, 1, 0, &run) < 0) {
			db_run_error(other, &run, "query failed", e);
			PQclear(run.res);
			db_rollback(other);
			return -1;
		}
		theirs = (int)strtol(PQgetvalue(run.res, 0, 0), NULL, 10);
		PQclear(run.res);
		again = db_server_pid(db, e);
		db_rollback(other);
		if (again < 0)
			return -1;
		if (theirs == first || again != first) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s does not keep one server session: it goes through a transaction-"
				 "pooling proxy (such as PgBouncer with pool_mode = transaction)",
				 db_describe(db));
			zerr_detail(e,
				    "zdm's migration lock, its prepared statements and a "
				    "transaction=off migration need the same server session for the "
				    "whole run; nothing was locked or changed");
			zerr_hint(e,
				  "connect zdm-hook to PostgreSQL directly, or through a pool in "
				  "session mode (PgBouncer pool_mode = session)");
			return -1;
		}
	}
	return 0;
}

/* Check a result; on failure fill e and clear it. Returns r or NULL. */
static PGresult *db_check(struct db *db, PGresult *r, struct zerr *e)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	db_note_result(db, r);
	if (!r || PQstatus(db->conn) != CONNECTION_OK)
		zerr_set(e, ZDM_EXIT_CONNECT, "lost the %s connection: %s", db->purpose,
			 db_conn_error(db->conn));
	else
		db_result_error(e, ZDM_EXIT_FAILED, r, "query failed");
	PQclear(r);
	return NULL;
}

void db_rollback(struct db *db)
{
	PGTransactionStatusType st = PQtransactionStatus(db->conn);

	if (st == PQTRANS_INTRANS || st == PQTRANS_INERROR)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

void db_reset_session(struct db *db)
{
	struct zerr e = { 0 };

	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK || db->lost)
		return;
	db_rollback(db);
	db_forget_cached(db); /* DISCARD ALL deallocates them */
	db->session_ready = 0;
	if (db_exec(db, "DISCARD ALL", &e) < 0)
		log_warn("session", "could not reset the session: %s", e.msg);
}

int db_exec(struct db *db, const char *sql, struct zerr *e)
{
	/* PQexec: zdm's own fixed SQL, possibly several statements */
	PGresult *r = db_check(db, PQexec(db->conn, sql), e);

	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

PGresult *db_query(struct db *db, const char *sql, int nparams, const char *const *params,
		   struct zerr *e)
{
	return db_check(db, PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0), e);
}

static const char *db_cached_name(const struct db *db, int slot)
{
	static char name[32];
	snprintf(name, sizeof(name), "zdm_%d_%d", db->cached_gen, slot);
	return name;
}

/* The slot of sql in db's statement cache: *fresh when it is to be
 * prepared now; -1 when the cache is full (run it unnamed). */
static int db_cache_slot(struct db *db, const char *sql, int *fresh)
{
	int i;

	*fresh = 0;
	for (i = 0; i < DB_CACHED_MAX; i++) {
		if (!db->cached[i]) {
			*fresh = 1;
			return i;
		}
		if (!strcmp(db->cached[i], sql))
			return i;
	}
	return -1;
}

PGresult *db_query_cached(struct db *db, const char *sql, int nparams, const char *const *params,
			  int commit, struct zerr *e)
{
	struct db_cmd cmds[2] = { { sql, nparams, params, 1 }, { "COMMIT", 0, NULL, 0 } };
	struct db_run r;

	if (db_pipeline(db, NULL, cmds, commit ? 2 : 1, 0, 0, &r) == 0)
		return r.res;
	db_run_error(db, &r, r.failed == 1 ? "commit failed" : "query failed", e);
	PQclear(r.res);
	return NULL;
}

int db_run_error(struct db *db, const struct db_run *r, const char *what, struct zerr *e)
{
	if (r->res)
		return db_result_error(e, ZDM_EXIT_FAILED, r->res, what);
	return zerr_set(e, ZDM_EXIT_CONNECT, "lost the %s connection: %s", db->purpose,
			db_conn_error(db->conn));
}

int db_set(struct db *db, const char *name, const char *value, int local, struct zerr *e)
{
	const char *params[] = { name, value };
	PGresult *r = db_query(db,
			       local ? "SELECT pg_catalog.set_config($1, $2, true)"
				     : "SELECT pg_catalog.set_config($1, $2, false)",
			       2, params, e);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* s between q's, each q in it doubled */
static char *db_quote(const char *str, char q)
{
	struct sb s;

	sb_init(&s);
	sb_addc(&s, q);
	for (const char *p = str; *p; p++) {
		if (*p == q)
			sb_addc(&s, q);
		sb_addc(&s, *p);
	}
	sb_addc(&s, q);
	return sb_steal(&s);
}

char *db_quote_ident(const char *name)
{
	return db_quote(name, '"');
}

char *db_quote_literal(const char *s)
{
	struct sb b;

	if (!s)
		return xstrdup("NULL");
	if (!strchr(s, '\\'))
		return db_quote(s, '\'');
	/* E'' reads the same whatever standard_conforming_strings is */
	sb_init(&b);
	sb_adds(&b, "E'");
	for (const char *p = s; *p; p++) {
		if (*p == '\'' || *p == '\\')
			sb_addc(&b, *p);
		sb_addc(&b, *p);
	}
	sb_addc(&b, '\'');
	return sb_steal(&b);
}

void db_observer_init(struct db *obs, const struct db_opts *o, const struct db *peer)
{
	db_close(obs);
	memset(obs, 0, sizeof(*obs));
	obs->purpose = "observer";
	obs->peer_timeout_ms = db_peer_timeout(o);
	obs->lazy = o;
	obs->peer = peer;
}

/* Advance an observer's connection without blocking: 1 when it is ready
 * for queries, 0 while it is being set up or when it cannot be. */
static int db_observer_ready(struct db *obs)
{
	struct zerr e = { 0 };

	if (obs->conn && !obs->connecting)
		return PQstatus(obs->conn) == CONNECTION_OK;
	if (!obs->lazy || obs->lazy_failed || !obs->peer || !obs->peer->conn)
		return 0;
	if (!obs->conn) {
		struct db_params p;
		db_params_pinned(&p, obs->lazy, obs->peer);
		obs->conn = PQconnectStartParams(p.keys, p.vals, 1);
		obs->connecting = 1;
		obs->polling = PGRES_POLLING_WRITING;
		if (!obs->conn || PQstatus(obs->conn) == CONNECTION_BAD)
			goto failed;
	}
	/* PQconnectPoll only once the socket is ready for what it waits for */
	for (;;) {
		struct pollfd pfd = { PQsocket(obs->conn),
				      obs->polling == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };

		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		obs->polling = PQconnectPoll(obs->conn);
		if (obs->polling == PGRES_POLLING_OK)
			break;
		if (obs->polling == PGRES_POLLING_FAILED)
			goto failed;
	}
	obs->connecting = 0;
	if (db_session_setup(obs, &e) < 0)
		goto failed;
	return 1;
failed:
	log_warn("observer",
		 "could not open a second session to see who blocks a statement: %s; "
		 "messages will not name the blocking session",
		 obs->conn ? db_conn_error(obs->conn) : "out of memory");
	if (obs->conn)
		PQfinish(obs->conn);
	obs->conn = NULL;
	obs->connecting = 0;
	obs->lazy_failed = 1;
	return 0;
}

/* Do not end s inside a UTF-8 sequence (snprintf cut it at a byte
 * count): a JSON log line refuses the text otherwise. */
static void db_utf8_cut(char *s)
{
	size_t n = strlen(s), k = n;

	while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
		k--;
	if (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0xC0) {
		unsigned char c = (unsigned char)s[k - 1];
		size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (n - (k - 1) < len)
			s[k - 1] = '\0';
	}
}

/* Describe the sessions that block pid, using the observer connection,
 * into out (size bytes; "" when none); *autovacuum_ms (when not NULL) is
 * set when one of them is an autovacuum that PostgreSQL cancels. Only a
 * session waiting on a heavyweight lock has blockers to look up:
 * pg_blocking_pids takes every lock manager partition lock, which stalls
 * the lock requests of every session for as long, so it is not called for
 * a statement that is working. *wait_event (when not NULL) is set to
 * what pid waits on ("Lock: virtualxid"; NULL when it is working; caller
 * frees). 1 when pid waits on a lock (out holds its blockers, "" when they
 * have gone), 0 when it does not, -1 when the look-up failed or could not
 * see pid. */
static int db_find_blockers(struct db *observer, int pid, char *out, size_t size,
			    long long *autovacuum_ms, char **wait_event)
{
	char pidbuf[16];
	const char *params[] = { pidbuf };
	struct zerr e = { 0 };
	PGresult *r;
	size_t used = 0;
	int waits;

	out[0] = '\0';
	if (autovacuum_ms)
		*autovacuum_ms = 0;
	if (wait_event)
		*wait_event = NULL;
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	/* a parallel query's workers are reported under their leader's pid,
	 * once each (DISTINCT); a prepared transaction as pid 0 */
	r = db_query(
		observer,
		"SELECT w.wait_event_type IS NOT DISTINCT FROM 'Lock', b.pid, a.pid IS NOT NULL,"
		" coalesce(a.application_name, ''), coalesce(a.state, ''),"
		" left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 160),"
		" coalesce(to_char(now() - a.xact_start, 'HH24:MI:SS'), ''),"
		" CASE WHEN a.backend_type = 'autovacuum worker'"
		" AND coalesce(a.query, '') NOT LIKE '%to prevent wraparound%' THEN"
		" (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'deadlock_timeout') END,"
		" w.wait_event_type || ': ' || w.wait_event"
		" FROM pg_catalog.pg_stat_activity w"
		" LEFT JOIN LATERAL (SELECT DISTINCT u.pid FROM pg_catalog.unnest("
		"CASE WHEN w.wait_event_type = 'Lock' THEN pg_catalog.pg_blocking_pids(w.pid) END)"
		" AS u(pid)) AS b ON true"
		" LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = b.pid"
		" WHERE w.pid = $1::int ORDER BY b.pid",
		1, params, &e);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return -1;
	}
	waits = !strcmp(PQgetvalue(r, 0, 0), "t");
	if (wait_event)
		*wait_event = db_value_dup(r, 0, 8);
	for (int i = 0; waits && i < PQntuples(r) && used < size; i++) {
		const char *sep = used ? "; " : "";
		int n;

		if (PQgetisnull(r, i, 1))
			continue; /* waiting, but its blockers have gone */
		if (!strcmp(PQgetvalue(r, i, 1), "0"))
			n = snprintf(out + used, size - used,
				     "%sa prepared transaction (see pg_prepared_xacts)", sep);
		else if (strcmp(PQgetvalue(r, i, 2), "t"))
			continue; /* ended since pg_blocking_pids saw it */
		else
			n = snprintf(out + used, size - used,
				     "%spid %s (application \"%s\", %s, transaction open %s): %s",
				     sep, PQgetvalue(r, i, 1), PQgetvalue(r, i, 3),
				     PQgetvalue(r, i, 4), PQgetvalue(r, i, 6), PQgetvalue(r, i, 5));
		if (n < 0)
			break;
		/* the margin: the deadlock check runs, the autovacuum stops */
		if (autovacuum_ms && !PQgetisnull(r, i, 7))
			*autovacuum_ms = strtoll(PQgetvalue(r, i, 7), NULL, 10) + 500;
		used += (size_t)n;
	}
	PQclear(r);
	if (used >= size)
		db_utf8_cut(out);
	return waits;
}

/* A statement that runs long says so while it runs, so that the log of a
 * hook Job shows what it waits for: first after DB_REPORT_FIRST_MS, then
 * every DB_REPORT_EVERY_MS. The lazy observer starts connecting
 * DB_REPORT_LEAD_MS before a report. */
#define DB_REPORT_FIRST_MS 10000LL
#define DB_REPORT_EVERY_MS 60000LL
#define DB_REPORT_LEAD_MS 2000LL

/* Log that pid's statement is still running after waited ms: what it
 * waits on and who blocks it, when the observer (NULL: none) can see. */
static void db_report_wait(struct db *observer, int pid, long long waited)
{
	char blockers[1024] = "";
	const char *what = "no second session to see what it waits for";
	char *wait = NULL;
	long long s = waited / 1000;

	if (observer)
		what = db_find_blockers(observer, pid, blockers, sizeof(blockers), NULL, &wait) < 0
			       ? "the second session could not see what it waits for"
			       : "working, not waiting";
	if (blockers[0])
		log_event(LOG_WARN, "still-waiting",
			  json_pack("{s:I, s:i, s:s?, s:s}", "waited_ms", (json_int_t)waited, "pid",
				    pid, "wait_event", wait, "blockers", blockers),
			  "zdm's session %d is still waiting after %lld s%s%s%s; blocked by %s",
			  pid, s, wait ? " (" : "", wait ? wait : "", wait ? ")" : "", blockers);
	else
		log_event(LOG_INFO, "still-running",
			  json_pack("{s:I, s:i, s:s?}", "waited_ms", (json_int_t)waited, "pid", pid,
				    "wait_event", wait),
			  "zdm's session %d is still running after %lld s (%s)", pid, s,
			  wait ? wait : what);
	free(wait);
}

/* The shortest time between two looks of a watch (db_wait). */
#define DB_WATCH_MIN_MS 100LL

long long db_watch_ms(long long lock_timeout_ms)
{
	return lock_timeout_ms > 0 ? lock_timeout_ms / 2 : 500;
}

/* Wait until the next result can be read without blocking (and the
 * output is flushed): cancel the running command once a signal arrived,
 * look up who blocks it after watch_ms and every watch_ms (at least
 * DB_WATCH_MIN_MS) after that, and report a long wait (db_report_wait).
 * -1 when the connection failed. */
static int db_wait(struct db *db, struct db *observer, long long start, long long watch_ms,
		   struct db_run *r)
{
	int sock = PQsocket(db->conn);

	for (;;) {
		int maxfd = sock;
		fd_set rfds, wfds;
		struct timeval tv = { 0, 50000 };
		int flush;

		if (db_interrupted && !r->interrupted) {
			PGcancel *c = PQgetCancel(db->conn);
			char errbuf[256];
			if (c) {
				if (!PQcancel(c, errbuf, sizeof(errbuf)))
					log_warn("cancel",
						 "could not cancel the running statement: %s",
						 errbuf);
				PQfreeCancel(c);
			}
			r->interrupted = 1;
		}
		flush = PQflush(db->conn); /* 0 done, 1 more to send (nonblocking) */
		if (flush < 0)
			return -1;
		if (!flush && !PQisBusy(db->conn))
			return 0;
		/* a lazy observer starts connecting halfway to the watch (or
		 * shortly before a report) and goes on while we wait, so that it
		 * is there when the watch comes */
		if (observer) {
			long long waited = util_now_ms() - start;
			long long report = r->report_ms ? r->report_ms : DB_REPORT_FIRST_MS;
			int watch = watch_ms > 0, ready = 0;

			if (observer->connecting || (watch && waited >= watch_ms / 2) ||
			    waited >= report - DB_REPORT_LEAD_MS)
				ready = db_observer_ready(observer);
			/* a statement that is working when the watch comes may
			 * wait later, and one that waited may get its lock and
			 * wait for another (the next statement of a pipeline, a
			 * lock an ALTER takes after its scan): look every
			 * watch_ms, half the lock_timeout, and keep what the
			 * last look that saw a wait found, so that the wait
			 * that ends in lock_timeout is the one reported (a look
			 * just after it ended sees no wait and changes nothing) */
			if (ready && watch &&
			    waited >= (r->watch_next_ms ? r->watch_next_ms : watch_ms)) {
				char seen[sizeof(r->blockers)];
				long long av;

				if (db_find_blockers(observer, PQbackendPID(db->conn), seen,
						     sizeof(seen), &av, NULL) > 0) {
					memcpy(r->blockers, seen, sizeof(seen));
					r->autovacuum_wait_ms = av;
					r->watched = 1;
				}
				r->watch_next_ms = waited + (watch_ms > DB_WATCH_MIN_MS
								     ? watch_ms
								     : DB_WATCH_MIN_MS);
			}
			/* a report waits a little for an observer still connecting
			 * (PQconnectPoll has no timeout of its own) */
			if (waited >= report && (ready || !observer->connecting ||
						 waited >= report + DB_REPORT_LEAD_MS)) {
				db_report_wait(ready ? observer : NULL, PQbackendPID(db->conn),
					       waited);
				r->report_ms = waited + DB_REPORT_EVERY_MS;
			}
		}
		FD_ZERO(&rfds);
		FD_ZERO(&wfds);
		FD_SET(sock, &rfds);
		if (flush)
			FD_SET(sock, &wfds);
		/* an observer being connected wakes us up when it can go on */
		if (observer && observer->connecting && PQsocket(observer->conn) >= 0) {
			int os = PQsocket(observer->conn);
			FD_SET(os, observer->polling == PGRES_POLLING_READING ? &rfds : &wfds);
			if (os > maxfd)
				maxfd = os;
		}
		if (select(maxfd + 1, &rfds, &wfds, NULL, &tv) < 0 && errno != EINTR)
			return -1;
		if (!PQconsumeInput(db->conn))
			return -1;
	}
}

/* A migration that drops prepared statements drops db_query_cached's
 * too: prepare them again under new names. */
static void db_watch_deallocate(struct db *db, const char *sql)
{
	if (strcasestr(sql, "DEALLOCATE") || strcasestr(sql, "DISCARD"))
		db_forget_cached(db);
}

/* A COPY FROM STDIN / TO STDOUT result (validation refuses them in
 * migrations; this is the defence): end it, so the server reports the
 * statement as failed or done instead of waiting for us. 1 when res was
 * one (and is cleared). */
static int db_end_copy(struct db *db, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COPY_IN) {
		if (PQputCopyEnd(db->conn, "zdm does not support COPY FROM STDIN in "
					   "migrations; use INSERT") < 0)
			log_warn("copy", "could not end COPY");
	} else if (st == PGRES_COPY_OUT) {
		char *buf;
		while (PQgetCopyData(db->conn, &buf, 0) > 0)
			PQfreemem(buf);
	} else {
		return 0;
	}
	PQclear(res);
	return 1;
}

int db_run(struct db *db, struct db *observer, const char *sql, long long watch_ms,
	   struct db_run *r)
{
	long long start = util_now_ms();
	PGresult *res;

	memset(r, 0, sizeof(*r));
	r->failed = -1;
	db_watch_deallocate(db, sql);
	if (!PQsendQuery(db->conn, sql))
		return -1;
	(void)db_wait(db, observer, start, watch_ms, r);
	/* Collect every result; keep the first error, else the last one. */
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (db_end_copy(db, res))
			continue;
		if (r->res && PQresultStatus(r->res) == PGRES_FATAL_ERROR) {
			PQclear(res);
			continue;
		}
		PQclear(r->res);
		r->res = res;
	}
	if (!r->res) {
		db->lost = 1;
		return -1;
	}
	{
		ExecStatusType st = PQresultStatus(r->res);
		/* A statement that finished before the cancel arrived did
		 * succeed (and may be committed): report it as such; the
		 * caller checks db_interrupted before the next step. */
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
			return 0;
	}
	db_note_result(db, r->res);
	r->failed = 0;
	return -1;
}

static int db_result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

int db_pipeline(struct db *db, struct db *observer, const struct db_cmd *cmds, int n, int keep,
		long long watch_ms, struct db_run *r)
{
	long long start = util_now_ms();
	int *slot = xmalloc(sizeof(*slot) * (size_t)n);
	int *gen = xmalloc(sizeof(*gen) * (size_t)n); /* the cache's, when reserved */
	char *fresh = xmalloc((size_t)n);
	int i, sent = 1, lost = 0, phase, extra = 0;
	PGresult *res;

	memset(r, 0, sizeof(*r));
	r->failed = -1;
	if (!PQenterPipelineMode(db->conn)) {
		free(slot);
		free(gen);
		free(fresh);
		return -1;
	}
	/* nonblocking while sending: a long pipeline must not block on a
	 * full socket while the server waits for us to read its results */
	if (PQsetnonblocking(db->conn, 1) != 0)
		sent = 0;
	for (i = 0; i < n && sent; i++) {
		const struct db_cmd *c = &cmds[i];
		int fr = 0;

		db_watch_deallocate(db, c->sql);
		slot[i] = c->cache ? db_cache_slot(db, c->sql, &fr) : -1;
		fresh[i] = (char)fr;
		gen[i] = db->cached_gen;
		if (slot[i] < 0) {
			sent = PQsendQueryParams(db->conn, c->sql, c->nparams, NULL, c->params,
						 NULL, NULL, 0);
			continue;
		}
		if (fr) { /* reserve the slot; released if the prepare fails */
			db->cached[slot[i]] = xstrdup(c->sql);
			sent = PQsendPrepare(db->conn, db_cached_name(db, slot[i]), c->sql,
					     c->nparams, NULL);
		}
		sent = sent && PQsendQueryPrepared(db->conn, db_cached_name(db, slot[i]),
						   c->nparams, c->params, NULL, NULL, 0);
	}
	if (!sent || !PQpipelineSync(db->conn)) {
		/* nothing was sent unless the connection is gone */
		db_forget_cached(db); /* whatever was reserved is not prepared */
		lost = 1;
		n = 0;
	}
	/* per command: [the prepare's result, NULL,] its result, NULL; then
	 * the sync */
	i = 0;
	phase = n > 0 && fresh[0] && slot[0] >= 0 ? 0 : 1;
	while (!lost) {
		ExecStatusType st;

		if (db_wait(db, observer, start, watch_ms, r) < 0) {
			lost = 1;
			break;
		}
		res = PQgetResult(db->conn);
		if (!res) {
			if (i >= n && ++extra > 2) { /* the sync never came: broken */
				lost = 1;
				break;
			}
			if (i >= n)
				continue; /* the sync comes next */
			if (phase == 0) {
				phase = 1;
			} else if (++i < n) {
				phase = fresh[i] && slot[i] >= 0 ? 0 : 1;
			}
			continue;
		}
		if (db_end_copy(db, res))
			continue;
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (i >= n) { /* cannot happen: more results than commands */
			PQclear(res);
			continue;
		}
		if (phase == 0 && st != PGRES_COMMAND_OK && gen[i] == db->cached_gen) {
			free(db->cached[slot[i]]); /* not prepared after all */
			db->cached[slot[i]] = NULL;
		}
		if (db_result_ok(res) && phase == 1 && i == keep) {
			r->res = res;
		} else if (!db_result_ok(res) && st != PGRES_PIPELINE_ABORTED && r->failed < 0) {
			r->failed = i;
			if (r->res)
				PQclear(r->res);
			r->res = res;
		} else {
			PQclear(res);
		}
	}
	if (!PQexitPipelineMode(db->conn))
		lost = 1;
	if (PQsetnonblocking(db->conn, 0) != 0)
		lost = 1;
	free(slot);
	free(gen);
	free(fresh);
	if (lost && r->failed < 0) {
		PQclear(r->res);
		r->res = NULL;
	}
	if (lost)
		db->lost = 1;
	else if (r->failed >= 0)
		db_note_result(db, r->res);
	return lost || r->failed >= 0 ? -1 : 0;
}

static int db_valid_ident(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$'))
			return 0;
	return 1;
}

int db_check_table_name(const char *name, const char *what, struct zerr *e)
{
	const char *dot = strchr(name, '.');
	int ok;

	if (dot)
		ok = db_valid_ident(name, (size_t)(dot - name)) &&
		     db_valid_ident(dot + 1, strlen(dot + 1));
	else
		ok = db_valid_ident(name, strlen(name));
	if (!ok) {
		zerr_set(e, ZDM_EXIT_USAGE, "invalid %s name \"%s\"", what, name);
		zerr_hint(e, "use an unquoted identifier, optionally schema-qualified, "
			     "e.g. my_table or app.my_table");
		return -1;
	}
	return 0;
}

static char *db_fold(const char *s, size_t n)
{
	char *r = xstrndup(s, n);
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

int db_table_init(struct db_table *t, struct db *db, const char *name, const char *what,
		  struct zerr *e)
{
	const char *dot;
	char *qs, *qt;
	const char *params[2];
	PGresult *r;

	memset(t, 0, sizeof(*t));
	if (db_check_table_name(name, what, e) < 0)
		return -1;
	dot = strchr(name, '.');
	if (dot) {
		t->schema = db_fold(name, (size_t)(dot - name));
		t->table = db_fold(dot + 1, strlen(dot + 1));
	} else {
		t->table = db_fold(name, strlen(name));
	}
	/* one round trip: the schema (current_schema() when unqualified)
	 * and whether the table exists there */
	params[0] = t->schema;
	params[1] = t->table;
	r = db_query(db,
		     "SELECT s, pg_catalog.to_regclass(pg_catalog.quote_ident(s) || '.' ||"
		     " pg_catalog.quote_ident($2)) IS NOT NULL"
		     " FROM (SELECT coalesce($1, pg_catalog.current_schema()) AS s) x",
		     2, params, e);
	if (!r)
		return -1;
	if (PQgetisnull(r, 0, 0)) {
		PQclear(r);
		zerr_set(e, ZDM_EXIT_USAGE,
			 "no schema to put the %s \"%s\" in: search_path is empty", what, name);
		zerr_hint(e, "schema-qualify it, e.g. public.%s", name);
		return -1;
	}
	if (!t->schema)
		t->schema = xstrdup(PQgetvalue(r, 0, 0));
	t->exists = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	qs = db_quote_ident(t->schema);
	qt = db_quote_ident(t->table);
	t->qname = xasprintf("%s.%s", qs, qt);
	t->display = xasprintf("%s.%s", t->schema, t->table);
	free(qs);
	free(qt);
	return 0;
}

void db_table_release(struct db_table *t)
{
	free(t->schema);
	free(t->table);
	free(t->qname);
	free(t->display);
	memset(t, 0, sizeof(*t));
}

int db_schema_sql(struct db *db, const struct db_table *t, struct sb *sql, struct zerr *e)
{
	const char *params[1];
	char *q = db_quote_ident(t->schema);
	PGresult *r;

	params[0] = q;
	r = db_query(db, "SELECT pg_catalog.to_regnamespace($1) IS NULL", 1, params, e);
	if (r && PQgetvalue(r, 0, 0)[0] == 't')
		sb_addf(sql, "CREATE SCHEMA IF NOT EXISTS %s;", q);
	free(q);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
