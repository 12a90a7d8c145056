/*
 * fuzz-source — libFuzzer harness for the migrations loader and the
 * linter (hook/lib/source.c, hook/lib/srclint.c, hook/lib/lint.c): what zdm-hook lint
 * and migrate do with a migrations directory before they connect.
 *
 * The input is a directory in one buffer: entries separated by NUL
 * bytes, each "NAME\nCONTENTS" (an entry without a newline is the
 * contents of V<n>__fuzz.sql). tests/fuzz/seed.sh writes the lint data
 * cases and the example chart's migrations in this form. The entries go
 * through source_load_texts (the loader's own path from a file's bytes:
 * name, text checks, checksum, statements, directives, backfill), and a
 * loaded set through srclint_run twice, once with every file reporting
 * and once with all but the last learning only (as migrate does with
 * applied files), then through what the commands print: the refusal
 * summary, the allowed findings per file, each statement's class.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "srclint.h"

#define FUZZ_SOURCE_MAX_FILES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_source_check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_source_report(const struct src_set *src, const struct lint_report *r)
{
	struct zerr e = { 0 };

	if (srclint_refuse(r, &e) < 0)
		fuzz_source_check(e.code == ZDM_EXIT_UNSAFE && lint_report_refusing(r, 0) > 0);
	else
		fuzz_source_check(lint_report_refusing(r, 0) == 0);
	for (size_t i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];
		fuzz_source_check(f->rule && lint_rule_find(f->rule) && f->message && f->hint);
		fuzz_source_check(f->line >= 1 && f->col >= 1);
		(void)lint_class_name(f->cls);
		(void)lint_finding_status(f);
	}
	for (size_t i = 0; i < src->n; i++) {
		char *allowed = srclint_allowed(r, src->v[i].path);
		free(allowed);
		for (size_t k = 0; k < src->v[i].script.n; k++)
			(void)lint_stmt_class(r, 0, k);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src_text files[FUZZ_SOURCE_MAX_FILES];
	char *names[FUZZ_SOURCE_MAX_FILES] = { 0 };
	const char *p = (const char *)data, *end = p + size;
	struct src_set src = { 0 };
	struct lint_report r = { 0 };
	struct zerr e = { 0 };
	unsigned char *learn = NULL;
	size_t n = 0;

	for (int last = 0; !last && n < FUZZ_SOURCE_MAX_FILES;) {
		const char *stop = memchr(p, '\0', (size_t)(end - p));
		const char *nl;

		if (!stop) {
			stop = end;
			last = 1;
		}
		nl = memchr(p, '\n', (size_t)(stop - p));
		if (nl && !memchr(p, '/', (size_t)(nl - p))) {
			names[n] = xstrndup(p, (size_t)(nl - p));
			files[n].data = nl + 1;
		} else {
			names[n] = xasprintf("V%zu__fuzz.sql", n + 1);
			files[n].data = p;
		}
		files[n].name = names[n];
		files[n].len = (size_t)(stop - files[n].data);
		n++;
		if (!last)
			p = stop + 1;
	}
	if (source_load_texts(files, n, &src, &e) < 0) {
		fuzz_source_check(e.code == ZDM_EXIT_USAGE && e.msg[0]);
		goto cleanup;
	}
	fuzz_source_check(src.nversioned <= src.n && src.n <= n);
	for (size_t i = 0; i < src.n; i++) {
		const struct src_migration *m = &src.v[i];
		fuzz_source_check(m->sql[m->len] == '\0' && strlen(m->sql) == m->len);
		fuzz_source_check(i >= src.nversioned || i == 0 ||
				  source_version_cmp(src.v[i - 1].version, m->version) < 0);
		if (m->backfill)
			fuzz_source_check(m->bf_table && m->bf_target && m->script.n == 1 &&
					  m->bf_where < m->script.v[0].len);
	}
	if (srclint_run(&src, NULL, &r, &e) < 0) {
		fuzz_source_check(e.code == ZDM_EXIT_USAGE);
		goto cleanup;
	}
	fuzz_source_report(&src, &r);
	lint_report_release(&r);
	/* one flag per file, then one per B file (srclint.h) */
	learn = xcalloc(src.n + src.nbaselines + 1, 1);
	for (size_t i = 0; i + 1 < src.n; i++)
		learn[i] = 1;
	if (srclint_run(&src, learn, &r, &e) == 0)
		fuzz_source_report(&src, &r);
cleanup:
	free(learn);
	lint_report_release(&r);
	source_release(&src);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return 0;
}
