/*
 * sql — lexer and splitter (see sql.h for the grammar covered).
 *
 * The lexer is a hand-written scanner over bytes. Bytes >= 0x80 are
 * identifier characters, as in PostgreSQL, so UTF-8 names need no special
 * care. The splitter walks tokens and cuts at a `;` that is outside any
 * parentheses and outside a `BEGIN ATOMIC ... END` body of a CREATE
 * FUNCTION/PROCEDURE (tracked by depth: BEGIN ATOMIC and CASE open, END
 * closes).
 */
#include "sql.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sql_lexer_init(struct sql_lexer *lx, const char *src, size_t len)
{
	lx->src = src;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
	lx->col = 1;
}

static int sql_is_ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int sql_is_ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static int sql_peek(const struct sql_lexer *lx, size_t ahead)
{
	size_t i = lx->pos + ahead;
	return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

static void sql_advance(struct sql_lexer *lx, size_t n)
{
	while (n-- && lx->pos < lx->len) {
		if (lx->src[lx->pos] == '\n') {
			lx->line++;
			lx->col = 1;
		} else {
			lx->col++;
		}
		lx->pos++;
	}
}

/* Scan a quoted run ending in `q`, where a doubled `q` is an escaped one
 * and, when backslash is set, `\x` escapes any byte. */
static int sql_scan_quoted(struct sql_lexer *lx, char q, int backslash)
{
	sql_advance(lx, 1);
	while (lx->pos < lx->len) {
		char c = lx->src[lx->pos];
		if (backslash && c == '\\') {
			sql_advance(lx, 2);
			continue;
		}
		if (c == q) {
			if (sql_peek(lx, 1) == q) {
				sql_advance(lx, 2);
				continue;
			}
			sql_advance(lx, 1);
			return 0;
		}
		sql_advance(lx, 1);
	}
	return -1;
}

/* At a `$`: the length of a dollar-quote opening tag ("$$", "$tag$"),
 * or 0 when this `$` does not open one. */
static size_t sql_dollar_tag(const struct sql_lexer *lx)
{
	size_t i = lx->pos + 1;

	if (i < lx->len && lx->src[i] == '$')
		return 2;
	if (i >= lx->len || !sql_is_ident_start((unsigned char)lx->src[i]))
		return 0;
	while (i < lx->len && lx->src[i] != '$') {
		unsigned char c = (unsigned char)lx->src[i];
		if (!(isalnum(c) || c == '_' || c >= 0x80))
			return 0;
		i++;
	}
	return i < lx->len ? i - lx->pos + 1 : 0;
}

static int sql_scan_dollar(struct sql_lexer *lx, size_t taglen)
{
	const char *tag = lx->src + lx->pos;

	sql_advance(lx, taglen);
	while (lx->pos < lx->len) {
		if (lx->src[lx->pos] == '$' && lx->len - lx->pos >= taglen &&
		    memcmp(lx->src + lx->pos, tag, taglen) == 0) {
			sql_advance(lx, taglen);
			return 0;
		}
		sql_advance(lx, 1);
	}
	return -1;
}

static int sql_scan_block_comment(struct sql_lexer *lx)
{
	int depth = 0;

	while (lx->pos < lx->len) {
		if (sql_peek(lx, 0) == '/' && sql_peek(lx, 1) == '*') {
			depth++;
			sql_advance(lx, 2);
		} else if (sql_peek(lx, 0) == '*' && sql_peek(lx, 1) == '/') {
			sql_advance(lx, 2);
			if (--depth == 0)
				return 0;
		} else {
			sql_advance(lx, 1);
		}
	}
	return -1;
}

static int sql_lex_fail(struct sql_token *t, struct zerr *e, const char *what)
{
	return zerr_set(e, ZDM_EXIT_USAGE, "unterminated %s starting at line %d", what, t->line);
}

int sql_lex_next(struct sql_lexer *lx, struct sql_token *t, struct zerr *e)
{
	int c, c1;
	size_t tag;

	while (lx->pos < lx->len && isspace((unsigned char)lx->src[lx->pos]))
		sql_advance(lx, 1);

	t->off = lx->pos;
	t->p = lx->src + lx->pos;
	t->line = lx->line;
	t->col = lx->col;
	t->len = 0;
	if (lx->pos >= lx->len) {
		t->type = SQL_TOK_EOF;
		return 0;
	}
	c = sql_peek(lx, 0);
	c1 = sql_peek(lx, 1);

	if (c == '-' && c1 == '-') {
		t->type = SQL_TOK_COMMENT;
		while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
			sql_advance(lx, 1);
	} else if (c == '/' && c1 == '*') {
		t->type = SQL_TOK_COMMENT;
		if (sql_scan_block_comment(lx) < 0)
			return sql_lex_fail(t, e, "block comment");
	} else if (c == '\'') {
		t->type = SQL_TOK_STRING;
		if (sql_scan_quoted(lx, '\'', 0) < 0)
			return sql_lex_fail(t, e, "quoted string");
	} else if ((c == 'E' || c == 'e') && c1 == '\'') {
		t->type = SQL_TOK_STRING;
		sql_advance(lx, 1);
		if (sql_scan_quoted(lx, '\'', 1) < 0)
			return sql_lex_fail(t, e, "quoted string");
	} else if ((c == 'B' || c == 'b' || c == 'X' || c == 'x' || c == 'N' || c == 'n') &&
		   c1 == '\'') {
		t->type = SQL_TOK_STRING;
		sql_advance(lx, 1);
		if (sql_scan_quoted(lx, '\'', 0) < 0)
			return sql_lex_fail(t, e, "quoted string");
	} else if ((c == 'U' || c == 'u') && c1 == '&' &&
		   (sql_peek(lx, 2) == '\'' || sql_peek(lx, 2) == '"')) {
		char q = (char)sql_peek(lx, 2);
		t->type = q == '"' ? SQL_TOK_QIDENT : SQL_TOK_STRING;
		sql_advance(lx, 2);
		if (sql_scan_quoted(lx, q, 0) < 0)
			return sql_lex_fail(t, e, q == '"' ? "quoted identifier" : "quoted string");
	} else if (c == '"') {
		t->type = SQL_TOK_QIDENT;
		if (sql_scan_quoted(lx, '"', 0) < 0)
			return sql_lex_fail(t, e, "quoted identifier");
	} else if (c == '$' && c1 >= '0' && c1 <= '9') {
		t->type = SQL_TOK_PARAM;
		sql_advance(lx, 1);
		while (lx->pos < lx->len && isdigit((unsigned char)lx->src[lx->pos]))
			sql_advance(lx, 1);
	} else if (c == '$' && (tag = sql_dollar_tag(lx)) > 0) {
		t->type = SQL_TOK_STRING;
		if (sql_scan_dollar(lx, tag) < 0)
			return sql_lex_fail(t, e, "dollar-quoted string");
	} else if (sql_is_ident_start((unsigned char)c)) {
		t->type = SQL_TOK_WORD;
		while (lx->pos < lx->len && sql_is_ident_char((unsigned char)lx->src[lx->pos]))
			sql_advance(lx, 1);
	} else if (isdigit(c) || (c == '.' && c1 >= '0' && c1 <= '9')) {
		t->type = SQL_TOK_NUMBER;
		while (lx->pos < lx->len) {
			unsigned char d = (unsigned char)lx->src[lx->pos];
			if (isalnum(d) || d == '.' || d == '_' ||
			    ((d == '+' || d == '-') &&
			     (lx->src[lx->pos - 1] == 'e' || lx->src[lx->pos - 1] == 'E')))
				sql_advance(lx, 1);
			else
				break;
		}
	} else if (c == ';') {
		t->type = SQL_TOK_SEMI;
		sql_advance(lx, 1);
	} else {
		t->type = SQL_TOK_PUNCT;
		sql_advance(lx, 1);
	}
	t->len = lx->pos - t->off;
	return 0;
}

int sql_tok_is(const struct sql_token *t, const char *kw)
{
	size_t n = strlen(kw);
	return t->type == SQL_TOK_WORD && t->len == n && strncasecmp(t->p, kw, n) == 0;
}

int sql_tok_is_punct(const struct sql_token *t, char c)
{
	return t->type == SQL_TOK_PUNCT && t->len == 1 && t->p[0] == c;
}

/* Is this statement a CREATE [OR REPLACE] FUNCTION/PROCEDURE, whose
 * SQL-standard body may contain semicolons? */
static int sql_is_routine(const struct sql_token *toks, size_t n)
{
	size_t i = 1;

	if (n < 2 || !sql_tok_is(&toks[0], "create"))
		return 0;
	if (n >= 4 && sql_tok_is(&toks[1], "or") && sql_tok_is(&toks[2], "replace"))
		i = 3;
	return i < n && (sql_tok_is(&toks[i], "function") || sql_tok_is(&toks[i], "procedure"));
}

struct sql_splitter {
	struct sql_script *out;
	size_t cap;
	struct sql_token *toks;
	size_t ntoks, tokcap;
	int lead_comment_line;
	int last_line; /* line of the previous significant token */
};

static void sql_splitter_push_tok(struct sql_splitter *sp, const struct sql_token *t)
{
	if (sp->ntoks == sp->tokcap) {
		sp->tokcap = sp->tokcap ? sp->tokcap * 2 : 32;
		sp->toks = xrealloc(sp->toks, sp->tokcap * sizeof(*sp->toks));
	}
	sp->toks[sp->ntoks++] = *t;
}

static void sql_splitter_emit(struct sql_splitter *sp)
{
	struct sql_stmt *st;
	struct sql_token *last;

	if (sp->ntoks == 0)
		return;
	if (sp->out->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 16;
		sp->out->v = xrealloc(sp->out->v, sp->cap * sizeof(*sp->out->v));
	}
	st = &sp->out->v[sp->out->n++];
	last = &sp->toks[sp->ntoks - 1];
	st->off = sp->toks[0].off;
	st->len = last->off + last->len - st->off;
	st->line = sp->toks[0].line;
	st->col = sp->toks[0].col;
	st->end_line = last->line;
	st->ntoks = sp->ntoks;
	st->toks = xrealloc(sp->toks, sp->ntoks * sizeof(*sp->toks));
	st->lead_comment_line = sp->lead_comment_line;
	sp->toks = NULL;
	sp->ntoks = sp->tokcap = 0;
	sp->lead_comment_line = 0;
}

int sql_split(const char *src, size_t len, const char *name, struct sql_script *out, struct zerr *e)
{
	struct sql_splitter sp = { .out = out };
	struct sql_lexer lx;
	struct sql_token t;
	int parens = 0, begin_depth = 0, routine = -1;

	out->v = NULL;
	out->n = 0;
	sql_lexer_init(&lx, src, len);
	for (;;) {
		if (sql_lex_next(&lx, &t, e) < 0) {
			zerr_prefix(e, "%s:%d", name, t.line);
			zerr_hint(e, "close the quote or comment; zdm splits statements the "
				     "way psql does");
			goto fail;
		}
		if (t.type == SQL_TOK_EOF)
			break;
		if (t.type == SQL_TOK_COMMENT) {
			/* A comment on a line of its own right before a
			 * statement belongs to that statement. */
			if (sp.ntoks == 0 && t.line > sp.last_line)
				sp.lead_comment_line = t.line;
			continue;
		}
		if (t.type == SQL_TOK_SEMI && parens == 0 && begin_depth == 0) {
			sql_splitter_emit(&sp);
			sp.last_line = t.line;
			sp.lead_comment_line = 0;
			routine = -1;
			continue;
		}
		sql_splitter_push_tok(&sp, &t);
		sp.last_line = t.line;
		if (sql_tok_is_punct(&t, '('))
			parens++;
		else if (sql_tok_is_punct(&t, ')') && parens > 0)
			parens--;
		if (routine < 0 && sp.ntoks >= 4)
			routine = sql_is_routine(sp.toks, sp.ntoks);
		/* Only BEGIN ATOMIC opens a body ("begin" may also name a
		 * parameter or an output column); inside one, CASE ... END
		 * nests, and END closes. */
		if (routine > 0 && t.type == SQL_TOK_WORD) {
			if ((sql_tok_is(&t, "atomic") && sp.ntoks >= 2 &&
			     sql_tok_is(&sp.toks[sp.ntoks - 2], "begin")) ||
			    (begin_depth > 0 && sql_tok_is(&t, "case")))
				begin_depth++;
			else if (sql_tok_is(&t, "end") && begin_depth > 0)
				begin_depth--;
		}
	}
	sql_splitter_emit(&sp);
	free(sp.toks);
	return 0;
fail:
	free(sp.toks);
	sql_script_release(out);
	return -1;
}

void sql_script_release(struct sql_script *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].toks);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void sql_position_to_line(const char *src, const struct sql_stmt *st, long charpos, int *line,
			  int *col)
{
	const unsigned char *p = (const unsigned char *)src + st->off;
	const unsigned char *end = p + st->len;
	long chars = 1;

	*line = st->line;
	*col = st->col;
	for (; p < end && chars < charpos; p++) {
		if ((*p & 0xC0) == 0x80)
			continue; /* UTF-8 continuation byte */
		chars++;
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

char *sql_stmt_text(const char *src, const struct sql_stmt *st)
{
	return xstrndup(src + st->off, st->len);
}

void sql_stmt_head(const struct sql_stmt *st, size_t n, char *buf, size_t size)
{
	size_t used = 0, i, k;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < st->ntoks && i < n && used + 1 < size; i++) {
		const struct sql_token *t = &st->toks[i];
		if (t->type != SQL_TOK_WORD)
			break;
		if (i > 0)
			buf[used++] = ' ';
		for (k = 0; k < t->len && used + 1 < size; k++)
			buf[used++] = (char)toupper((unsigned char)t->p[k]);
	}
	buf[used] = '\0';
}

static int sql_has_word(const struct sql_stmt *st, size_t from, const char *kw)
{
	for (size_t i = from; i < st->ntoks; i++)
		if (sql_tok_is(&st->toks[i], kw))
			return 1;
	return 0;
}

enum sql_txkind sql_stmt_txkind(const struct sql_stmt *st)
{
	static const char *const control[] = { "begin",     "start",    "commit",
					       "end",       "rollback", "abort",
					       "savepoint", "release",  "prepare" };
	static const char *const nontx[][2] = {
		{ "vacuum", NULL },           { "create", "database" },   { "drop", "database" },
		{ "create", "tablespace" },   { "drop", "tablespace" },   { "alter", "system" },
		{ "create", "subscription" }, { "drop", "subscription" }, { "reindex", "database" },
		{ "reindex", "system" },      { "reindex", "schema" },    { "discard", "all" },
	};
	const struct sql_token *t = st->toks;
	size_t n = st->ntoks, i;

	if (n == 0 || t[0].type != SQL_TOK_WORD)
		return SQL_TX_NORMAL;
	for (i = 0; i < ZDM_ARRAY_LEN(control); i++) {
		if (!sql_tok_is(&t[0], control[i]))
			continue;
		/* PREPARE name AS ... is not transaction control;
		 * PREPARE TRANSACTION is. */
		if (i == ZDM_ARRAY_LEN(control) - 1 && !(n > 1 && sql_tok_is(&t[1], "transaction")))
			return SQL_TX_NORMAL;
		return SQL_TX_CONTROL;
	}
	if (sql_tok_is(&t[0], "create") && n > 2) {
		i = sql_tok_is(&t[1], "unique") ? 2 : 1;
		if (i + 1 < n && sql_tok_is(&t[i], "index") &&
		    sql_tok_is(&t[i + 1], "concurrently"))
			return SQL_TX_CONCURRENT;
	}
	if (sql_tok_is(&t[0], "drop") && n > 2 && sql_tok_is(&t[1], "index") &&
	    sql_tok_is(&t[2], "concurrently"))
		return SQL_TX_CONCURRENT;
	if (sql_tok_is(&t[0], "reindex") && sql_has_word(st, 1, "concurrently"))
		return SQL_TX_CONCURRENT;
	if (sql_tok_is(&t[0], "alter") && n > 1 && sql_tok_is(&t[1], "table") &&
	    sql_has_word(st, 2, "detach") && sql_tok_is(&t[n - 1], "concurrently"))
		return SQL_TX_CONCURRENT;
	for (i = 0; i < ZDM_ARRAY_LEN(nontx); i++) {
		if (!sql_tok_is(&t[0], nontx[i][0]))
			continue;
		if (!nontx[i][1] || (n > 1 && sql_tok_is(&t[1], nontx[i][1])))
			return SQL_TX_NONTX;
	}
	return SQL_TX_NORMAL;
}

static int sql_is_name(const struct sql_token *t)
{
	return t->type == SQL_TOK_WORD || t->type == SQL_TOK_QIDENT;
}

char *sql_cic_index_name(const struct sql_stmt *st)
{
	const struct sql_token *t = st->toks;
	size_t n = st->ntoks, i;
	const struct sql_token *name = NULL;

	if (n < 4 || !sql_tok_is(&t[0], "create"))
		return NULL;
	i = sql_tok_is(&t[1], "unique") ? 2 : 1;
	if (i + 1 >= n || !sql_tok_is(&t[i], "index") || !sql_tok_is(&t[i + 1], "concurrently"))
		return NULL;
	i += 2;
	if (i + 2 < n && sql_tok_is(&t[i], "if") && sql_tok_is(&t[i + 1], "not") &&
	    sql_tok_is(&t[i + 2], "exists"))
		i += 3;
	if (i < n && sql_is_name(&t[i]) && !sql_tok_is(&t[i], "on"))
		name = &t[i++];
	if (!name || i >= n || !sql_tok_is(&t[i], "on"))
		return NULL;
	i++;
	if (i < n && sql_tok_is(&t[i], "only"))
		i++;
	/* schema.table: the index lives in the table's schema */
	if (i + 2 < n && sql_is_name(&t[i]) && sql_tok_is_punct(&t[i + 1], '.') &&
	    sql_is_name(&t[i + 2]))
		return xasprintf("%.*s.%.*s", (int)t[i].len, t[i].p, (int)name->len, name->p);
	return xstrndup(name->p, name->len);
}

/* A possibly qualified name (up to catalog.schema.name) at t[*i]: its
 * parts as written, joined by '.', and *i past it; NULL when none. */
static char *sql_qualified_name(const struct sql_token *t, size_t n, size_t *i)
{
	struct sb s;

	if (*i >= n || !sql_is_name(&t[*i]))
		return NULL;
	sb_init(&s);
	sb_addf(&s, "%.*s", (int)t[*i].len, t[*i].p);
	for ((*i)++; *i + 1 < n && sql_tok_is_punct(&t[*i], '.') && sql_is_name(&t[*i + 1]);
	     *i += 2)
		sb_addf(&s, ".%.*s", (int)t[*i + 1].len, t[*i + 1].p);
	return sb_steal(&s);
}

int sql_detach_names(const struct sql_stmt *st, char **parent, char **child)
{
	const struct sql_token *t = st->toks;
	size_t n = st->ntoks, i = 2;

	*parent = *child = NULL;
	if (n < 6 || !sql_tok_is(&t[0], "alter") || !sql_tok_is(&t[1], "table"))
		return 0;
	if (i + 1 < n && sql_tok_is(&t[i], "if") && sql_tok_is(&t[i + 1], "exists"))
		i += 2;
	if (i < n && sql_tok_is(&t[i], "only"))
		i++;
	*parent = sql_qualified_name(t, n, &i);
	if (*parent && i + 1 < n && sql_tok_is(&t[i], "detach") &&
	    sql_tok_is(&t[i + 1], "partition")) {
		i += 2;
		*child = sql_qualified_name(t, n, &i);
		if (*child && i + 1 == n && sql_tok_is(&t[i], "concurrently"))
			return 1;
	}
	free(*parent);
	free(*child);
	*parent = *child = NULL;
	return 0;
}

int sql_reindex_target(const struct sql_stmt *st, int *table, char **name)
{
	const struct sql_token *t = st->toks;
	size_t n = st->ntoks, i = 1;

	*table = 0;
	*name = NULL;
	if (n < 3 || !sql_tok_is(&t[0], "reindex"))
		return 0;
	if (sql_tok_is_punct(&t[i], '(')) { /* ( options ): past the matching ) */
		int depth = 0;
		for (; i < n; i++)
			if (sql_tok_is_punct(&t[i], '('))
				depth++;
			else if (sql_tok_is_punct(&t[i], ')') && --depth == 0)
				break;
		i++;
	}
	if (i >= n || !(sql_tok_is(&t[i], "index") || sql_tok_is(&t[i], "table")))
		return 0;
	*table = sql_tok_is(&t[i++], "table");
	if (i < n && sql_tok_is(&t[i], "concurrently"))
		i++;
	*name = sql_qualified_name(t, n, &i);
	if (*name && i == n)
		return 1;
	free(*name);
	*name = NULL;
	*table = 0;
	return 0;
}

void sql_stmt_name(const struct sql_stmt *st, char *buf, size_t size)
{
	size_t n = 2;

	switch (sql_stmt_txkind(st)) {
	case SQL_TX_CONCURRENT:
		/* up to and including CONCURRENTLY, when it comes early */
		for (n = 1; n < st->ntoks && n < 5; n++)
			if (sql_tok_is(&st->toks[n - 1], "concurrently"))
				break;
		if (n >= 5 || !sql_tok_is(&st->toks[n - 1], "concurrently"))
			n = 2;
		break;
	case SQL_TX_CONTROL:
		n = st->ntoks > 1 && (sql_tok_is(&st->toks[1], "transaction") ||
				      sql_tok_is(&st->toks[1], "work"))
			    ? 2
			    : 1;
		break;
	case SQL_TX_NONTX:
		n = sql_tok_is(&st->toks[0], "vacuum") ? 1 : 2;
		break;
	default:
		break;
	}
	sql_stmt_head(st, n, buf, size);
}
