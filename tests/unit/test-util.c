/*
 * test-util.c — the checked number parsers of util.c (STYLE bans atoi:
 * these are what replaces it, so what they refuse matters as much as
 * what they read).
 */
#include "unit.h"
#include "util.h"

#include <limits.h>

static void parse_ll(void)
{
	static const struct {
		const char *in;
		int ok;
		long long want;
	} cases[] = {
		{ "0", 1, 0 },
		{ "42", 1, 42 },
		{ "-1", 1, -1 },
		{ "+7", 1, 7 },
		{ "9223372036854775807", 1, LLONG_MAX },
		{ "-9223372036854775808", 1, LLONG_MIN },
		{ "9223372036854775808", 0, 0 },
		{ "", 0, 0 },
		{ " 1", 0, 0 },
		{ "1 ", 0, 0 },
		{ "12x", 0, 0 },
		{ "x", 0, 0 },
		{ "1.5", 0, 0 },
		{ "-", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long v = 12345;
		int rc = util_parse_ll(cases[i].in, &v);

		CHECK((rc == 0) == cases[i].ok, "util_parse_ll(\"%s\") returned %d", cases[i].in,
		      rc);
		CHECK(v == (cases[i].ok ? cases[i].want : 12345), "util_parse_ll(\"%s\") set %lld",
		      cases[i].in, v);
	}
	CHECK(util_parse_ll(NULL, &(long long){ 0 }) == -1, "NULL is refused");
}

static void parse_uint(void)
{
	long long v = -5;

	CHECK(util_parse_uint("100", 100, &v) == 0 && v == 100, "100 within max 100");
	CHECK(util_parse_uint("101", 100, &v) == -1, "101 over max 100");
	CHECK(util_parse_uint("-1", 100, &v) == -1, "no sign");
	CHECK(util_parse_uint("", 100, &v) == -1, "empty");
}

int main(void)
{
	parse_ll();
	parse_uint();
	return unit_done("util");
}
