/*
 * lock — zdm's one session-level advisory lock per database and history
 * table.
 *
 * Taken with pg_try_advisory_lock polled with backoff and jitter, on the
 * connection that applies the migrations (migrate.c says why: exactly
 * once after a kill), in short autocommit statements: a waiter never sits
 * inside pg_advisory_lock (it would hold a snapshot that a CREATE INDEX
 * CONCURRENTLY in the holder waits for), and no transaction is kept open
 * across the run. The lock dies with the session, so a killed runner never
 * leaves a stale lock, and not before that session has settled all it was
 * sent.
 */
#ifndef ZDM_LOCK_H
#define ZDM_LOCK_H

#include <stdint.h>

#include "db.h"

#define LOCK_CLASS 0x7A444D00 /* "zDM\0": the first key of the pair */

/* Wait at most wait_ms for the lock; exit code 3 on timeout. */
int lock_acquire(struct db *db, int32_t key, long long wait_ms, struct zerr *e);
/* Release it (the session ending would too). */
void lock_release(struct db *db, int32_t key);
/* Describe the current holder(s) into buf ("" when none). */
void lock_describe_holder(struct db *db, int32_t key, char *buf, size_t size);

#endif
