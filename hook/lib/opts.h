/*
 * opts — table-driven option parsing shared by both binaries.
 *
 * One table lists every option once: its name, the environment variable
 * that backs it, its kind, its default and help text, and a bit mask of
 * the commands that accept it. The same table drives parsing, the
 * environment fallback (flags beat ZDM_* variables beat defaults),
 * validation of values, and --help.
 */
#ifndef ZDM_OPTS_H
#define ZDM_OPTS_H

#include <stdio.h>

#include "util.h"

enum opt_kind { OPT_STRING, OPT_BOOL, OPT_DURATION, OPT_INT, OPT_CHOICE };

struct opt_def {
	const char *name;       /* long name without "--" */
	const char *env;        /* backing environment variable, or NULL */
	enum opt_kind kind;
	const char *metavar;    /* e.g. "DIR"; NULL for booleans */
	const char *def;        /* default as text, or NULL */
	const char *choices;    /* OPT_CHOICE: "text|json" */
	unsigned cmds;          /* commands that accept it */
	const char *help;
};

struct opt_value {
	const char *str;        /* the text value (argv, env or default) */
	long long num;          /* parsed number or duration (ms), bool 0/1 */
	int set;                /* given by flag or environment */
};

/* Parse argv[1..] for command mask cmd. Values land in vals[i] for
 * table[i]. Positional arguments are collected in order into args
 * (caller-provided array of argc entries), their count in *nargs.
 * Returns 0, 1 when --help was given, or -1 with e set (exit 2). */
int opts_parse(const struct opt_def *table, size_t n, unsigned cmd, int argc, char **argv,
	       struct opt_value *vals, const char **args, int *nargs, struct zerr *e);
/* Print the options of command mask cmd, as in --help. */
void opts_print_help(FILE *f, const struct opt_def *table, size_t n, unsigned cmd);

#endif
