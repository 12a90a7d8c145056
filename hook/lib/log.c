/*
 * log — stderr events and stdout results, both masked (see log.h).
 *
 * Masking is done on the finished line, so it covers messages built from
 * server errors, libpq errors and user input alike. In JSON mode a secret
 * may appear escaped, so the escaped form is masked too.
 */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_progname = "zdm";
static enum log_format log_fmt = LOG_TEXT;
static int log_quiet;
static char **log_secrets;
static size_t log_nsecrets;

static const char *const log_level_names[] = { "debug", "info", "warning", "error" };

void log_init(const char *prog, enum log_format fmt)
{
	log_progname = prog;
	log_fmt = fmt;
}

enum log_format log_format_get(void)
{
	return log_fmt;
}

const char *log_prog(void)
{
	return log_progname;
}

void log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

static void log_add_one_secret(const char *s)
{
	for (size_t i = 0; i < log_nsecrets; i++)
		if (strcmp(log_secrets[i], s) == 0)
			return;
	log_secrets = xrealloc(log_secrets, (log_nsecrets + 1) * sizeof(*log_secrets));
	log_secrets[log_nsecrets++] = xstrdup(s);
}

void log_add_secret(const char *secret)
{
	json_t *str;
	char *dumped;

	if (!secret || !*secret)
		return;
	log_add_one_secret(secret);
	/* the JSON-escaped form, without the surrounding quotes */
	str = json_string(secret);
	if (!str)
		return;
	dumped = json_dumps(str, JSON_ENCODE_ANY);
	json_decref(str);
	if (dumped && strlen(dumped) > 2) {
		dumped[strlen(dumped) - 1] = '\0';
		log_add_one_secret(dumped + 1);
	}
	free(dumped);
}

void log_free_secrets(void)
{
	for (size_t i = 0; i < log_nsecrets; i++)
		free(log_secrets[i]);
	free(log_secrets);
	log_secrets = NULL;
	log_nsecrets = 0;
}

char *log_mask(const char *s)
{
	struct sb out;
	const char *p = s;

	if (log_nsecrets == 0)
		return xstrdup(s);
	sb_init(&out);
	while (*p) {
		size_t best = 0;
		for (size_t i = 0; i < log_nsecrets; i++) {
			size_t n = strlen(log_secrets[i]);
			if (n > best && strncmp(p, log_secrets[i], n) == 0)
				best = n;
		}
		if (best) {
			sb_adds(&out, "****");
			p += best;
		} else {
			sb_addc(&out, *p++);
		}
	}
	return sb_steal(&out);
}

static void log_timestamp(char *buf, size_t size)
{
	long long ms = util_wall_ms();
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03lldZ", base, ms % 1000);
}

static void log_write(FILE *f, const char *line)
{
	char *masked = log_mask(line);
	/* one call: one write(2) on an unbuffered stderr, so lines from
	 * concurrent runners sharing a log do not interleave */
	fprintf(f, "%s\n", masked);
	fflush(f);
	free(masked);
}

static void log_vevent(enum log_level lvl, const char *event, json_t *fields, const char *fmt,
		       va_list ap)
{
	char ts[48];
	struct sb msg;

	if (log_quiet && lvl < LOG_WARN) {
		json_decref(fields);
		return;
	}
	sb_init(&msg);
	sb_vaddf(&msg, fmt, ap);
	log_timestamp(ts, sizeof(ts));
	if (log_fmt == LOG_JSON) {
		json_t *o = fields && json_is_object(fields) ? fields : json_object();
		char *line;
		if (fields && o != fields)
			json_decref(fields);
		json_object_set_new(o, "ts", json_string(ts));
		json_object_set_new(o, "level", json_string(log_level_names[lvl]));
		json_object_set_new(o, "event", json_string(event));
		json_object_set_new(o, "msg", json_stringn(msg.buf, msg.len));
		line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		if (line)
			log_write(stderr, line);
		free(line);
		json_decref(o);
	} else {
		struct sb line;
		json_decref(fields);
		sb_init(&line);
		sb_addf(&line, "%s %s: %s", ts, log_level_names[lvl], msg.buf);
		log_write(stderr, line.buf);
		sb_release(&line);
	}
	sb_release(&msg);
}

void log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(lvl, event, NULL, fmt, ap);
	va_end(ap);
}

void log_event(enum log_level lvl, const char *event, json_t *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(lvl, event, fields, fmt, ap);
	va_end(ap);
}

void log_zerr(const struct zerr *e)
{
	if (log_fmt == LOG_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "exit_code", json_integer(e->code));
		if (e->detail[0])
			json_object_set_new(o, "detail", json_string(e->detail));
		if (e->hint[0])
			json_object_set_new(o, "hint", json_string(e->hint));
		log_event(LOG_ERROR, "error", o, "%s", e->msg);
		return;
	}
	{
		struct sb s;
		sb_init(&s);
		sb_addf(&s, "%s: error: %s", log_progname, e->msg);
		if (e->detail[0])
			sb_addf(&s, "\ndetail: %s", e->detail);
		if (e->hint[0])
			sb_addf(&s, "\nhint: %s", e->hint);
		log_write(stderr, s.buf);
		sb_release(&s);
	}
}

void log_result(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	log_write(stdout, s);
	free(s);
}

void log_result_json(json_t *v)
{
	char *line = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (line)
		log_write(stdout, line);
	free(line);
	json_decref(v);
}

void log_gh_escape(struct sb *out, const char *text, int property)
{
	for (; text && *text; text++) {
		if (*text == '%')
			sb_adds(out, "%25");
		else if (*text == '\r')
			sb_adds(out, "%0D");
		else if (*text == '\n')
			sb_adds(out, "%0A");
		else if (property && *text == ':')
			sb_adds(out, "%3A");
		else if (property && *text == ',')
			sb_adds(out, "%2C");
		else
			sb_addc(out, *text);
	}
}
