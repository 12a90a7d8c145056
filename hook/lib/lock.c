/*
 * lock — poll pg_try_advisory_lock (see lock.h for why never block).
 *
 * Backoff: 25 ms doubling to a 1 s cap, with jitter so that eight runners
 * started together do not poll in step. While waiting the holder is
 * logged at most every 10 s: pid, application_name (zdm-hook/<pod>) and
 * since when it is connected.
 */
#include "lock.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static void lock_keys(int32_t key, char *k1, char *k2, size_t size)
{
	snprintf(k1, size, "%d", (int)LOCK_CLASS);
	snprintf(k2, size, "%d", (int)key);
}

void lock_describe_holder(struct db *db, int32_t key, char *buf, size_t size)
{
	char k1[16], k2[16];
	const char *params[2] = { k1, k2 };
	struct zerr e = { 0 };
	PGresult *r;
	size_t used = 0;

	buf[0] = '\0';
	snprintf(k1, sizeof(k1), "%u", (unsigned)LOCK_CLASS);
	snprintf(k2, sizeof(k2), "%u", (unsigned)(uint32_t)key);
	r = db_query(db,
		     "SELECT a.pid, coalesce(a.application_name, ''),"
		     " to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		     " coalesce(a.client_addr::text, 'local socket')"
		     " FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
		     " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
		     " AND l.classid = $1::oid AND l.objid = $2::oid"
		     " AND l.database = (SELECT oid FROM pg_catalog.pg_database"
		     "                   WHERE datname = pg_catalog.current_database())",
		     2, params, &e);
	if (!r)
		return;
	for (int i = 0; i < PQntuples(r) && used < size; i++) {
		int n = snprintf(buf + used, size - used,
				 "%spid %s (application \"%s\", from %s, connected since %s)",
				 i ? ", " : "", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
				 PQgetvalue(r, i, 3), PQgetvalue(r, i, 2));
		if (n < 0)
			break;
		used += (size_t)n;
	}
	PQclear(r);
}

int lock_acquire(struct db *db, int32_t key, long long wait_ms, struct zerr *e)
{
	char k1[16], k2[16];
	const char *params[2] = { k1, k2 };
	long long start = util_now_ms(), last_log = start;
	char holder[512];
	int attempt = 0;

	lock_keys(key, k1, k2, sizeof(k1));
	for (;;) {
		PGresult *r = db_query(db,
				       "SELECT pg_catalog.pg_try_advisory_lock($1::int4, $2::int4)",
				       2, params, e);
		long long now, delay;
		int got;

		if (!r)
			return -1;
		got = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (got) {
			if (attempt > 0)
				log_info("lock-acquired", "lock acquired after %lld ms",
					 util_now_ms() - start);
			return 0;
		}
		now = util_now_ms();
		if (attempt == 0 || now - last_log >= 10000) {
			lock_describe_holder(db, key, holder, sizeof(holder));
			log_info("lock-wait", "waiting for the migration lock held by %s",
				 holder[0] ? holder : "another session");
			last_log = now;
		}
		if (now - start >= wait_ms) {
			lock_describe_holder(db, key, holder, sizeof(holder));
			zerr_set(e, ZDM_EXIT_LOCK,
				 "timed out after %lld ms waiting for the migration lock",
				 now - start);
			if (holder[0])
				zerr_detail(e, "held by %s", holder);
			zerr_hint(e,
				  "another zdm-hook is migrating this database; raise --lock-wait, "
				  "or end that session if it is stuck");
			return -1;
		}
		if (db_interrupted)
			return zerr_set(e, ZDM_EXIT_FAILED,
					"interrupted by %s while waiting for the lock",
					db_interrupt_name());
		delay = util_backoff_ms(attempt++, 25, 1000);
		if (delay > wait_ms - (now - start))
			delay = wait_ms - (now - start);
		util_sleep_ms(delay);
	}
}

void lock_release(struct db *db, int32_t key)
{
	char k1[16], k2[16];
	const char *params[2] = { k1, k2 };
	struct zerr e = { 0 };
	PGresult *r;

	if (!db->conn)
		return;
	lock_keys(key, k1, k2, sizeof(k1));
	r = db_query(db, "SELECT pg_catalog.pg_advisory_unlock($1::int4, $2::int4)", 2, params, &e);
	PQclear(r);
}
