/*
 * util — small helpers every module uses. Nothing here knows about
 * PostgreSQL or YAML; see util.h for ownership and error conventions.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void util_oom(size_t n)
{
	fprintf(stderr, "zdm: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		util_oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		util_oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		util_oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	struct sb s;

	sb_init(&s);
	sb_vaddf(&s, fmt, ap);
	return sb_steal(&s);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}

static void zerr_vfill(char *dst, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(dst, size, fmt, ap);
	if (n < 0)
		dst[0] = '\0';
}

int zerr_set(struct zerr *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code ? code : ZDM_EXIT_FAILED;
	e->detail[0] = e->hint[0] = '\0';
	va_start(ap, fmt);
	zerr_vfill(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void zerr_detail(struct zerr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zerr_vfill(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void zerr_hint(struct zerr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zerr_vfill(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

void zerr_prefix(struct zerr *e, const char *fmt, ...)
{
	char pre[512], old[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	zerr_vfill(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", pre, old) < 0)
		e->msg[0] = '\0';
}

void zerr_clear(struct zerr *e)
{
	e->code = 0;
	e->msg[0] = e->detail[0] = e->hint[0] = '\0';
}

void sb_init(struct sb *s)
{
	s->cap = 64;
	s->len = 0;
	s->buf = xmalloc(s->cap);
	s->buf[0] = '\0';
}

void sb_release(struct sb *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

void sb_reset(struct sb *s)
{
	s->len = 0;
	s->buf[0] = '\0';
}

static void sb_grow(struct sb *s, size_t extra)
{
	if (s->len + extra + 1 <= s->cap)
		return;
	while (s->len + extra + 1 > s->cap)
		s->cap *= 2;
	s->buf = xrealloc(s->buf, s->cap);
}

void sb_add(struct sb *s, const char *p, size_t n)
{
	sb_grow(s, n);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

void sb_adds(struct sb *s, const char *str)
{
	sb_add(s, str, strlen(str));
}

void sb_addc(struct sb *s, char c)
{
	sb_add(s, &c, 1);
}

void sb_vaddf(struct sb *s, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= s->cap - s->len) {
		sb_grow(s, (size_t)n);
		n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
		if (n < 0)
			return;
	}
	s->len += (size_t)n;
}

void sb_addf(struct sb *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(s, fmt, ap);
	va_end(ap);
}

char *sb_steal(struct sb *s)
{
	char *p = s->buf;
	s->buf = NULL;
	s->len = s->cap = 0;
	return p;
}

int util_read_file(const char *path, size_t max_bytes, char **out, size_t *len, struct zerr *e)
{
	struct sb s;
	char chunk[65536];
	int fd;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zerr_set(e, ZDM_EXIT_USAGE, "cannot open \"%s\": %s", path, strerror(errno));
	sb_init(&s);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "cannot read \"%s\": %s", path,
				 strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (s.len + (size_t)n > max_bytes) {
			zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is larger than %zu bytes", path,
				 max_bytes);
			goto fail;
		}
		sb_add(&s, chunk, (size_t)n);
	}
	close(fd);
	*len = s.len;
	*out = sb_steal(&s);
	return 0;
fail:
	close(fd);
	sb_release(&s);
	return -1;
}

int util_parse_uint(const char *s, long long max, long long *out)
{
	long long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

int util_parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int util_parse_duration(const char *s, long long *ms)
{
	static const struct {
		const char *unit;
		long long mult;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	long long v = 0;
	const char *p = s;
	size_t i;

	if (!s || !*s)
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > 1000000000LL)
			return -1;
		v = v * 10 + (*p - '0');
		p++;
	}
	if (p == s)
		return -1;
	if (*p == '\0') {
		/* A bare number is only accepted for zero: "10" is ambiguous. */
		if (v != 0)
			return -1;
		*ms = 0;
		return 0;
	}
	for (i = 0; i < ZDM_ARRAY_LEN(units); i++) {
		if (strcmp(p, units[i].unit) == 0) {
			*ms = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

void util_format_duration(long long ms, char *buf, size_t size)
{
	if (ms == 0)
		snprintf(buf, size, "0");
	else if (ms % 3600000 == 0)
		snprintf(buf, size, "%lldh", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(buf, size, "%lldm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", ms / 1000);
	else
		snprintf(buf, size, "%lldms", ms);
}

long long util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long util_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int util_sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	return nanosleep(&ts, NULL) != 0;
}

long long util_backoff_ms(int attempt, long long base, long long cap)
{
	static int seeded;
	long long d = base;
	int i;

	if (!seeded) {
		srandom((unsigned)(util_wall_ms() ^ (getpid() << 16)));
		seeded = 1;
	}
	for (i = 0; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	return d / 2 + random() % (d / 2 + 1);
}

void util_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

int util_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

uint32_t util_crc32(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	const unsigned char *p = data;
	size_t i;

	if (!table[1]) {
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t c = n;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[n] = c;
		}
	}
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

char *util_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}
