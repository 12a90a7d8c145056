/*
 * stmts — the statements of migration directories exactly as zdm-hook
 * loads and splits them (source_load and sql_split from libzdm.a), for
 * bench/bench-lint.sh, which maps both tools' findings back to statements
 * by position and runs squawk on each file the way zdm runs it.
 *
 *   stmts DIR...
 *
 * Tab-separated lines, for each DIR in turn:
 *
 *   case  DIR  ok                       zdm loads the directory
 *   case  DIR  error  MESSAGE           zdm refuses it as input (exit 2);
 *                                       its files follow all the same, split
 *                                       one by one, in file-name order
 *   file  PATH  TRANSACTIONAL  GUARDED  in zdm's lint order; TRANSACTIONAL 0
 *                                       for "-- zdm: transaction=off",
 *                                       GUARDED 1 for phase=contract with
 *                                       requires-app
 *   stmt  PATH  INDEX  LINE  COL  LAST_LINE  TEXT
 *
 * INDEX is 0-based; LINE:COL is the statement's first token (1-based, COL
 * in bytes); TEXT is the statement up to the end of its first line, tabs
 * shown as spaces. For a directory zdm refuses, TRANSACTIONAL comes from a
 * "transaction=off" in a comment before the first statement.
 *
 * Exits 0 unless a directory cannot be read at all.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "sql.h"
#include "util.h"

static void print_stmts(const char *path, const char *src, size_t len,
			const struct sql_script *s)
{
	for (size_t k = 0; k < s->n; k++) {
		const struct sql_stmt *st = &s->v[k];
		size_t end = st->off + st->len;
		printf("stmt\t%s\t%zu\t%d\t%d\t%d\t", path, k, st->line, st->col, st->end_line);
		for (size_t o = st->off; o < end && o < len && src[o] != '\n' && src[o] != '\r'; o++)
			putchar(src[o] == '\t' ? ' ' : src[o]);
		putchar('\n');
	}
}

/* 0 when a comment before the first statement says transaction=off. */
static int header_transactional(const char *src, size_t len)
{
	struct sql_lexer lx;
	struct sql_token t;
	struct zerr e = { 0 };

	sql_lexer_init(&lx, src, len);
	while (sql_lex_next(&lx, &t, &e) == 0 && t.type == SQL_TOK_COMMENT) {
		char *c = xstrndup(t.p, t.len);
		int off = strstr(c, "zdm:") && strstr(c, "transaction=off");
		free(c);
		if (off)
			return 0;
	}
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory zdm refuses: its *.sql files one by one. */
static int fallback(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		fprintf(stderr, "stmts: cannot open %s\n", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !util_str_has_suffix(de->d_name, ".sql"))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct zerr e = { 0 };
		struct sql_script s = { 0 };
		char *src;
		size_t len;

		if (util_read_file(path, 64u << 20, &src, &len, &e) == 0) {
			printf("file\t%s\t%d\t0\n", path, header_transactional(src, len));
			if (sql_split(src, len, path, &s, &e) == 0)
				print_stmts(path, src, len, &s);
			sql_script_release(&s);
			free(src);
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		struct src_set set = { 0 };
		struct zerr e = { 0 };

		if (source_load(argv[i], &set, &e) < 0) {
			char *msg = xstrdup(e.msg);
			for (char *p = msg; *p; p++)
				if (*p == '\t' || *p == '\n')
					*p = ' ';
			printf("case\t%s\terror\t%s\n", argv[i], msg);
			free(msg);
			if (fallback(argv[i]) < 0)
				rc = 1;
			continue;
		}
		printf("case\t%s\tok\n", argv[i]);
		for (size_t k = 0; k < set.n; k++) {
			const struct src_migration *m = &set.v[k];
			printf("file\t%s\t%d\t%d\n", m->path, m->transactional,
			       m->phase == SRC_PHASE_CONTRACT && m->requires_app != NULL);
			print_stmts(m->path, m->sql, m->len, &m->script);
		}
		source_release(&set);
	}
	return rc;
}
