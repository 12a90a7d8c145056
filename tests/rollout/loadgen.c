/*
 * zdm-loadgen run — old and new application versions hammering one
 * database, the way a rolling update does.
 *
 * For every --mix VERSION=FILE there are --max-clients client threads;
 * the first N of them are active, N coming from --clients and then from
 * the --control file, which a driver rewrites during the run (a rolling
 * switch: v2 ramps up while v1 ramps down). An active client holds its own
 * connection (a pod's), made when it becomes active and closed when it
 * becomes inactive after its request in flight, and sends one request per
 * 1/--rate seconds, paced: a request that took longer than its slot makes
 * the client skip the missed slots instead of bursting to catch up. Every
 * request becomes one CSV row (see loadgen.h).
 *
 * Bounded: the run ends after --duration, after --max-requests requests,
 * on "stop" in the control file, or on SIGINT/SIGTERM; requests still in
 * flight get --stop-grace to finish and are then cancelled on the server.
 * Loopback only: a conninfo naming another host is refused.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "loadgen.h"

#define LG_OID_INT8 20
#define LG_OID_TEXT 25

struct lg_run;

struct lg_client {
	struct lg_run *run;
	size_t mix;
	int slot;
	pthread_t th;
	pthread_mutex_t mu; /* guards cancel and busy */
	PGcancel *cancel;
	int busy;
	atomic_int done;
	/* written by the thread, read after it is joined */
	long long requests, errors, max_us;
};

struct lg_run {
	const char *conninfo;
	struct lg_mix mix[LG_MAX_MIX];
	size_t nmix;
	int max_clients;
	long long interval_us;
	long long ids;
	long long stmt_timeout_ms;
	long long nonce;
	long long t0_wall;
	FILE *out;
	pthread_mutex_t out_mu;
	int out_failed;
	const char *app_arg[LG_MAX_MIX]; /* --app-name VERSION=NAME, as given */
	size_t napp_arg;
	char app_name[LG_MAX_MIX][64]; /* per mix; "" for zdm-loadgen/VERSION/N */
	atomic_int want[LG_MAX_MIX];
	atomic_int stop;
	atomic_llong budget;
};

static volatile sig_atomic_t lg_signal;

static void lg_on_signal(int sig)
{
	lg_signal = sig;
}

static long long lg_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void lg_nap_us(long long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

	if (us > 0)
		nanosleep(&ts, NULL); /* an early wake-up is harmless: callers loop */
}

