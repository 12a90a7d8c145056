/*
 * util — allocation, growable strings, the error record, durations.
 *
 * Ownership: every function that returns a pointer says who frees it.
 * Allocation never fails from the caller's point of view: the x* wrappers
 * abort with a message on out-of-memory, so no caller checks for NULL.
 *
 * Errors: library code never prints. It fills a caller-owned struct zerr
 * (primary message, optional detail and hint, the exit code the command
 * should end with) and returns -1; only the command layer prints it.
 */
#ifndef ZDM_UTIL_H
#define ZDM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ZDM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ZDM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes: stable, documented in README.md. */
enum zdm_exit {
	ZDM_EXIT_OK = 0,
	ZDM_EXIT_FAILED = 1, /* a migration or assertion failed */
	ZDM_EXIT_USAGE = 2, /* bad flag, bad input file, validation */
	ZDM_EXIT_LOCK = 3, /* lock wait timed out */
	ZDM_EXIT_CONNECT = 4, /* database unreachable */
	ZDM_EXIT_CONTRACT = 5, /* guarded contract refused (--strict-contract) */
	ZDM_EXIT_UNSAFE = 6, /* unsafe migration refused by lint */
};

struct zerr {
	int code; /* enum zdm_exit; 0 while no error */
	char msg[1024];
	char detail[2048];
	char hint[1024];
};

/* Set the error's code and message; returns -1 so callers can `return`. */
int zerr_set(struct zerr *e, int code, const char *fmt, ...) ZDM_PRINTF(3, 4);
void zerr_detail(struct zerr *e, const char *fmt, ...) ZDM_PRINTF(2, 3);
void zerr_hint(struct zerr *e, const char *fmt, ...) ZDM_PRINTF(2, 3);
/* Put "<prefix>: " in front of the message (e.g. "file.sql:3"). */
void zerr_prefix(struct zerr *e, const char *fmt, ...) ZDM_PRINTF(2, 3);
void zerr_clear(struct zerr *e);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) ZDM_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) ZDM_PRINTF(1, 0);

/* A growable NUL-terminated byte string. sb_init before use, sb_release
 * frees the buffer; sb_steal hands the buffer to the caller (free it). */
struct sb {
	char *buf;
	size_t len;
	size_t cap;
};
void sb_init(struct sb *s);
void sb_release(struct sb *s);
void sb_reset(struct sb *s);
void sb_add(struct sb *s, const char *p, size_t n);
void sb_adds(struct sb *s, const char *str);
void sb_addc(struct sb *s, char c);
void sb_addf(struct sb *s, const char *fmt, ...) ZDM_PRINTF(2, 3);
void sb_vaddf(struct sb *s, const char *fmt, va_list ap) ZDM_PRINTF(2, 0);
char *sb_steal(struct sb *s);

/* Read a whole file (at most max_bytes) into *out (caller frees).
 * Returns -1 with e set on error, naming the path. */
int util_read_file(const char *path, size_t max_bytes, char **out, size_t *len, struct zerr *e);

/* Cut leading and trailing white space in place; returns the start. */
char *util_trim(char *s);

/* Parse "500ms", "2s", "10m", "1h", "0" into milliseconds. Returns -1 on
 * a malformed value (nothing else is set). */
int util_parse_duration(const char *s, long long *ms);
/* Format milliseconds the way util_parse_duration reads them. */
void util_format_duration(long long ms, char *buf, size_t size);
/* Parse a non-negative decimal integer with no trailing junk. */
int util_parse_uint(const char *s, long long max, long long *out);
/* Parse an optionally signed decimal integer with no trailing junk into
 * *out; -1 (and *out untouched) on anything else, including overflow.
 * STYLE bans atoi/atol: they read "12x" as 12 and "x" as 0. */
int util_parse_ll(const char *s, long long *out);

/* Monotonic and wall clocks in milliseconds. */
long long util_now_ms(void);
long long util_wall_ms(void);
/* Sleep for ms milliseconds; returns early (non-zero) when interrupted. */
int util_sleep_ms(long long ms);
/* Exponential backoff with full jitter: a random delay in
 * [base*2^attempt/2, base*2^attempt], capped at cap. */
long long util_backoff_ms(int attempt, long long base, long long cap);

int util_str_has_suffix(const char *s, const char *suffix);
/* qsort that accepts an empty (NULL) array. */
void util_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* CRC-32 (IEEE 802.3, as java.util.zip.CRC32). */
uint32_t util_crc32(uint32_t crc, const void *data, size_t len);

#endif
