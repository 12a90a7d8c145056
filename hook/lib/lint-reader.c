/*
 * lint-reader — the classifier's token reader and type parser. A cursor
 * (struct lint_cur, its one-token primitives inline in lint-int.h) walks
 * the significant tokens sql_split made; the helpers here skip balanced
 * groups, find top-level keywords, read identifiers and qualified names
 * normalised the way PostgreSQL resolves them with the default search_path
 * (unquoted names fold to lower case, quoted ones keep their case,
 * "public.x" is "x"), and parse a type into its canonical name and
 * modifiers so a widening (varchar(20) -> varchar(40), -> text) can be
 * told from a rewrite.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint-int.h"

/* ------------------------------------------------------------ the reader */

/* Step over one token, or over a whole parenthesised group. */
void lint_skip(struct lint_cur *c)
{
	int depth = 0;

	if (c->i >= c->end)
		return;
	do {
		const struct sql_token *t = &c->t[c->i];
		if (sql_tok_is_punct(t, '(') || sql_tok_is_punct(t, '['))
			depth++;
		else if ((sql_tok_is_punct(t, ')') || sql_tok_is_punct(t, ']')) && depth > 0)
			depth--;
		c->i++;
	} while (depth > 0 && c->i < c->end);
}

/* Is there a word `kw` at parenthesis depth 0 in [i, end)? Returns its
 * index or (size_t)-1. */
size_t lint_find_top(const struct lint_cur *c, const char *kw)
{
	struct lint_cur k = *c;

	while (k.i < k.end) {
		if (sql_tok_is(&k.t[k.i], kw))
			return k.i;
		lint_skip(&k);
	}
	return (size_t)-1;
}

/* Is there "NOT VALID" at depth 0 in the rest? */
int lint_has_not_valid(const struct lint_cur *c)
{
	struct lint_cur k = *c;

	while (k.i < k.end) {
		if (lint_is_k(&k, 0, "not") && lint_is_k(&k, 1, "valid"))
			return 1;
		lint_skip(&k);
	}
	return 0;
}

/* snprintf for names: truncation of an over-long name is acceptable. */

void lint_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

/* Normalise one identifier token: unquoted words fold to lower case,
 * quoted ones lose their quotes and keep their case. */
int lint_ident_tok(const struct sql_token *t, char *out, size_t size)
{
	size_t n = 0, k;
	const char *p = t->p;
	size_t len = t->len;

	if (size == 0)
		return -1;
	if (t->type == SQL_TOK_WORD) {
		for (k = 0; k < len && n + 1 < size; k++)
			out[n++] = (char)tolower((unsigned char)p[k]);
	} else if (t->type == SQL_TOK_QIDENT) {
		if (len >= 2 && (p[0] == 'U' || p[0] == 'u')) {
			p += 2; /* U&"..." */
			len -= 2;
		}
		for (k = 1; k + 1 < len && n + 1 < size; k++) {
			out[n++] = p[k];
			if (p[k] == '"' && k + 2 < len && p[k + 1] == '"')
				k++;
		}
	} else {
		out[0] = '\0';
		return -1;
	}
	out[n] = '\0';
	return 0;
}

int lint_ident(struct lint_cur *c, char *out, size_t size)
{
	const struct sql_token *t = lint_at(c);

	out[0] = '\0';
	if (!t || lint_ident_tok(t, out, size) < 0)
		return -1;
	c->i++;
	return 0;
}

/* Read a possibly qualified name: "x", "s.x", "db.s.x". The result is
 * "x" for an unqualified or public name, "s.x" otherwise. */
int lint_qname(struct lint_cur *c, char *out, size_t size)
{
	char part[3][LINT_NAME];
	int n = 0;

	out[0] = '\0';
	if (lint_ident(c, part[0], sizeof(part[0])) < 0)
		return -1;
	n = 1;
	while (n < 3 && lint_is_punct(c, '.') && c->i + 1 < c->end &&
	       (c->t[c->i + 1].type == SQL_TOK_WORD || c->t[c->i + 1].type == SQL_TOK_QIDENT)) {
		c->i++;
		lint_ident(c, part[n], sizeof(part[n]));
		n++;
	}
	if (n == 1 || (n >= 2 && strcmp(part[n - 2], "public") == 0))
		lint_fmt(out, size, "%s", part[n - 1]);
	else
		lint_fmt(out, size, "%s.%s", part[n - 2], part[n - 1]);
	return 0;
}

/* The unqualified part of a normalised name. */
const char *lint_basename(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot ? dot + 1 : name;
}

/* Qualify an unqualified object name with the schema of `like`. */
void lint_qualify_like(const char *name, const char *like, char *out, size_t size)
{
	const char *dot = strrchr(like, '.');

	if (strchr(name, '.') || !dot)
		lint_fmt(out, size, "%s", name);
	else
		lint_fmt(out, size, "%.*s.%s", (int)(dot - like), like, name);
}

/* ----------------------------------------------------------------- types */

int lint_word_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
}

/* The value of a NUMBER token's leading digits (tokens are not
 * NUL-terminated). */
static long lint_number(const struct sql_token *t)
{
	long v = 0;

	for (size_t i = 0; i < t->len && isdigit((unsigned char)t->p[i]) && v < 100000000; i++)
		v = v * 10 + (t->p[i] - '0');
	return v;
}

