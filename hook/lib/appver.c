/*
 * appver — SemVer 2.0 precedence, with a string fallback (see appver.h).
 */
#include "appver.h"

#include <ctype.h>
#include <string.h>

struct appver {
	const char *num[3]; /* start of each numeric part */
	size_t numlen[3];
	const char *pre; /* pre-release, or NULL */
	size_t prelen;
};

static int appver_digits(const char *s, size_t n)
{
	if (n == 0 || (n > 1 && s[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int appver_parse(const char *s, struct appver *v)
{
	const char *p = s;

	memset(v, 0, sizeof(*v));
	if (*p == 'v' || *p == 'V')
		p++;
	for (int i = 0; i < 3; i++) {
		size_t n = strspn(p, "0123456789");
		if (!appver_digits(p, n))
			return 0;
		v->num[i] = p;
		v->numlen[i] = n;
		p += n;
		if (i < 2) {
			if (*p != '.')
				return 0;
			p++;
		}
	}
	if (*p == '-') {
		p++;
		v->pre = p;
		v->prelen = strcspn(p, "+");
		if (v->prelen == 0)
			return 0;
		for (size_t i = 0; i < v->prelen; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '.')
				return 0;
		p += v->prelen;
	}
	if (*p == '+') {
		p++;
		if (!*p)
			return 0;
		for (; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
				return 0;
	}
	return *p == '\0';
}

int appver_is_semver(const char *s)
{
	struct appver v;
	return s && appver_parse(s, &v);
}

static int appver_cmp_num(const char *a, size_t na, const char *b, size_t nb)
{
	int c;

	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(a, b, na);
	return c < 0 ? -1 : c > 0;
}

/* Compare dot-separated pre-release identifiers. */
static int appver_cmp_pre(const char *a, size_t na, const char *b, size_t nb)
{
	while (na > 0 && nb > 0) {
		size_t la = 0, lb = 0;
		int da, db, c;

		while (la < na && a[la] != '.')
			la++;
		while (lb < nb && b[lb] != '.')
			lb++;
		da = strspn(a, "0123456789") >= la;
		db = strspn(b, "0123456789") >= lb;
		if (da && db)
			c = appver_cmp_num(a, la, b, lb);
		else if (da || db)
			c = da ? -1 : 1; /* numeric identifiers sort first */
		else {
			c = strncmp(a, b, la < lb ? la : lb);
			if (c == 0 && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c)
			return c < 0 ? -1 : 1;
		a += la;
		na -= la;
		b += lb;
		nb -= lb;
		if (na > 0) {
			a++;
			na--;
		}
		if (nb > 0) {
			b++;
			nb--;
		}
	}
	return na == nb ? 0 : na < nb ? -1 : 1;
}

int appver_cmp(const char *a, const char *b, int *as_strings)
{
	struct appver va, vb;
	int c;

	*as_strings = 0;
	if (!appver_parse(a, &va) || !appver_parse(b, &vb)) {
		*as_strings = 1;
		c = strcmp(a, b);
		return c < 0 ? -1 : c > 0;
	}
	for (int i = 0; i < 3; i++) {
		c = appver_cmp_num(va.num[i], va.numlen[i], vb.num[i], vb.numlen[i]);
		if (c)
			return c;
	}
	if (!va.pre || !vb.pre)
		return va.pre ? -1 : vb.pre ? 1 : 0;
	return appver_cmp_pre(va.pre, va.prelen, vb.pre, vb.prelen);
}
