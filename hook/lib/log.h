/*
 * log — every line zdm writes to stderr goes through here.
 *
 * Text mode: "<UTC timestamp> <level>: <message>", one event per line.
 * JSON mode (--output json): one object per line, {"ts","level","event",
 * "msg", ...fields}, keys sorted. Every registered secret (passwords from
 * URLs and PGPASSWORD) is replaced by "****" in every line before it is
 * written, whatever the caller put in it, so no code path can leak one.
 */
#ifndef ZDM_LOG_H
#define ZDM_LOG_H

#include <jansson.h>
#include <stdio.h>

#include "util.h"

enum log_format { LOG_TEXT = 0, LOG_JSON };
enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_init(const char *prog, enum log_format fmt);
enum log_format log_format_get(void);
const char *log_prog(void);
void log_set_quiet(int quiet);
/* Register a secret to mask in all output (copied). */
void log_add_secret(const char *secret);
/* A copy of s with every secret replaced by "****" (caller frees). */
char *log_mask(const char *s);
void log_free_secrets(void);

void log_msg(enum log_level lvl, const char *event, const char *fmt, ...) ZDM_PRINTF(3, 4);
/* Like log_msg; fields (stolen, may be NULL) are merged into the JSON
 * object and ignored in text mode. */
void log_event(enum log_level lvl, const char *event, json_t *fields, const char *fmt, ...)
	ZDM_PRINTF(4, 5);

/* Print an error record: text mode "prog: error: msg" + "detail: " +
 * "hint: " lines; JSON mode one object with level "error". */
void log_zerr(const struct zerr *e);

/* Write a result line to stdout (masked). */
void log_result(const char *fmt, ...) ZDM_PRINTF(1, 2);
/* Dump a JSON value as one line on stdout (masked; steals v). */
void log_result_json(json_t *v);

/* Append text escaped for a GitHub workflow command (::error ...): %, CR
 * and LF always, and : and , too in a property (file=..., title=...). */
void log_gh_escape(struct sb *out, const char *text, int property);

#define log_info(ev, ...) log_msg(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_msg(LOG_WARN, ev, __VA_ARGS__)

#endif