/* Parse the type written in tokens [a, b) into its canonical form. */
void lint_type_parse(const struct sql_token *t, size_t a, size_t b, struct lint_type *ty)
{
	static const struct {
		const char *from, *to;
	} alias[] = {
		{ "character varying", "varchar" },
		{ "char varying", "varchar" },
		{ "character", "bpchar" },
		{ "char", "bpchar" },
		{ "int", "int4" },
		{ "integer", "int4" },
		{ "bigint", "int8" },
		{ "smallint", "int2" },
		{ "decimal", "numeric" },
		{ "dec", "numeric" },
		{ "double precision", "float8" },
		{ "real", "float4" },
		{ "float", "float8" },
		{ "timestamp without time zone", "timestamp" },
		{ "timestamp with time zone", "timestamptz" },
		{ "time without time zone", "time" },
		{ "time with time zone", "timetz" },
		{ "boolean", "bool" },
		{ "bit varying", "varbit" },
	};
	char word[LINT_NAME];
	size_t n = 0, i = a;
	int after_mods = 0;

	memset(ty, 0, sizeof(*ty));
	for (; i < b; i++) {
		const struct sql_token *k = &t[i];
		if (k->type == SQL_TOK_WORD || k->type == SQL_TOK_QIDENT) {
			if (sql_tok_is(k, "array")) {
				ty->array = 1;
				continue;
			}
			lint_ident_tok(k, word, sizeof(word));
			if (n == 0 && strcmp(word, "pg_catalog") == 0 && i + 1 < b &&
			    sql_tok_is_punct(&t[i + 1], '.')) {
				i++;
				continue;
			}
			if (n > 0 && n + 1 < sizeof(ty->base))
				ty->base[n++] = ' ';
			for (size_t w = 0; word[w] && n + 1 < sizeof(ty->base); w++)
				ty->base[n++] = word[w];
			ty->base[n] = '\0';
		} else if (sql_tok_is_punct(k, '.')) {
			if (n + 1 < sizeof(ty->base))
				ty->base[n++] = '.';
			ty->base[n] = '\0';
		} else if (sql_tok_is_punct(k, '(') && !after_mods) {
			after_mods = 1;
			for (i++; i < b && !sql_tok_is_punct(&t[i], ')'); i++) {
				if (t[i].type == SQL_TOK_NUMBER && ty->nmod < 2)
					ty->mod[ty->nmod++] = lint_number(&t[i]);
			}
		} else if (sql_tok_is_punct(k, '[')) {
			ty->array = 1;
		}
	}
	/* "a . b" left a space before the dot: squeeze it */
	for (char *p = strstr(ty->base, " ."); p; p = strstr(ty->base, " ."))
		memmove(p, p + 1, strlen(p));
	for (char *p = strstr(ty->base, ". "); p; p = strstr(ty->base, ". "))
		memmove(p + 1, p + 2, strlen(p + 1));
	for (size_t k = 0; k < ZDM_ARRAY_LEN(alias); k++) {
		if (strcmp(ty->base, alias[k].from) == 0) {
			lint_fmt(ty->base, sizeof(ty->base), "%s", alias[k].to);
			break;
		}
	}
	ty->known = ty->base[0] != '\0';
}

static int lint_type_same(const struct lint_type *x, const struct lint_type *y)
{
	return strcmp(x->base, y->base) == 0 && x->nmod == y->nmod && x->array == y->array &&
	       (x->nmod < 1 || x->mod[0] == y->mod[0]) && (x->nmod < 2 || x->mod[1] == y->mod[1]);
}

/* Does changing `from` to `to` keep every value and skip the rewrite? The
 * documented list: the same type; varchar(n) to varchar(m >= n), to
 * unconstrained varchar or to text; text to unconstrained varchar;
 * numeric(p,s) to numeric(q >= p, s) or to unconstrained numeric. */
int lint_type_widens(const struct lint_type *from, const struct lint_type *to)
{
	if (!from->known || !to->known || from->array != to->array)
		return 0;
	if (lint_type_same(from, to))
		return 1;
	if (strcmp(from->base, "varchar") == 0) {
		if (strcmp(to->base, "text") == 0)
			return 1;
		if (strcmp(to->base, "varchar") == 0)
			return to->nmod == 0 ||
			       (from->nmod == 1 && to->nmod == 1 && to->mod[0] >= from->mod[0]);
		return 0;
	}
	if (strcmp(from->base, "text") == 0)
		return strcmp(to->base, "varchar") == 0 && to->nmod == 0;
	if (strcmp(from->base, "numeric") == 0 && strcmp(to->base, "numeric") == 0) {
		long fs = from->nmod == 2 ? from->mod[1] : 0;
		long ts = to->nmod == 2 ? to->mod[1] : 0;
		if (to->nmod == 0)
			return 1;
		return from->nmod >= 1 && to->mod[0] >= from->mod[0] && fs == ts;
	}
	return 0;
}

int lint_type_is_serial(const struct lint_type *ty)
{
	static const char *const serial[] = { "serial",      "serial4", "serial8", "bigserial",
					      "smallserial", "serial2", NULL };
	return lint_word_in(ty->base, serial);
}
