/*
 * Tests of the migration-safety classifier.
 *
 * Most cases are data: tests/data/lint/ holds one directory per case (any
 * depth), each with migration files and an `expected` file listing the
 * findings as FILE:LINE:COL: RULE: CLASS: STATUS (README.md there has the
 * format). The files of a case are linted in version order into one
 * context, the way zdm-hook lints a migrations directory, and the findings
 * must equal the expected lines exactly (as a multiset). Each case is
 * loaded with source_load and linted with srclint_run, the very path
 * zdm-hook takes, so directives are parsed by the real parser and an input
 * error is expected as "error: MESSAGE". A table of single
 * statements checks the class the classifier gives them, and a few checks
 * cover the rule table and the report helpers.
 *
 * Usage: test-lint [ROOT]   (default tests/data/lint, relative to the
 * repository root). ZDM_LINT_VERBOSE=1 prints every finding with its
 * message and hint.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lint.h"
#include "source.h"
#include "srclint.h"
#include "sql.h"
#include "unit.h"
#include "util.h"

#define TEST_MAX_FILE (1024 * 1024)

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *s, char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = str;
}

static void strv_release(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* qsort that tolerates the NULL array of an empty strv. */
static void strv_sort(struct strv *s, int (*cmp)(const void *, const void *))
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp);
}

static int verbose;
static size_t corpus_cases, corpus_files, corpus_stmts;
static int rule_seen[64];

/* Find every directory under root that holds an `expected` file. */
static void test_find_cases(const char *dir, struct strv *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strv subs = { 0 };
	char *exp = xasprintf("%s/expected", dir);
	struct stat sb;

	if (stat(exp, &sb) == 0 && S_ISREG(sb.st_mode))
		strv_push(out, xstrdup(dir));
	free(exp);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			strv_push(&subs, p);
		else
			free(p);
	}
	closedir(d);
	strv_sort(&subs, strv_cmp);
	for (size_t i = 0; i < subs.n; i++)
		test_find_cases(subs.v[i], out);
	strv_release(&subs);
}

/* Read the expected lines of a case: blank lines and # comments skipped. */
static void test_read_expected(const char *path, struct strv *out)
{
	char *buf = NULL;
	size_t len = 0;
	struct zerr e = { 0 };
	char *p, *line;

	if (util_read_file(path, TEST_MAX_FILE, &buf, &len, &e) < 0) {
		CHECK(0, "%s", e.msg);
		return;
	}
	for (p = buf; (line = strsep(&p, "\n")) != NULL;) {
		char *end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (*line && *line != '#')
			strv_push(out, xstrdup(line));
	}
	free(buf);
}

static void test_note_rule(const char *rule)
{
	for (size_t i = 0; i < lint_nrules && i < ZDM_ARRAY_LEN(rule_seen); i++)
		if (strcmp(lint_rules[i].id, rule) == 0)
			rule_seen[i] = 1;
}

/* Lint one case directory the way zdm-hook does (source_load, then
 * srclint_run: the real directive parser, the real version order) and
 * compare with its expected file. */
