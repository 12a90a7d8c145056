/*
 * zdm-loadgen — the rollout simulator's load generator (tests/rollout/).
 *
 * Three commands in one binary:
 *   zdm-loadgen [run] ...   N clients per application version, each on its
 *                           own connection and thread, running that
 *                           version's query mix at a paced rate; one CSV
 *                           row per request (loadgen.c)
 *   zdm-loadgen report ...  per phase and version: requests, errors,
 *                           p50/p99/max latency, the errors by kind
 *   zdm-loadgen series ...  the same per time bucket, for the plots
 *                           (report.c)
 *
 * The request CSV, written by run and read by report and series:
 *   t_start_ms,app_version,op,latency_us,ok,sqlstate,client,message
 * t_start_ms is wall-clock epoch milliseconds (so a driver can line its
 * phase marks up with it), latency_us the time from sending the request to
 * its result, ok 1 or 0, sqlstate empty when ok, message the error's
 * primary message, double-quoted.
 */
#ifndef ZDM_LOADGEN_H
#define ZDM_LOADGEN_H

#include <stddef.h>

#include "util.h"

#define LG_MAX_PARAMS 3 /* $1 id, $2 name, $3 unique email */
#define LG_MAX_MIX 8 /* application versions in one run */
#define LG_NAME_MAX 32 /* version and op names */

#define LG_CSV_HEADER "t_start_ms,app_version,op,latency_us,ok,sqlstate,client,message"

struct lg_op {
	char *name;
	char *sql; /* one statement, no trailing semicolon */
	int weight;
	int nparams; /* highest $N the statement uses */
};

/* One application version's query mix, read from a SQL file (mix.c). */
struct lg_mix {
	char *version;
	char *path;
	struct lg_op *ops;
	size_t nops;
	long long total_weight;
};

/* Read PATH as VERSION's mix. The file is a list of statements, each
 * after a line "-- op: NAME [weight=N]"; other "--" lines are comments.
 * Returns -1 with e set (naming file and line) on a malformed file. */
int lg_mix_load(struct lg_mix *m, const char *version, const char *path, struct zerr *e);
void lg_mix_free(struct lg_mix *m);
/* The op that random number r picks, by weight. */
const struct lg_op *lg_mix_pick(const struct lg_mix *m, unsigned long long r);

/* [A-Za-z0-9._-]{1,LG_NAME_MAX-1}: safe in CSV fields and file names. */
int lg_valid_name(const char *s);

int lg_run_main(int argc, char **argv);
int lg_report_main(int argc, char **argv);
int lg_series_main(int argc, char **argv);

#endif