/* xorshift64*: one generator per client thread. */
static unsigned long long lg_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void lg_log(const struct lg_run *r, const char *fmt, ...) ZDM_PRINTF(2, 3);
static void lg_log(const struct lg_run *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zdm-loadgen: %7.2fs: ", (double)(util_wall_ms() - r->t0_wall) / 1000.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One CSV row; the message double-quoted, on one line. */
static void lg_record(struct lg_client *c, long long t_start_ms, const char *op,
		      long long latency_us, int ok, const char *sqlstate, const char *msg)
{
	struct lg_run *r = c->run;
	struct sb q;
	const char *p;

	sb_init(&q);
	sb_addc(&q, '"');
	for (p = msg ? msg : ""; *p; p++) {
		if (*p == '"')
			sb_adds(&q, "\"\"");
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			sb_addc(&q, ' ');
		else
			sb_addc(&q, *p);
	}
	while (q.len > 1 && q.buf[q.len - 1] == ' ')
		q.buf[--q.len] = '\0';
	sb_addc(&q, '"');
	pthread_mutex_lock(&r->out_mu);
	if (fprintf(r->out, "%lld,%s,%s,%lld,%d,%s,%d,%s\n", t_start_ms, r->mix[c->mix].version, op,
		    latency_us, ok, sqlstate ? sqlstate : "", c->slot, ok ? "" : q.buf) < 0)
		r->out_failed = 1;
	pthread_mutex_unlock(&r->out_mu);
	sb_release(&q);
	c->requests++;
	if (!ok)
		c->errors++;
	if (latency_us > c->max_us)
		c->max_us = latency_us;
}

static void lg_disconnect(struct lg_client *c, PGconn **conn)
{
	pthread_mutex_lock(&c->mu);
	if (c->cancel)
		PQfreeCancel(c->cancel);
	c->cancel = NULL;
	pthread_mutex_unlock(&c->mu);
	PQfinish(*conn);
	*conn = NULL;
}

/* Connect as this client's pod would; a failure is a recorded error. */
static PGconn *lg_connect(struct lg_client *c)
{
	struct lg_run *r = c->run;
	char app[64], timeout[32];
	const char *kw[] = { "dbname", "application_name", "connect_timeout", NULL };
	const char *val[] = { r->conninfo, app, "10", NULL };
	long long t_ms = util_wall_ms(), t0 = lg_mono_us();
	PGconn *conn;
	PGresult *res;

	if (r->app_name[c->mix][0])
		snprintf(app, sizeof(app), "%s", r->app_name[c->mix]);
	else
		snprintf(app, sizeof(app), "zdm-loadgen/%s/%d", r->mix[c->mix].version, c->slot);
	conn = PQconnectdbParams(kw, val, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		lg_record(c, t_ms, "connect", lg_mono_us() - t0, 0, "08001",
			  conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	snprintf(timeout, sizeof(timeout), "%lld", r->stmt_timeout_ms);
	res = PQexecParams(conn, "SELECT set_config('statement_timeout', $1, false)", 1, NULL,
			   (const char *const[]){ timeout }, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		lg_record(c, t_ms, "connect", lg_mono_us() - t0, 0, st ? st : "",
			  PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	pthread_mutex_lock(&c->mu);
	c->cancel = PQgetCancel(conn);
	pthread_mutex_unlock(&c->mu);
	return conn;
}

static void lg_request(struct lg_client *c, PGconn *conn, uint64_t *rng, long long seq)
{
	struct lg_run *r = c->run;
	const struct lg_mix *m = &r->mix[c->mix];
	const struct lg_op *op = lg_mix_pick(m, lg_rand(rng));
	char id[32], name[64], email[128];
	const char *vals[LG_MAX_PARAMS] = { id, name, email };
	const Oid types[LG_MAX_PARAMS] = { LG_OID_INT8, LG_OID_TEXT, LG_OID_TEXT };
	long long t_ms, t0, lat;
	PGresult *res;
	ExecStatusType st;
	const char *sqlstate = "", *msg = NULL;
	int ok;

	snprintf(id, sizeof(id), "%llu", 1 + lg_rand(rng) % (unsigned long long)r->ids);
	snprintf(name, sizeof(name), "%s user %llu", m->version, lg_rand(rng) % 1000000);
	snprintf(email, sizeof(email), "lg-%lld-%s-%d-%lld@example.com", r->nonce, m->version,
		 c->slot, seq);
	pthread_mutex_lock(&c->mu);
	c->busy = 1;
	pthread_mutex_unlock(&c->mu);
	t_ms = util_wall_ms();
	t0 = lg_mono_us();
	res = PQexecParams(conn, op->sql, op->nparams, types, vals, NULL, NULL, 0);
	lat = lg_mono_us() - t0;
	pthread_mutex_lock(&c->mu);
	c->busy = 0;
	pthread_mutex_unlock(&c->mu);
	st = PQresultStatus(res);
	ok = res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
	if (!ok) {
		const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		sqlstate = s ? s : "";
		msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		if (!msg)
			msg = PQerrorMessage(conn);
	}
	lg_record(c, t_ms, op->name, lat, ok, sqlstate, msg);
	PQclear(res);
}

static void *lg_client_main(void *arg)
{
	struct lg_client *c = arg;
	struct lg_run *r = c->run;
	PGconn *conn = NULL;
	uint64_t rng = (uint64_t)lg_mono_us() ^ ((uint64_t)(c->mix + 1) << 48) ^
		       ((uint64_t)(c->slot + 1) << 32) ^ (uint64_t)r->nonce;
	long long next = 0, seq = 0, backoff_us = 100000;

	if (rng == 0)
		rng = 0x9E3779B97F4A7C15ULL;
	while (!atomic_load(&r->stop)) {
		long long now;

		if (c->slot >= atomic_load(&r->want[c->mix])) {
			if (conn)
				lg_disconnect(c, &conn);
			lg_nap_us(20000);
			continue;
		}
		if (!conn) {
			conn = lg_connect(c);
			if (!conn) {
				lg_nap_us(backoff_us);
				if (backoff_us < 2000000)
					backoff_us *= 2;
				continue;
			}
			backoff_us = 100000;
			/* a random phase, so clients do not fire in lockstep */
			next = lg_mono_us() +
			       (long long)(lg_rand(&rng) % (unsigned long long)r->interval_us);
		}
		now = lg_mono_us();
		if (next > now) {
			lg_nap_us(next - now < 20000 ? next - now : 20000);
			continue;
		}
		if (now - next > r->interval_us)
			next = now; /* fell a whole slot behind: skip, never burst */
		next += r->interval_us;
		if (atomic_fetch_sub(&r->budget, 1) <= 0) {
			atomic_store(&r->stop, 1);
			break;
		}
		lg_request(c, conn, &rng, ++seq);
		if (PQstatus(conn) == CONNECTION_BAD)
			lg_disconnect(c, &conn); /* reconnects on the next turn */
	}
	if (conn)
		lg_disconnect(c, &conn);
	atomic_store(&c->done, 1);
	return NULL;
}

/* "v1=8,v2=0" (commas or white space between) into want[]; "stop" sets
 * *stop. Returns -1 with a message in err on anything else. */
static int lg_parse_counts(struct lg_run *r, const char *text, int want[LG_MAX_MIX], int *stop,
			   char *err, size_t errsize)
{
	char *copy = xstrdup(text), *tok, *save = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < r->nmix; i++)
		want[i] = atomic_load(&r->want[i]);
	for (tok = strtok_r(copy, ", \t\r\n", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ", \t\r\n", &save)) {
		char *eq = strchr(tok, '=');
		long long n;

		if (tok[0] == '#') { /* a comment runs to the end of its line */
			strtok_r(NULL, "\n", &save);
			continue;
		}
		if (strcmp(tok, "stop") == 0) {
			*stop = 1;
			continue;
		}
		if (!eq) {
			snprintf(err, errsize, "\"%s\" is not VERSION=N or stop", tok);
			rc = -1;
			break;
		}
		*eq = '\0';
		for (i = 0; i < r->nmix; i++)
			if (strcmp(r->mix[i].version, tok) == 0)
				break;
		if (i == r->nmix) {
			snprintf(err, errsize, "no --mix for version \"%s\"", tok);
			rc = -1;
		} else if (util_parse_uint(eq + 1, r->max_clients, &n) < 0) {
			snprintf(err, errsize, "%s=%s: want 0..%d clients (--max-clients)", tok,
				 eq + 1, r->max_clients);
			rc = -1;
		} else {
			want[i] = (int)n;
		}
	}
	free(copy);
	return rc;
}

static void lg_log_counts(const struct lg_run *r, const char *why)
{
	struct sb s;
	size_t i;

	sb_init(&s);
	for (i = 0; i < r->nmix; i++)
		sb_addf(&s, " %s=%d", r->mix[i].version, atomic_load(&r->want[i]));
	lg_log(r, "%s:%s", why, s.buf);
	sb_release(&s);
}

/* Re-read the control file when it changed; *last holds what was applied. */
static void lg_poll_control(struct lg_run *r, const char *path, char **last)
{
	char *text = NULL, err[256];
	size_t len;
	struct zerr e = { 0 };
	int want[LG_MAX_MIX], stop = 0, changed = 0;
	size_t i;

	if (util_read_file(path, 4096, &text, &len, &e) < 0)
		return; /* not written yet, or being replaced: keep the counts */
	if (*last && strcmp(*last, text) == 0) {
		free(text);
		return;
	}
	free(*last);
	*last = text;
	if (lg_parse_counts(r, text, want, &stop, err, sizeof(err)) < 0) {
		lg_log(r, "control file \"%s\" ignored: %s", path, err);
		return;
	}
	for (i = 0; i < r->nmix; i++)
		if (atomic_exchange(&r->want[i], want[i]) != want[i])
			changed = 1;
	if (changed)
		lg_log_counts(r, "clients");
	if (stop) {
		lg_log(r, "control file says stop");
		atomic_store(&r->stop, 1);
	}
}

static int lg_is_loopback(const char *h)
{
	return h[0] == '/' || h[0] == '@' || strcmp(h, "localhost") == 0 ||
	       strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0;
}

/* Every host and hostaddr of a comma-separated list is loopback (or a
 * Unix socket directory); NULL or empty means libpq's default socket. */
static int lg_list_is_loopback(const char *list)
{
	char *copy, *tok, *save = NULL;
	int ok = 1;

	if (!list || !list[0])
		return 1;
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (tok[0] && !lg_is_loopback(tok))
			ok = 0;
	free(copy);
	return ok;
}

/* Refuse anything but loopback TCP or a Unix socket: the conninfo (and
 * PGHOST, PGHOSTADDR) before connecting, the connection's host after. */
static int lg_check_loopback(struct lg_run *r, struct zerr *e)
{
	const char *kw[] = { "dbname", "application_name", "connect_timeout", NULL };
	const char *val[] = { r->conninfo, "zdm-loadgen", "10", NULL };
	PQconninfoOption *opts, *o;
	PGconn *conn;
	const char *host, *addr;
	char *err = NULL;
	int rc = 0;

	opts = PQconninfoParse(r->conninfo ? r->conninfo : "", &err);
	if (!opts) {
		rc = zerr_set(e, ZDM_EXIT_USAGE, "--conninfo: %s", err ? err : "out of memory");
		PQfreemem(err);
		return rc;
	}
	for (o = opts; o->keyword; o++) {
		const char *v = o->val;

		if (strcmp(o->keyword, "host") == 0 && !v)
			v = getenv("PGHOST");
		else if (strcmp(o->keyword, "hostaddr") == 0 && !v)
			v = getenv("PGHOSTADDR");
		else if (strcmp(o->keyword, "host") != 0 && strcmp(o->keyword, "hostaddr") != 0)
			continue;
		if (!lg_list_is_loopback(v))
			rc = zerr_set(e, ZDM_EXIT_USAGE,
				      "refusing %s \"%s\": zdm-loadgen only talks to a loopback "
				      "PostgreSQL",
				      o->keyword, v);
	}
	PQconninfoFree(opts);
	if (rc < 0)
		return rc;
	conn = PQconnectdbParams(kw, val, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		rc = zerr_set(e, ZDM_EXIT_FAILED, "cannot connect: %s",
			      conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return rc;
	}
	host = PQhost(conn);
	addr = PQhostaddr(conn);
	if (!host || !lg_is_loopback(host) || (addr && addr[0] && !lg_is_loopback(addr)))
		rc = zerr_set(e, ZDM_EXIT_USAGE,
			      "refusing host \"%s\"%s%s: zdm-loadgen only talks to a loopback "
			      "PostgreSQL",
			      host ? host : "?", addr && addr[0] ? " at " : "",
			      addr && addr[0] ? addr : "");
	PQfinish(conn);
	return rc;
}

static void lg_usage(FILE *f)
{
	fputs("usage: zdm-loadgen [run] --mix VERSION=FILE... --out CSV [OPTIONS]\n"
	      "       zdm-loadgen report --csv CSV --phases TSV [--label NAME] [--csv-out FILE]\n"
	      "       zdm-loadgen series --csv CSV --t0 MS [--bucket DURATION] --out PREFIX\n"
	      "\n"
	      "run: clients per application version, each on its own connection, running\n"
	      "that version's query mix at a paced rate; one CSV row per request.\n"
	      "  --conninfo STR        libpq conninfo or URL (default: the PG* variables);\n"
	      "                        loopback hosts only\n"
	      "  --mix VERSION=FILE    a version's query mix (repeat, up to 8)\n"
	      "  --app-name VERSION=NAME  application_name of that version's clients, as\n"
	      "                        an app pod sets it (\"shop/1.0.0\": release/app version,\n"
	      "                        what zdm's contract guard looks for; default\n"
	      "                        zdm-loadgen/VERSION/N)\n"
	      "  --clients V=N,...     active clients per version at the start (default 0)\n"
	      "  --max-clients N       client threads per version (default 16, at most 128)\n"
	      "  --rate R              requests/s per active client (default 50)\n"
	      "  --duration D          stop after D (default 60s, at most 1h)\n"
	      "  --max-requests N      stop after N requests (default 10000000)\n"
	      "  --ids N               $1 is a random id in 1..N (default 1000)\n"
	      "  --statement-timeout D statement_timeout of the clients (default 30s; 0 none)\n"
	      "  --stop-grace D        time requests in flight get at the end (default 5s)\n"
	      "  --control FILE        re-read every 100 ms: \"v1=6,v2=2\" sets the active\n"
	      "                        clients, \"stop\" ends the run (rewrite it atomically)\n"
	      "  --out FILE            the request CSV (\"-\": stdout)\n",
	      f);
}

static int lg_parse_mix_arg(struct lg_run *r, const char *arg, struct zerr *e)
{
	const char *eq = strchr(arg, '=');
	char version[LG_NAME_MAX + 1];
	size_t i;

	if (!eq || (size_t)(eq - arg) >= sizeof(version))
		return zerr_set(e, ZDM_EXIT_USAGE, "--mix wants VERSION=FILE (got \"%s\")", arg);
	memcpy(version, arg, (size_t)(eq - arg));
	version[eq - arg] = '\0';
	if (!lg_valid_name(version))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"--mix: bad version name \"%s\" ([A-Za-z0-9._-])", version);
	for (i = 0; i < r->nmix; i++)
		if (strcmp(r->mix[i].version, version) == 0)
			return zerr_set(e, ZDM_EXIT_USAGE, "--mix %s given twice", version);
	if (r->nmix == LG_MAX_MIX)
		return zerr_set(e, ZDM_EXIT_USAGE, "at most %d --mix", LG_MAX_MIX);
	if (lg_mix_load(&r->mix[r->nmix], version, eq + 1, e) < 0) {
		lg_mix_free(&r->mix[r->nmix]);
		return -1;
	}
	r->nmix++;
	return 0;
}

/* --app-name VERSION=NAME, once every --mix is known */
static int lg_resolve_app_names(struct lg_run *r, struct zerr *e)
{
	for (size_t k = 0; k < r->napp_arg; k++) {
		const char *arg = r->app_arg[k], *eq = strchr(arg, '=');
		size_t i, vlen = eq ? (size_t)(eq - arg) : 0;

		if (!eq || !eq[1])
			return zerr_set(e, ZDM_EXIT_USAGE,
					"--app-name wants VERSION=NAME (got \"%s\")", arg);
		for (i = 0; i < r->nmix; i++)
			if (strlen(r->mix[i].version) == vlen &&
			    strncmp(r->mix[i].version, arg, vlen) == 0)
				break;
		if (i == r->nmix)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"--app-name %.*s: no --mix %.*s=FILE was given", (int)vlen,
					arg, (int)vlen, arg);
		if (strlen(eq + 1) >= sizeof(r->app_name[i]))
			return zerr_set(e, ZDM_EXIT_USAGE,
					"--app-name %s: at most %zu characters (application_name)",
					arg, sizeof(r->app_name[i]) - 1);
		for (const char *p = eq + 1; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				return zerr_set(e, ZDM_EXIT_USAGE,
						"--app-name %s: printable ASCII only", arg);
		if (r->app_name[i][0])
			return zerr_set(e, ZDM_EXIT_USAGE, "--app-name for %.*s given twice",
					(int)vlen, arg);
		snprintf(r->app_name[i], sizeof(r->app_name[i]), "%s", eq + 1);
	}
	return 0;
}

static int lg_parse_args(struct lg_run *r, int argc, char **argv, const char **clients,
			 const char **control, const char **out, long long *duration_ms,
			 long long *grace_ms, int *help, struct zerr *e)
{
	static const struct option opts[] = {
		{ "conninfo", required_argument, NULL, 'c' },
		{ "mix", required_argument, NULL, 'm' },
		{ "app-name", required_argument, NULL, 'a' },
		{ "clients", required_argument, NULL, 'n' },
		{ "max-clients", required_argument, NULL, 'M' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "max-requests", required_argument, NULL, 'R' },
		{ "ids", required_argument, NULL, 'i' },
		{ "statement-timeout", required_argument, NULL, 's' },
		{ "stop-grace", required_argument, NULL, 'g' },
		{ "control", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long n;
	double rate = 50;
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			r->conninfo = optarg;
			break;
		case 'm':
			if (lg_parse_mix_arg(r, optarg, e) < 0)
				return -1;
			break;
		case 'a':
			if (r->napp_arg == LG_MAX_MIX)
				return zerr_set(e, ZDM_EXIT_USAGE, "at most %d --app-name",
						LG_MAX_MIX);
			r->app_arg[r->napp_arg++] = optarg;
			break;
		case 'n':
			*clients = optarg;
			break;
		case 'M':
			if (util_parse_uint(optarg, 128, &n) < 0 || n < 1)
				return zerr_set(e, ZDM_EXIT_USAGE, "--max-clients wants 1..128");
			r->max_clients = (int)n;
			break;
		case 'r': {
			char *end;
			errno = 0;
			rate = strtod(optarg, &end);
			if (errno || *end || !(rate >= 0.1 && rate <= 10000))
				return zerr_set(e, ZDM_EXIT_USAGE,
						"--rate wants 0.1..10000 requests/s");
			break;
		}
		case 'd':
			if (util_parse_duration(optarg, duration_ms) < 0 || *duration_ms < 1 ||
			    *duration_ms > 3600000)
				return zerr_set(e, ZDM_EXIT_USAGE, "--duration wants 1ms..1h");
			break;
		case 'R':
			if (util_parse_uint(optarg, 1000000000, &n) < 0 || n < 1)
				return zerr_set(e, ZDM_EXIT_USAGE,
						"--max-requests wants 1..1000000000");
			atomic_store(&r->budget, n);
			break;
		case 'i':
			if (util_parse_uint(optarg, 1000000000000LL, &r->ids) < 0 || r->ids < 1)
				return zerr_set(e, ZDM_EXIT_USAGE,
						"--ids wants a positive integer");
			break;
		case 's':
			if (util_parse_duration(optarg, &r->stmt_timeout_ms) < 0)
				return zerr_set(e, ZDM_EXIT_USAGE,
						"--statement-timeout wants a duration");
			break;
		case 'g':
			if (util_parse_duration(optarg, grace_ms) < 0 || *grace_ms > 600000)
				return zerr_set(e, ZDM_EXIT_USAGE, "--stop-grace wants 0..10m");
			break;
		case 'C':
			*control = optarg;
			break;
		case 'o':
			*out = optarg;
			break;
		case 'h':
			*help = 1;
			return 0;
		default:
			return zerr_set(e, ZDM_EXIT_USAGE, "unknown or incomplete option \"%s\"",
					argv[optind - 1]);
		}
	}
	if (optind < argc)
		return zerr_set(e, ZDM_EXIT_USAGE, "unexpected argument \"%s\"", argv[optind]);
	if (r->nmix == 0)
		return zerr_set(e, ZDM_EXIT_USAGE, "at least one --mix VERSION=FILE is needed");
	if (lg_resolve_app_names(r, e) < 0)
		return -1;
	if (!*out)
		return zerr_set(e, ZDM_EXIT_USAGE, "--out FILE is needed");
	r->interval_us = (long long)(1e6 / rate);
	if (r->interval_us < 1)
		r->interval_us = 1;
	return 0;
}

int lg_run_main(int argc, char **argv)
{
	struct lg_run r;
	struct lg_client *cl = NULL;
	struct zerr e = { 0 };
	const char *clients = NULL, *control = NULL, *out = NULL;
	char *last_control = NULL, err[256];
	long long duration_ms = 60000, grace_ms = 5000, deadline, stop_at, next_cancel;
	int want[LG_MAX_MIX], stop = 0, rc = 0, help = 0;
	size_t i, nclients = 0, running;
	struct sigaction sa;

	memset(&r, 0, sizeof(r));
	r.max_clients = 16;
	r.ids = 1000;
	r.stmt_timeout_ms = 30000;
	atomic_store(&r.budget, 10000000);
	atomic_store(&r.stop, 0);
	r.t0_wall = util_wall_ms();
	r.nonce = r.t0_wall * 100 + getpid() % 100;
	if (lg_parse_args(&r, argc, argv, &clients, &control, &out, &duration_ms, &grace_ms, &help,
			  &e) < 0)
		goto fail;
	if (help) {
		lg_usage(stdout);
		for (i = 0; i < r.nmix; i++)
			lg_mix_free(&r.mix[i]);
		return 0;
	}
	for (i = 0; i < r.nmix; i++)
		atomic_store(&r.want[i], 0);
	if (clients) {
		if (lg_parse_counts(&r, clients, want, &stop, err, sizeof(err)) < 0 || stop) {
			zerr_set(&e, ZDM_EXIT_USAGE, "--clients: %s", stop ? "\"stop\"?" : err);
			goto fail;
		}
		for (i = 0; i < r.nmix; i++)
			atomic_store(&r.want[i], want[i]);
	}
	if (lg_check_loopback(&r, &e) < 0)
		goto fail;
	if (strcmp(out, "-") == 0) {
		r.out = stdout;
	} else if (!(r.out = fopen(out, "w"))) {
		zerr_set(&e, ZDM_EXIT_FAILED, "cannot write \"%s\": %s", out, strerror(errno));
		goto fail;
	}
	setvbuf(r.out, NULL, _IOFBF, 1 << 16);
	fprintf(r.out, "%s\n", LG_CSV_HEADER);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lg_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pthread_mutex_init(&r.out_mu, NULL);
	cl = xcalloc(r.nmix * (size_t)r.max_clients, sizeof(*cl));
	for (i = 0; i < r.nmix * (size_t)r.max_clients; i++) {
		struct lg_client *c = &cl[i];

		c->run = &r;
		c->mix = i / (size_t)r.max_clients;
		c->slot = (int)(i % (size_t)r.max_clients);
		pthread_mutex_init(&c->mu, NULL);
		atomic_store(&c->done, 0);
		if (pthread_create(&c->th, NULL, lg_client_main, c) != 0) {
			pthread_mutex_destroy(&c->mu);
			zerr_set(&e, ZDM_EXIT_FAILED, "cannot start client thread %zu", i);
			atomic_store(&r.stop, 1);
			rc = -1;
			break;
		}
		nclients++;
	}
	if (rc == 0) {
		lg_log_counts(&r, "start, clients");
		lg_log(&r, "%.1f requests/s per client, at most %lld ms",
		       1e6 / (double)r.interval_us, duration_ms);
	}
	deadline = util_now_ms() + duration_ms;
	while (!atomic_load(&r.stop)) {
		if (lg_signal) {
			lg_log(&r, "%s: stopping", strsignal(lg_signal));
			break;
		}
		if (util_now_ms() >= deadline) {
			lg_log(&r, "--duration reached: stopping");
			break;
		}
		if (control)
			lg_poll_control(&r, control, &last_control);
		lg_nap_us(100000);
	}
	atomic_store(&r.stop, 1);

	/* Requests in flight get the grace period, then a cancel each second. */
	stop_at = util_now_ms();
	next_cancel = stop_at + grace_ms;
	for (;;) {
		size_t busy = 0;

		running = 0;
		for (i = 0; i < nclients; i++)
			if (!atomic_load(&cl[i].done))
				running++;
		if (running == 0 || util_now_ms() > stop_at + grace_ms + 30000)
			break;
		if (util_now_ms() >= next_cancel) {
			for (i = 0; i < nclients; i++) {
				char buf[256];

				pthread_mutex_lock(&cl[i].mu);
				if (cl[i].busy && cl[i].cancel) {
					PQcancel(cl[i].cancel, buf, sizeof(buf));
					busy++;
				}
				pthread_mutex_unlock(&cl[i].mu);
			}
			lg_log(&r, "cancelled %zu requests still in flight after --stop-grace",
			       busy);
			next_cancel = util_now_ms() + 1000;
		}
		lg_nap_us(20000);
	}
	for (i = 0; i < nclients; i++) {
		pthread_join(cl[i].th, NULL);
		pthread_mutex_destroy(&cl[i].mu);
	}

	for (i = 0; i < r.nmix; i++) {
		long long n = 0, errs = 0, max = 0;
		size_t k;

		for (k = 0; k < (size_t)r.max_clients && i * (size_t)r.max_clients + k < nclients;
		     k++) {
			const struct lg_client *c = &cl[i * (size_t)r.max_clients + k];
			n += c->requests;
			errs += c->errors;
			if (c->max_us > max)
				max = c->max_us;
		}
		lg_log(&r, "%s: %lld requests, %lld errors, max latency %.1f ms", r.mix[i].version,
		       n, errs, (double)max / 1000.0);
	}
	if (fflush(r.out) != 0 || r.out_failed) {
		if (rc == 0)
			zerr_set(&e, ZDM_EXIT_FAILED, "cannot write \"%s\": %s", out,
				 strerror(errno));
		rc = -1;
	}
	if (r.out != stdout && fclose(r.out) != 0 && rc == 0) {
		zerr_set(&e, ZDM_EXIT_FAILED, "cannot write \"%s\": %s", out, strerror(errno));
		rc = -1;
	}
	pthread_mutex_destroy(&r.out_mu);
	free(cl);
	free(last_control);
	for (i = 0; i < r.nmix; i++)
		lg_mix_free(&r.mix[i]);
	if (rc < 0)
		goto print;
	return lg_signal ? 128 + lg_signal : 0;

fail:
	for (i = 0; i < r.nmix; i++)
		lg_mix_free(&r.mix[i]);
	if (r.out && r.out != stdout)
		fclose(r.out);
print:
	fprintf(stderr, "zdm-loadgen: error: %s\n", e.msg);
	if (e.code == ZDM_EXIT_USAGE)
		fprintf(stderr, "hint: run \"zdm-loadgen --help\"\n");
	return e.code ? e.code : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return lg_report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "series") == 0)
		return lg_series_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return lg_run_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		lg_usage(stdout);
		return 0;
	}
	return lg_run_main(argc, argv);
}