static void test_case(const char *dir, const char *root)
{
	struct strv got = { 0 }, want = { 0 }, errors = { 0 }, msgs = { 0 };
	struct lint_report rep = { 0 };
	struct src_set src;
	struct zerr e = { 0 };
	const char *name = dir + strlen(root) + (dir[strlen(root)] == '/');
	char *exp;
	int ok = 1;

	corpus_cases++;
	if (source_load(dir, &src, &e) < 0) {
		strv_push(&errors, xasprintf("%s", e.msg));
		memset(&src, 0, sizeof(src));
	} else if (src.n == 0) {
		strv_push(&errors, xstrdup("no .sql files"));
	} else if (srclint_run(&src, NULL, &rep, &e) < 0) {
		strv_push(&errors, xasprintf("%s", e.msg));
	}
	for (size_t i = 0; i < src.n; i++) {
		corpus_files++;
		corpus_stmts += src.v[i].script.n;
	}
	for (size_t k = 0; k < rep.n; k++) {
		const struct lint_finding *f = &rep.v[k];
		const char *file = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
		strv_push(&got, xasprintf("%s:%d:%d: %s: %s: %s", file, f->line, f->col, f->rule,
					  lint_class_name(f->cls), lint_finding_status(f)));
		strv_push(&msgs, xasprintf("%s:%d:%d: %s: %s\n      hint: %s%s%s", file, f->line,
					   f->col, f->rule, f->message, f->hint,
					   f->allow_reason ? "\n      allowed: " : "",
					   f->allow_reason ? f->allow_reason : ""));
		test_note_rule(f->rule);
		CHECK(f->message[0] && !isupper((unsigned char)f->message[0]),
		      "%s: message must start lowercase: %s", name, f->message);
		CHECK(f->hint[0] != '\0', "%s: %s has no hint", name, f->rule);
	}

	exp = xasprintf("%s/expected", dir);
	test_read_expected(exp, &want);
	free(exp);
	/* "error: MESSAGE" lines: the case must be refused as input (exit 2),
	 * with a message that contains MESSAGE */
	for (size_t i = 0; i < want.n; i++) {
		if (strncmp(want.v[i], "error: ", 7) != 0)
			continue;
		int found = 0;
		for (size_t x = 0; x < errors.n; x++)
			if (strstr(errors.v[x], want.v[i] + 7))
				found = 1;
		if (!found)
			ok = 0;
		strv_push(&got, xstrdup(want.v[i]));
		if (found) {
			strv_release(&errors);
			memset(&errors, 0, sizeof(errors));
		}
	}
	strv_sort(&got, strv_cmp);
	strv_sort(&want, strv_cmp);
	if (errors.n)
		ok = 0;
	if (got.n != want.n)
		ok = 0;
	for (size_t i = 0; ok && i < got.n; i++)
		if (strcmp(got.v[i], want.v[i]) != 0)
			ok = 0;
	CHECK(ok, "lint case %s differs from its expected file", name);
	if (!ok) {
		size_t i = 0, k = 0;
		fprintf(stderr, "--- %s/expected\n+++ lint findings\n", name);
		for (size_t x = 0; x < errors.n; x++)
			fprintf(stderr, "! %s\n", errors.v[x]);
		while (i < want.n || k < got.n) {
			int c = i >= want.n ? 1 : k >= got.n ? -1 : strcmp(want.v[i], got.v[k]);
			if (c == 0) {
				fprintf(stderr, "  %s\n", want.v[i]);
				i++;
				k++;
			} else if (c < 0) {
				fprintf(stderr, "- %s\n", want.v[i++]);
			} else {
				fprintf(stderr, "+ %s\n", got.v[k++]);
			}
		}
		for (size_t x = 0; x < msgs.n; x++)
			fprintf(stderr, "    %s\n", msgs.v[x]);
	} else if (verbose) {
		printf("== %s\n", name);
		for (size_t x = 0; x < msgs.n; x++)
			printf("  %s\n", msgs.v[x]);
	}
	source_release(&src);
	strv_release(&got);
	strv_release(&want);
	strv_release(&errors);
	strv_release(&msgs);
	lint_report_release(&rep);
}

static void test_corpus(const char *root)
{
	struct strv cases = { 0 };

	test_find_cases(root, &cases);
	CHECK(cases.n > 0, "no lint cases under %s", root);
	for (size_t i = 0; i < cases.n; i++)
		test_case(cases.v[i], root);
	strv_release(&cases);
	printf("# lint corpus: %zu cases, %zu files, %zu statements\n", corpus_cases, corpus_files,
	       corpus_stmts);
	for (size_t i = 0; i < lint_nrules && i < ZDM_ARRAY_LEN(rule_seen); i++)
		CHECK(rule_seen[i], "rule %s is never flagged by the corpus", lint_rules[i].id);
}

/* ------------------------------------------------ single statements */

struct class_case {
	const char *sql;
	int transactional;
	enum lint_class want;
	const char *rule; /* the first finding's rule, NULL for none */
};

