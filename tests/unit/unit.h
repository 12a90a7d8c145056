/*
 * unit.h — the smallest test harness that does the job: CHECK records a
 * failure with file:line and goes on; unit_done prints one TAP-like
 * summary line per test program ("# unit NAME: N passed, M failed") that
 * tests/run.sh adds up, and returns the exit status.
 */
#ifndef ZDM_UNIT_H
#define ZDM_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			unit_passed++;                                                             \
		} else {                                                                           \
			unit_failed++;                                                             \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

static inline int unit_done(const char *name)
{
	printf("# unit %s: %d passed, %d failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
