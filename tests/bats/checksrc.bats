#!/usr/bin/env bats
# scripts/checksrc.sh, the style check make checksrc and tests/run.sh run:
# that it finds what it promises to find (a check that cannot fail is
# not a check), and reads the repository's .clang-format wherever the
# file lives.

load helpers

good_c() {
	cat >"$1" <<'C'
/* a file written the way .clang-format wants it */
#include <stdlib.h>

int parse(const char *s, long long *out);

int parse(const char *s, long long *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	return *end ? -1 : 0;
}
C
}

@test "checksrc: a well-formed file passes" {
	good_c "$BATS_TEST_TMPDIR/good.c"
	run "$ZDM_ROOT/scripts/checksrc.sh" "$BATS_TEST_TMPDIR/good.c"
	assert_success
	assert_output "checksrc: 0 problems in 0 files (1 checked)"
}

@test "checksrc: each banned function is named with its line" {
	good_c "$BATS_TEST_TMPDIR/bad.c"
	cat >>"$BATS_TEST_TMPDIR/bad.c" <<'C'

int f(const char *s, char *d, char *buf);

int f(const char *s, char *d, char *buf)
{
	/* atoi( in a comment is fine */
	const char *msg = "atol( in a string is fine";

	strcpy(d, s);
	strcat(d, msg);
	sprintf(buf, "%d", 1);
	return atoi(s) + (int)atol(s) + (int)atoll(s);
}
C
	run "$ZDM_ROOT/scripts/checksrc.sh" "$BATS_TEST_TMPDIR/bad.c"
	assert_failure 1
	assert_line "$BATS_TEST_TMPDIR/bad.c:21: banned function strcpy()"
	assert_line "$BATS_TEST_TMPDIR/bad.c:22: banned function strcat()"
	assert_line "$BATS_TEST_TMPDIR/bad.c:23: banned function sprintf()"
	assert_line "$BATS_TEST_TMPDIR/bad.c:24: banned function atoi()"
	assert_line "$BATS_TEST_TMPDIR/bad.c:24: banned function atol()"
	assert_line "$BATS_TEST_TMPDIR/bad.c:24: banned function atoll()"
	refute_line --partial ":18:"
	refute_line --partial ":19:"
	assert_line --index -1 --regexp '^checksrc: [0-9]+ problems in 1 files \(1 checked\)$'
}

@test "checksrc: a file clang-format would change is named with the difference" {
	printf 'int g(void){ return 1; }\n' >"$BATS_TEST_TMPDIR/style.c"
	run "$ZDM_ROOT/scripts/checksrc.sh" "$BATS_TEST_TMPDIR/style.c"
	assert_failure 1
	assert_line "$BATS_TEST_TMPDIR/style.c: clang-format would change 4 lines; first:"
	assert_line --partial "+int g(void)"
	assert_line "checksrc: 1 problems in 1 files (1 checked)"
}

@test "checksrc: without clang-format it says what to install and exits 2" {
	good_c "$BATS_TEST_TMPDIR/good.c"
	CLANG_FORMAT=no-such-clang-format run "$ZDM_ROOT/scripts/checksrc.sh" "$BATS_TEST_TMPDIR/good.c"
	assert_failure 2
	assert_output --partial "apt-get install clang-format"
}

@test "checksrc: the repository's own sources are clean" {
	run "$ZDM_ROOT/scripts/checksrc.sh"
	assert_success
	assert_line --index -1 --regexp '^checksrc: 0 problems in 0 files \([0-9]+ checked\)$'
}
