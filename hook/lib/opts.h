/*
 * opts — table-driven option parsing shared by both binaries.
 *
 * Each command lists its options in its own entry: a NULL-terminated
 * array of pointers to option definitions (name, the environment
 * variable that backs it, kind, default, help text), in --help order. An
 * option one command takes is defined in that command's file; one that
 * several take is defined once beside the command table and listed by
 * each. The same list drives parsing, the environment fallback (flags
 * beat ZDM_* variables beat defaults), validation of values, and --help.
 * An option marked repeat keeps every value it is given (--placeholder
 * A=1 --placeholder B=2); any other given twice keeps the last.
 */
#ifndef ZDM_OPTS_H
#define ZDM_OPTS_H

#include <stdio.h>

#include "util.h"

/* OPT_ASSIGN: "NAME=VALUE", a non-empty NAME before the first "=". */
enum opt_kind { OPT_STRING, OPT_BOOL, OPT_DURATION, OPT_INT, OPT_CHOICE, OPT_ASSIGN };

struct opt_def {
	const char *name; /* long name without "--" */
	const char *env; /* backing environment variable, or NULL */
	enum opt_kind kind;
	const char *metavar; /* e.g. "DIR"; NULL for booleans */
	const char *def; /* default as text, or NULL */
	const char *choices; /* OPT_CHOICE: "text|json" */
	const char *help;
	int repeat; /* may be given several times: every value is kept, in
		     * order, in opt_value.all (the environment gives one) */
};

struct opt_value {
	const char *str; /* the text value (argv, env or default) */
	long long num; /* parsed number or duration (ms), bool 0/1 */
	int set; /* given by flag or environment */
	const char **all; /* repeat options: every value given (str is the
			   * last); nall of them; freed by opts_release */
	size_t nall;
};

/* Count the options of a NULL-terminated list (NULL: none). */
size_t opts_count(const struct opt_def *const *list);
/* Parse argv[1..] against the NULL-terminated list. Values land in
 * vals[i] for list[i] (caller-provided, opts_count(list) entries).
 * Positional arguments are collected in order into args (caller-provided
 * array of argc entries), their count in *nargs. Returns 0, 1 when --help
 * was given, or -1 with e set (exit 2). */
int opts_parse(const struct opt_def *const *list, int argc, char **argv, struct opt_value *vals,
	       const char **args, int *nargs, struct zerr *e);
/* Free what opts_parse allocated in vals (the lists of repeat options). */
void opts_release(const struct opt_def *const *list, struct opt_value *vals);
/* The value of option d in vals (parsed against list); a zero value (not
 * set, NULL text) when the list does not hold d. */
const struct opt_value *opts_get(const struct opt_def *const *list, const struct opt_value *vals,
				 const struct opt_def *d);
/* Whether flag (e.g. "--version") stands in option position in
 * argv[1..]: not as the value of one of the list's options that takes a
 * value, not after "--". */
int opts_has_flag(const struct opt_def *const *list, int argc, char **argv, const char *flag);
/* Print the options of the list, as in --help. */
void opts_print_help(FILE *f, const struct opt_def *const *list);

#endif
