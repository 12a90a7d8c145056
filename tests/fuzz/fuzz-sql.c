/*
 * fuzz-sql — libFuzzer harness for the SQL lexer and splitter (hook/lib/sql.c).
 *
 * The input is one migration file's text. It is lexed token by token to
 * the end (or the first lexical error), then split into statements, and
 * every per-statement helper the linter and the runner use is called on
 * each statement: its text, name, head words, transaction kind, the
 * CONCURRENTLY index name, and the mapping of a server error position back
 * to a line and column. What the harness checks beyond the sanitizers:
 * statements lie inside the source, in order, and each position maps to a
 * line and column inside the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sql_check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_sql_lex(const char *src, size_t len)
{
	struct sql_lexer lx;
	struct sql_token t;
	struct zerr e = { 0 };
	size_t last = 0;

	sql_lexer_init(&lx, src, len);
	for (;;) {
		if (sql_lex_next(&lx, &t, &e) < 0) {
			fuzz_sql_check(e.code == ZDM_EXIT_USAGE);
			return;
		}
		if (t.type == SQL_TOK_EOF)
			return;
		fuzz_sql_check(t.off >= last && t.off + t.len <= len && t.p == src + t.off);
		fuzz_sql_check(t.line >= 1 && t.col >= 1);
		last = t.off + t.len;
		(void)sql_tok_is(&t, "create");
		(void)sql_tok_is_punct(&t, '(');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the loader hands the splitter NUL-terminated text without NULs */
	char *src = xstrndup((const char *)data, size);
	size_t len = strlen(src);
	struct sql_script s = { 0 };
	struct zerr e = { 0 };
	size_t prev_end = 0;

	fuzz_sql_lex(src, len);
	if (sql_split(src, len, "fuzz.sql", &s, &e) < 0) {
		fuzz_sql_check(e.code == ZDM_EXIT_USAGE && e.msg[0]);
		goto cleanup;
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct sql_stmt *st = &s.v[i];
		char buf[256], *text, *idx, *parent, *child, *target;
		int line, col, table;

		fuzz_sql_check(st->off >= prev_end && st->off + st->len <= len && st->ntoks > 0);
		fuzz_sql_check(st->line >= 1 && st->end_line >= st->line);
		prev_end = st->off + st->len;
		text = sql_stmt_text(src, st);
		fuzz_sql_check(strlen(text) == st->len);
		sql_stmt_name(st, buf, sizeof(buf));
		sql_stmt_head(st, 3, buf, sizeof(buf));
		sql_stmt_head(st, 40, buf, 8);
		(void)sql_stmt_txkind(st);
		idx = sql_cic_index_name(st);
		/* a detach names both tables, or neither */
		fuzz_sql_check(sql_detach_names(st, &parent, &child)
				       ? parent && child && *parent && *child
				       : !parent && !child);
		free(parent);
		free(child);
		/* a REINDEX INDEX|TABLE names its target, else nothing */
		fuzz_sql_check(sql_reindex_target(st, &table, &target)
				       ? target && *target && (table == 0 || table == 1)
				       : !target && !table);
		free(target);
		for (long pos = 0; pos <= (long)st->len + 2; pos += 1 + (long)st->len / 7) {
			sql_position_to_line(src, st, pos, &line, &col);
			fuzz_sql_check(line >= 1 && col >= 1);
		}
		free(idx);
		free(text);
	}
cleanup:
	sql_script_release(&s);
	free(src);
	return 0;
}