static const struct class_case class_cases[] = {
	{ "create table t (id bigint primary key)", 1, LINT_EXPAND, NULL },
	{ "alter table users add column bio text", 1, LINT_EXPAND, NULL },
	{ "alter table users add column n int not null default 0", 1, LINT_EXPAND, NULL },
	{ "alter table users add column at timestamptz default now()", 1, LINT_EXPAND, NULL },
	{ "alter table users add column id2 uuid default gen_random_uuid()", 1, LINT_BLOCKING,
	  "volatile-default" },
	{ "alter table users add column n int not null", 1, LINT_CONTRACT, "add-required-column" },
	{ "alter table users drop column bio", 1, LINT_CONTRACT, "drop-column" },
	{ "alter table users alter column bio drop not null", 1, LINT_EXPAND, NULL },
	{ "alter table users alter column bio set not null", 1, LINT_BLOCKING,
	  "set-not-null-writers" },
	{ "alter table users rename column bio to about", 1, LINT_CONTRACT, "rename-column" },
	{ "alter table users rename to people", 1, LINT_CONTRACT, "rename-table" },
	{ "create index i on users (email)", 1, LINT_BLOCKING, "index-not-concurrent" },
	{ "create index concurrently i on users (email)", 0, LINT_EXPAND, NULL },
	{ "create index concurrently i on users (email)", 1, LINT_TXMISUSE,
	  "needs-transaction-off" },
	{ "alter table o add constraint fk foreign key (u) references users (id) not valid", 1,
	  LINT_EXPAND, NULL },
	{ "alter table o add constraint fk foreign key (u) references users (id)", 1, LINT_BLOCKING,
	  "constraint-not-valid" },
	{ "alter table o validate constraint fk", 1, LINT_EXPAND, NULL },
	{ "begin", 1, LINT_TXMISUSE, "transaction-control" },
	{ "begin", 0, LINT_EXPAND, NULL },
	{ "truncate users", 1, LINT_CONTRACT, "truncate-table" },
	{ "vacuum full users", 0, LINT_BLOCKING, "vacuum-full" },
	{ "vacuum analyze users", 0, LINT_EXPAND, NULL },
	{ "update users set flag = true", 1, LINT_BLOCKING, "unbatched-backfill" },
	{ "update users set flag = true where id < 1000", 1, LINT_EXPAND, NULL },
	{ "insert into users (id) values (1)", 1, LINT_EXPAND, NULL },
	{ "comment on table users is 'drop table users'", 1, LINT_EXPAND, NULL },
	{ "grant select on users to app", 1, LINT_EXPAND, NULL },
	{ "select 'alter table users drop column x'", 1, LINT_EXPAND, NULL },
	{ "do $$ begin drop table users; end $$", 1, LINT_UNKNOWN, "unknown-statement" },
	{ "frobnicate the database", 1, LINT_UNKNOWN, "unknown-statement" },
	{ "alter type mood rename value 'sad' to 'blue'", 1, LINT_CONTRACT, "rename-enum-value" },
	{ "alter type mood add value 'meh'", 1, LINT_EXPAND, NULL },
	{ "lock table users in access exclusive mode", 1, LINT_BLOCKING, "lock-table" },
};

static void test_classes(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(class_cases); i++) {
		const struct class_case *c = &class_cases[i];
		struct lint_ctx *ctx = lint_ctx_new();
		struct lint_report rep = { 0 };
		struct sql_script s;
		struct zerr e = { 0 };
		struct lint_file f = { .path = "t.sql",
				       .src = c->sql,
				       .len = strlen(c->sql),
				       .script = &s,
				       .transactional = c->transactional };
		enum lint_class got;

		CHECK(sql_split(c->sql, strlen(c->sql), "t.sql", &s, &e) == 0, "split: %s", e.msg);
		lint_file(ctx, &f, &rep);
		got = lint_stmt_class(&rep, 0, 0);
		CHECK(got == c->want, "[%s]: class %s, want %s", c->sql, lint_class_name(got),
		      lint_class_name(c->want));
		if (c->rule)
			CHECK(rep.n > 0 && strcmp(rep.v[0].rule, c->rule) == 0,
			      "[%s]: first rule %s, want %s", c->sql,
			      rep.n ? rep.v[0].rule : "none", c->rule);
		else
			CHECK(rep.n == 0, "[%s]: unexpected %s", c->sql,
			      rep.n ? rep.v[0].rule : "");
		lint_report_release(&rep);
		sql_script_release(&s);
		lint_ctx_free(ctx);
	}
}

