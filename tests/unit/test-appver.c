/* Table-driven tests of application version comparison (SemVer 2.0
 * precedence, string fallback), and of migration version ordering. */
#include "appver.h"
#include "source.h"
#include "unit.h"

static int sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

static const struct {
	const char *a, *b;
	int want, strings;
} appver_cases[] = {
	{ "1.0.0", "1.0.0", 0, 0 },
	{ "1.0.0", "2.0.0", -1, 0 },
	{ "2.0.1", "2.0.0", 1, 0 },
	{ "1.10.0", "1.9.0", 1, 0 },
	{ "v2.0.0", "2.0.0", 0, 0 },
	{ "2.0.0-rc.1", "2.0.0", -1, 0 },
	{ "2.0.0-alpha", "2.0.0-alpha.1", -1, 0 },
	{ "2.0.0-alpha.1", "2.0.0-alpha.beta", -1, 0 },
	{ "2.0.0-beta.2", "2.0.0-beta.11", -1, 0 },
	{ "2.0.0-rc.1", "2.0.0-beta.11", 1, 0 },
	{ "1.0.0+build.5", "1.0.0+build.9", 0, 0 },
	{ "10.0.0", "9.9.9", 1, 0 },
	{ "2024-06-01", "2024-05-01", 1, 1 },
	{ "1.2", "1.10", 1, 1 }, /* not semver: string order, flagged */
	{ "01.0.0", "1.0.0", -1, 1 }, /* leading zero: not semver */
};

static const struct {
	const char *a, *b;
	int want;
} version_cases[] = {
	{ "1", "1", 0 },
	{ "1", "2", -1 },
	{ "2", "10", -1 },
	{ "1.1", "1.01", 0 },
	{ "1.0", "1", 0 },
	{ "1.2", "1.10", -1 },
	{ "1.9.9", "1.10", -1 },
	{ "20240101120000", "20240101120001", -1 },
	{ "99999999999999999999", "100000000000000000000", -1 },
	{ "3", "2.9", 1 },
};

int main(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(appver_cases); i++) {
		int strings, c = appver_cmp(appver_cases[i].a, appver_cases[i].b, &strings);
		int back = appver_cmp(appver_cases[i].b, appver_cases[i].a, &strings);
		CHECK(sign(c) == appver_cases[i].want, "%s vs %s: %d, want %d", appver_cases[i].a,
		      appver_cases[i].b, c, appver_cases[i].want);
		CHECK(sign(back) == -appver_cases[i].want, "%s vs %s reversed", appver_cases[i].a,
		      appver_cases[i].b);
		CHECK(strings == appver_cases[i].strings, "%s vs %s: as_strings %d",
		      appver_cases[i].a, appver_cases[i].b, strings);
	}
	for (size_t i = 0; i < ZDM_ARRAY_LEN(version_cases); i++) {
		int c = source_version_cmp(version_cases[i].a, version_cases[i].b);
		CHECK(sign(c) == version_cases[i].want, "V%s vs V%s: %d, want %d",
		      version_cases[i].a, version_cases[i].b, c, version_cases[i].want);
		CHECK(sign(source_version_cmp(version_cases[i].b, version_cases[i].a)) ==
			      -version_cases[i].want,
		      "V%s vs V%s reversed", version_cases[i].a, version_cases[i].b);
	}
	return unit_done("appver");
}
