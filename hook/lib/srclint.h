/*
 * srclint — lint a loaded migrations set (source.h) with the classifier
 * (lint.h): every file in version order into one context; files marked
 * learn_only (already applied, or older than --since) teach the context
 * and report nothing. The allow= directives the source loader parsed are
 * handed to the classifier; an allow naming no known rule is an input
 * error (exit 2) naming the file and line.
 *
 * This is the one path from migration files to findings: migrate, lint,
 * the Helm plugin and the corpus test all go through it.
 */
#ifndef ZDM_SRCLINT_H
#define ZDM_SRCLINT_H

#include "lint.h"
#include "source.h"

/* learn_only: NULL, or one flag per src->v entry, then one per
 * src->baselines entry (srclint_since's). Every B file is linted too, each
 * in a context of its own: it is what a fresh database runs. Findings
 * are appended to out. Returns -1 with e set on an unknown rule id in allow=. */
int srclint_run(const struct src_set *src, const unsigned char *learn_only, struct lint_report *out,
		struct zerr *e);

/* The learn_only flags for a lint that grandfathers every version at or
 * below since (--since; NULL: zdm.yaml's since:, else nothing): *learn
 * gets one flag per src->v entry, then one per src->baselines entry
 * (caller frees; NULL when nothing is grandfathered). -1 with e set (exit 2, naming zdm.yaml when it came
 * from there) when since is not a version. srclint_run with learn_only
 * NULL applies zdm.yaml's since: this way. */
int srclint_since(const struct src_set *src, const char *since, unsigned char **learn,
		  struct zerr *e);

/* How migrate lints one run (see lint_file.run_scope and .empty_db). */
struct srclint_opts {
	int run_scope; /* the files not learn_only are applied by one run */
	int empty_db; /* ... to a database with no versions and no relations */
	/* a B file this run applies: linted in place of the versions at or
	 * below its own, which are neither linted nor learned */
	const struct src_migration *baseline;
};
/* srclint_run with those options (srclint_run is this with none). */
int srclint_run_opts(const struct src_set *src, const unsigned char *learn_only,
		     const struct srclint_opts *o, struct lint_report *out, struct zerr *e);

/* Fill e (exit 6) summarising the refusing findings of r; returns -1
 * when there are any, 0 otherwise. */
int srclint_refuse(const struct lint_report *r, struct zerr *e);

/* The allowed-by-comment findings of one file, as "rule: reason; ..."
 * for the history row (caller frees; NULL when none). */
char *srclint_allowed(const struct lint_report *r, const char *path);

#endif