/* The rule table: unique kebab-case ids, a class, a summary. */
static void test_rule_table(void)
{
	for (size_t i = 0; i < lint_nrules; i++) {
		const struct lint_rule *r = &lint_rules[i];
		int kebab = r->id[0] != '\0';
		for (const char *p = r->id; *p; p++)
			if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
			      *p == '-'))
				kebab = 0;
		CHECK(kebab, "rule id \"%s\" is not kebab-case", r->id);
		CHECK(r->summary && r->summary[0], "rule %s has no summary", r->id);
		CHECK(r->squawk != NULL, "rule %s has a NULL squawk field", r->id);
		CHECK(lint_rule_find(r->id) == r, "lint_rule_find(%s) is not unique", r->id);
	}
	CHECK(lint_rule_find("no-such-rule") == NULL, "lint_rule_find of an unknown id");
	CHECK(strcmp(lint_class_name(LINT_TXMISUSE), "txmisuse") == 0, "class name");
	CHECK(lint_nrules <= ZDM_ARRAY_LEN(rule_seen), "rule_seen is too small");
}

/* learn_only files teach the context and report nothing; severities and
 * counts come out right. */
static void test_context_and_report(void)
{
	const char *v1 = "create table users (id bigint primary key, email text);";
	const char *v2 = "create index users_email on users (email);\n"
			 "alter table users drop column email;";
	struct lint_ctx *ctx = lint_ctx_new();
	struct lint_report rep = { 0 };
	struct sql_script s1, s2;
	struct zerr e = { 0 };
	struct lint_file f1 = { .path = "V1__a.sql",
				.src = v1,
				.len = strlen(v1),
				.script = &s1,
				.transactional = 1,
				.learn_only = 1 };
	struct lint_file f2 = { .path = "V2__b.sql",
				.src = v2,
				.len = strlen(v2),
				.script = &s2,
				.transactional = 1,
				.guarded_contract = 1 };

	CHECK(sql_split(v1, strlen(v1), "V1", &s1, &e) == 0, "split");
	CHECK(sql_split(v2, strlen(v2), "V2", &s2, &e) == 0, "split");
	lint_file(ctx, &f1, &rep);
	CHECK(rep.n == 0, "learn_only reported %zu findings", rep.n);
	lint_file(ctx, &f2, &rep);
	CHECK(rep.n == 2, "got %zu findings, want 2", rep.n);
	CHECK(lint_report_refusing(&rep, 0) == 1, "one refusing finding (the index)");
	if (rep.n == 2) {
		CHECK(rep.v[0].line == 1 && rep.v[1].line == 2 && rep.v[1].col == 19,
		      "positions %d and %d:%d", rep.v[0].line, rep.v[1].line, rep.v[1].col);
		CHECK(rep.v[1].allowed == LINT_ALLOWED_BY_PHASE, "drop allowed by phase");
		CHECK(strcmp(lint_finding_status(&rep.v[1]), "allowed") == 0, "status allowed");
		CHECK(lint_stmt_class(&rep, 0, 1) == LINT_CONTRACT, "statement 1 is contract");
	}
	lint_report_release(&rep);
	CHECK(rep.n == 0 && rep.v == NULL, "release empties the report");
	sql_script_release(&s1);
	sql_script_release(&s2);
	lint_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "tests/data/lint";
	const char *v = getenv("ZDM_LINT_VERBOSE");

	verbose = v && *v && strcmp(v, "0") != 0;
	test_rule_table();
	test_classes();
	test_context_and_report();
	test_corpus(root);
	return unit_done("lint");
}
