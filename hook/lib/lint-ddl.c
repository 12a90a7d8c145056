/*
 * lint-ddl — the judgement of CREATE and ALTER: column definitions and
 * table constraints, CREATE TABLE / INDEX / VIEW / FUNCTION / TYPE ...,
 * and ALTER TABLE, cut into its comma-separated actions at parenthesis
 * depth 0 and each action judged alone (ADD COLUMN, ADD CONSTRAINT, ALTER
 * COLUMN, RENAME, SET SCHEMA ...), plus ALTER INDEX and the other ALTERs.
 * Each judgement consults and updates the catalog (lint-catalog.c) and
 * appends findings (lint-finding.c); what it does not recognise is
 * reported as unknown, never as safe.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint-int.h"

/* ------------------------------------------------------------ column defs */

static const char *const lint_colcons_kw[] = { "constraint",  "not",     "null",       "default",
					       "check",       "unique",  "primary",    "references",
					       "generated",   "collate", "deferrable", "initially",
					       "compression", "storage", NULL };

static int lint_at_colcons(const struct lint_cur *c)
{
	const struct sql_token *t = lint_at(c);
	char w[32];

	if (!t || t->type != SQL_TOK_WORD || t->len >= sizeof(w))
		return 0;
	lint_ident_tok(t, w, sizeof(w));
	return lint_word_in(w, lint_colcons_kw);
}

/* Functions whose result changes per row: a default calling one makes
 * ADD COLUMN rewrite the table. now(), current_timestamp and friends are
 * stable (one value per statement) and do not. */
static int lint_volatile_fn(const char *name)
{
	static const char *const fns[] = {
		"random", "random_normal",   "gen_random_uuid", "gen_random_bytes", "uuidv4",
		"uuidv7", "clock_timestamp", "timeofday",       "nextval",          "setseed",
		NULL
	};
	return lint_word_in(name, fns) || strncmp(name, "uuid_generate_", 14) == 0;
}

/* If tokens [a, b) (inside a CHECK's parentheses) read "col IS NOT NULL",
 * put col in out and return 1. */
static int lint_notnull_expr(const struct sql_token *t, size_t a, size_t b, char *out, size_t size)
{
	while (b - a >= 2 && sql_tok_is_punct(&t[a], '(') && sql_tok_is_punct(&t[b - 1], ')')) {
		a++;
		b--;
	}
	if (b - a != 4 || (t[a].type != SQL_TOK_WORD && t[a].type != SQL_TOK_QIDENT) ||
	    !sql_tok_is(&t[a + 1], "is") || !sql_tok_is(&t[a + 2], "not") ||
	    !sql_tok_is(&t[a + 3], "null"))
		return 0;
	return lint_ident_tok(&t[a], out, size) == 0;
}

/* At a '(': the index just past its matching ')'. */
size_t lint_group_end(const struct lint_cur *c)
{
	struct lint_cur k = *c;
	lint_skip(&k);
	return k.i;
}

struct lint_coldef {
	char name[LINT_NAME];
	const struct sql_token *name_tok;
	struct lint_type type;
	const struct sql_token *type_tok;
	size_t type_a, type_b;
	const struct sql_token *notnull_tok;
	const struct sql_token *default_tok;
	size_t default_a, default_b; /* the default expression */
	int default_null; /* DEFAULT NULL */
	const struct sql_token *volatile_tok; /* the volatile function called */
	const struct sql_token *check_tok;
	int check_notnull; /* CHECK (name IS NOT NULL) */
	const struct sql_token *unique_tok;
	const struct sql_token *pk_tok;
	const struct sql_token *fk_tok;
	char fk_table[LINT_NAME];
	const struct sql_token *identity_tok;
	const struct sql_token *stored_tok;
};

/* Read "name type [constraints...]" up to the cursor's end. */
static int lint_coldef(struct lint_cur *c, struct lint_coldef *d)
{
	memset(d, 0, sizeof(*d));
	d->name_tok = lint_at(c);
	if (lint_ident(c, d->name, sizeof(d->name)) < 0)
		return -1;
	d->type_a = c->i;
	d->type_tok = lint_at(c);
	while (c->i < c->end && !lint_at_colcons(c))
		lint_skip(c);
	d->type_b = c->i;
	lint_type_parse(c->t, d->type_a, d->type_b, &d->type);

	while (c->i < c->end) {
		const struct sql_token *t = lint_at(c);
		char tmp[LINT_NAME];

		if (lint_accept(c, "constraint")) {
			lint_ident(c, tmp, sizeof(tmp));
		} else if (lint_is(c, "not") && lint_is_k(c, 1, "null")) {
			d->notnull_tok = t;
			c->i += 2;
		} else if (lint_accept(c, "default")) {
			size_t a = c->i;
			d->default_tok = t;
			lint_skip(c); /* the first token is always the expression */
			while (c->i < c->end && !lint_at_colcons(c))
				lint_skip(c);
			d->default_null = c->i == a + 1 && sql_tok_is(&c->t[a], "null");
			d->default_a = a;
			d->default_b = c->i;
			for (size_t k = a; k + 1 < c->i; k++) {
				if (c->t[k].type == SQL_TOK_WORD &&
				    sql_tok_is_punct(&c->t[k + 1], '(')) {
					lint_ident_tok(&c->t[k], tmp, sizeof(tmp));
					if (lint_volatile_fn(tmp) && !d->volatile_tok)
						d->volatile_tok = &c->t[k];
				}
			}
		} else if (lint_accept(c, "check")) {
			d->check_tok = t;
			if (lint_is_punct(c, '(')) {
				size_t e = lint_group_end(c);
				d->check_notnull = lint_notnull_expr(c->t, c->i, e, tmp,
								     sizeof(tmp)) &&
						   strcmp(tmp, d->name) == 0;
				c->i = e;
			}
		} else if (lint_accept(c, "unique")) {
			d->unique_tok = t;
		} else if (lint_accept2(c, "primary", "key")) {
			d->pk_tok = t;
		} else if (lint_accept(c, "references")) {
			d->fk_tok = t;
			lint_qname(c, d->fk_table, sizeof(d->fk_table));
			while (c->i < c->end) {
				if (lint_is(c, "on") &&
				    (lint_is_k(c, 1, "delete") || lint_is_k(c, 1, "update"))) {
					c->i += 2;
					if (!lint_accept(c, "set"))
						lint_accept(c, "no");
					c->i++; /* NULL, DEFAULT, ACTION, CASCADE, RESTRICT */
					if (lint_is_punct(c, '('))
						lint_skip(c);
				} else if (lint_is(c, "match")) {
					c->i += 2;
				} else if (lint_is_punct(c, '(')) {
					lint_skip(c);
				} else {
					break;
				}
			}
		} else if (lint_accept(c, "generated")) {
			if (lint_accept(c, "always") || lint_accept2(c, "by", "default")) {
				lint_accept(c, "as");
				if (lint_accept(c, "identity")) {
					d->identity_tok = t;
				} else if (lint_is_punct(c, '(')) {
					lint_skip(c);
					if (lint_accept(c, "stored"))
						d->stored_tok = t;
				}
			}
		} else if (lint_accept(c, "collate") || lint_accept(c, "compression") ||
			   lint_accept(c, "storage") || lint_accept(c, "initially")) {
			lint_skip(c);
		} else {
			lint_skip(c); /* NULL, DEFERRABLE, NULLS NOT DISTINCT, WITH (...) */
		}
	}
	return 0;
}

/* ------------------------------------------------------- table constraints */

enum lint_tc_kind {
	LINT_TC_OTHER,
	LINT_TC_CHECK,
	LINT_TC_UNIQUE,
	LINT_TC_PK,
	LINT_TC_FK,
	LINT_TC_EXCLUDE
};

struct lint_tcons {
	enum lint_tc_kind kind;
	const struct sql_token *kind_tok;
	char name[LINT_NAME];
	int not_valid;
	int using_index;
	int notnull; /* CHECK (col IS NOT NULL) */
	char col[LINT_NAME];
	char ref[LINT_NAME]; /* the referenced table */
};

/* Read "[CONSTRAINT name] CHECK|UNIQUE|PRIMARY KEY|FOREIGN KEY|EXCLUDE ...". */
static void lint_tcons(struct lint_cur *c, struct lint_tcons *k)
{
	memset(k, 0, sizeof(*k));
	if (lint_accept(c, "constraint"))
		lint_ident(c, k->name, sizeof(k->name));
	k->kind_tok = lint_at(c);
	k->not_valid = lint_has_not_valid(c);
	if (lint_accept(c, "check")) {
		k->kind = LINT_TC_CHECK;
		if (lint_is_punct(c, '(')) {
			size_t e = lint_group_end(c);
			k->notnull = lint_notnull_expr(c->t, c->i, e, k->col, sizeof(k->col));
			c->i = e;
		}
	} else if (lint_accept(c, "unique")) {
		k->kind = LINT_TC_UNIQUE;
		k->using_index = lint_is(c, "using") && lint_is_k(c, 1, "index");
	} else if (lint_accept2(c, "primary", "key")) {
		k->kind = LINT_TC_PK;
		k->using_index = lint_is(c, "using") && lint_is_k(c, 1, "index");
	} else if (lint_accept2(c, "foreign", "key")) {
		k->kind = LINT_TC_FK;
		if (lint_is_punct(c, '('))
			lint_skip(c);
		if (lint_accept(c, "references"))
			lint_qname(c, k->ref, sizeof(k->ref));
	} else if (lint_accept(c, "exclude")) {
		k->kind = LINT_TC_EXCLUDE;
	}
}

/* The name PostgreSQL gives an unnamed CHECK on one column. */
static void lint_check_name(const struct lint_tcons *k, const char *table, char *out, size_t size)
{
	if (k->name[0])
		lint_fmt(out, size, "%s", k->name);
	else
		lint_fmt(out, size, "%s_%s_check", lint_basename(table), k->col);
}

/* ------------------------------------------------------------ CREATE ... */

/* CREATE TABLE: remember the table, its columns and its NOT NULL checks. */
static void lint_create_table(struct lint_run *r, struct lint_cur *c)
{
	char name[LINT_NAME];
	int ifne = lint_accept_if_not_exists(c);
	struct lint_table *t;

	if (lint_qname(c, name, sizeof(name)) < 0)
		return lint_unknown(r, &c->t[0], NULL);
	t = lint_table_find(r->ctx, name);
	if (ifne && t)
		return; /* a no-op when it exists: it is not new */
	t = lint_table_get(r->ctx, name);
	lint_table_clear(t);
	t->created = r->file;
	t->in_run = r->f->run_scope && !r->f->learn_only;
	for (size_t i = r->ctx->nchecks; i-- > 0;)
		if (strcmp(r->ctx->checks[i].table, name) == 0)
			lint_check_remove_at(r->ctx, i);
	if (!lint_is_punct(c, '('))
		return; /* AS, OF, PARTITION OF */
	{
		size_t e = lint_group_end(c) - 1, a = c->i + 1;
		for (size_t k = a, depth = 0; k <= e; k++) {
			const struct sql_token *tk = &c->t[k];
			if (sql_tok_is_punct(tk, '('))
				depth++;
			else if (sql_tok_is_punct(tk, ')') && depth > 0)
				depth--;
			if (k < e && !(depth == 0 && sql_tok_is_punct(tk, ',')))
				continue;
			if (k > a) {
				struct lint_cur el = { c->t, a, k };
				if (lint_is(&el, "constraint") || lint_is(&el, "check") ||
				    lint_is(&el, "unique") || lint_is(&el, "primary") ||
				    lint_is(&el, "foreign") || lint_is(&el, "exclude")) {
					struct lint_tcons tc;
					lint_tcons(&el, &tc);
					if (tc.kind == LINT_TC_CHECK && tc.notnull) {
						char cn[LINT_NAME];
						lint_check_name(&tc, name, cn, sizeof(cn));
						lint_check_add(r->ctx, name, tc.col, cn,
							       !tc.not_valid);
					}
				} else if (!lint_is(&el, "like")) {
					struct lint_coldef d;
					if (lint_coldef(&el, &d) == 0) {
						lint_col_set(r->ctx, name, d.name, &d.type);
						if (d.check_notnull) {
							char cn[LINT_NAME];
							lint_fmt(cn, sizeof(cn), "%s_%s_check",
								 lint_basename(name), d.name);
							lint_check_add(r->ctx, name, d.name, cn, 1);
						}
					}
				}
			}
			a = k + 1;
		}
	}
}

/* CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] t */
static void lint_create_index(struct lint_run *r, struct lint_cur *c, int unique)
{
	const struct sql_token *create = &c->t[0], *conc = NULL;
	char name[LINT_NAME] = "", table[LINT_NAME], qualified[LINT_NAME];
	int only;

	if (lint_is(c, "concurrently"))
		conc = &c->t[c->i++];
	lint_accept_if_not_exists(c);
	if (!lint_is(c, "on"))
		lint_qname(c, name, sizeof(name));
	if (!lint_accept(c, "on"))
		return lint_unknown(r, create, NULL);
	only = lint_accept(c, "only");
	if (lint_qname(c, table, sizeof(table)) < 0)
		return lint_unknown(r, create, NULL);
	if (name[0]) {
		lint_qualify_like(name, table, qualified, sizeof(qualified));
		lint_index_add(r->ctx, qualified, table);
	}
	if (conc) {
		lint_cic(r, conc,
			 unique ? "CREATE UNIQUE INDEX CONCURRENTLY" : "CREATE INDEX CONCURRENTLY");
		return;
	}
	if (only || lint_here_rel(r, table))
		return;
	{
		size_t at = 0;
		char *rest;
		while (at < r->st->ntoks && !sql_tok_is(&r->st->toks[at], "index"))
			at++;
		rest = lint_rest(r, at + 1);
		lint_add(r, R_INDEX_NOT_CONCURRENT, create,
			 xasprintf("use CREATE INDEX CONCURRENTLY in a file with \"-- zdm: "
				   "transaction=off\", e.g. CREATE %sINDEX CONCURRENTLY %s;",
				   unique ? "UNIQUE " : "", rest),
			 "creating %sindex%s%s%s on existing table \"%s\" without CONCURRENTLY "
			 "blocks writes for the whole build",
			 unique ? "unique " : "", name[0] ? " \"" : "", name, name[0] ? "\"" : "",
			 table);
		free(rest);
	}
}

/* Remember the views, functions, types and triggers a file creates, so a
 * DROP followed by a re-CREATE, or a rename that leaves a view under the
 * old name, is known to be a replacement. */
void lint_prescan(struct lint_run *r)
{
	const struct sql_script *s = r->f->script;

	for (size_t i = 0; s && i < s->n; i++) {
		struct lint_cur c = { s->v[i].toks, 0, s->v[i].ntoks };
		char name[LINT_NAME];
		char kind = 0;

		if (!lint_accept(&c, "create"))
			continue;
		lint_accept2(&c, "or", "replace");
		while (lint_accept(&c, "temp") || lint_accept(&c, "temporary") ||
		       lint_accept(&c, "recursive") || lint_accept(&c, "materialized") ||
		       lint_accept(&c, "constraint"))
			;
		if (lint_accept(&c, "view"))
			kind = 'v';
		else if (lint_accept(&c, "function") || lint_accept(&c, "procedure"))
			kind = 'f';
		else if (lint_accept(&c, "type") || lint_accept(&c, "domain"))
			kind = 't';
		else if (lint_accept(&c, "trigger"))
			kind = 'g';
		if (!kind)
			continue;
		lint_accept_if_not_exists(&c);
		if (lint_qname(&c, name, sizeof(name)) < 0)
			continue;
		lint_remember(r, kind, name);
	}
}

/* CREATE ...: tables and indexes are judged, most other objects are expand,
 * the few that cannot run in a transaction are flagged. */
void lint_create(struct lint_run *r, struct lint_cur *c)
{
	int unique = 0;

	lint_accept2(c, "or", "replace");
	for (;;) {
		if (lint_accept(c, "unique"))
			unique = 1;
		else if (!(lint_accept(c, "global") || lint_accept(c, "local") ||
			   lint_accept(c, "temp") || lint_accept(c, "temporary") ||
			   lint_accept(c, "unlogged") || lint_accept(c, "recursive") ||
			   lint_accept(c, "materialized") || lint_accept(c, "trusted") ||
			   lint_accept(c, "procedural") || lint_accept(c, "constraint") ||
			   lint_accept(c, "default")))
			break;
	}
	if (lint_accept(c, "table"))
		return lint_create_table(r, c);
	if (lint_accept(c, "index"))
		return lint_create_index(r, c, unique);
	if (lint_is(c, "database") || lint_is(c, "tablespace") || lint_is(c, "subscription")) {
		char what[64];
		sql_stmt_head(r->st, 2, what, sizeof(what));
		r->kind = LINT_KIND_NOTX;
		return lint_need_no_tx(r, &c->t[0], what);
	}
	{
		static const char *const expand[] = {
			"view",      "function",   "procedure", "trigger",     "sequence",
			"type",      "extension",  "schema",    "domain",      "role",
			"user",      "group",      "policy",    "aggregate",   "cast",
			"collation", "operator",   "rule",      "statistics",  "text",
			"language",  "conversion", "event",     "publication", "foreign",
			"server",    "access",     "transform", NULL
		};
		char w[32] = "";
		const struct sql_token *t = lint_at(c);
		if (t && t->type == SQL_TOK_WORD && t->len < sizeof(w))
			lint_ident_tok(t, w, sizeof(w));
		if (!lint_word_in(w, expand))
			lint_unknown(r, &c->t[0], NULL);
	}
}

/* ----------------------------------------------------------- ALTER TABLE */

struct lint_alter {
	char table[LINT_NAME];
	int here; /* created earlier in this file */
	const char *what; /* "table", "view", "materialized view" */
};

/* ADD [COLUMN]: what the new column costs an existing table and its writers. */
static void lint_add_column(struct lint_run *r, struct lint_alter *a, struct lint_cur *c,
			    const struct sql_token *add)
{
	struct lint_coldef d;
	char *type, *def = NULL;
	char qt[2 * LINT_NAME + 8], qc[2 * LINT_NAME + 8];
	const char *tb = lint_basename(a->table);

	lint_accept(c, "column");
	lint_accept_if_not_exists(c);
	if (lint_coldef(c, &d) < 0)
		return lint_unknown(r, add, NULL);
	lint_col_set(r->ctx, a->table, d.name, &d.type);
	if (d.check_notnull) {
		char cn[LINT_NAME];
		lint_fmt(cn, sizeof(cn), "%s_%s_check", tb, d.name);
		lint_check_add(r->ctx, a->table, d.name, cn, 1);
	}
	if (a->here)
		return;
	lint_sqlname(a->table, qt, sizeof(qt));
	lint_sqlname(d.name, qc, sizeof(qc));
	type = lint_text(r, d.type_a, d.type_b);
	if (lint_type_is_serial(&d.type))
		lint_add(r, R_VOLATILE_DEFAULT, d.type_tok,
			 xasprintf("add a plain %s column, give it a sequence default with ALTER "
				   "TABLE %s ALTER COLUMN %s SET DEFAULT nextval('...'); and backfill "
				   "existing rows in batches (\"-- zdm: backfill table=%s\")",
				   strstr(d.type.base, "big") || strcmp(d.type.base, "serial8") == 0
					   ? "bigint"
					   : "integer",
				   qt, qc, qt),
			 "adding %s column \"%s\".\"%s\" fills every row from a sequence and "
			 "rewrites the table under an ACCESS EXCLUSIVE lock",
			 type, a->table, d.name);
	if (d.identity_tok)
		lint_add(r, R_VOLATILE_DEFAULT, d.identity_tok,
			 xasprintf("add the column nullable without identity, backfill it in batches "
				   "(\"-- zdm: backfill table=%s\"), then ALTER TABLE %s ALTER COLUMN "
				   "%s ADD GENERATED BY DEFAULT AS IDENTITY;",
				   qt, qt, qc),
			 "adding identity column \"%s\".\"%s\" numbers every row and rewrites the "
			 "table under an ACCESS EXCLUSIVE lock",
			 a->table, d.name);
	if (d.stored_tok)
		lint_add(r, R_STORED_GENERATED, d.stored_tok,
			 xasprintf("add a plain column, keep it filled with a trigger, and backfill "
				   "existing rows in batches (\"-- zdm: backfill table=%s\")",
				   qt),
			 "adding stored generated column \"%s\".\"%s\" computes every row and "
			 "rewrites the table under an ACCESS EXCLUSIVE lock",
			 a->table, d.name);
	if (d.volatile_tok) {
		char fn[LINT_NAME];
		lint_ident_tok(d.volatile_tok, fn, sizeof(fn));
		def = lint_text(r, d.default_a, d.default_b);
		lint_add(r, R_VOLATILE_DEFAULT, d.volatile_tok,
			 xasprintf("add the column without the default, then set it for new rows "
				   "and backfill old ones in batches, e.g. ALTER TABLE %s ADD COLUMN "
				   "%s %s; ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s; and "
				   "\"-- zdm: backfill table=%s\"",
				   qt, qc, type, qt, qc, def, qt),
			 "adding column \"%s\".\"%s\" with volatile default %s() rewrites table "
			 "\"%s\" under an ACCESS EXCLUSIVE lock",
			 a->table, d.name, fn, a->table);
	}
	if (d.notnull_tok && (!d.default_tok || d.default_null) && !d.identity_tok &&
	    !d.stored_tok && !lint_type_is_serial(&d.type))
		lint_add(r, R_ADD_REQUIRED_COLUMN, d.notnull_tok,
			 xasprintf("give it a constant default, e.g. ALTER TABLE %s ADD COLUMN %s %s "
				   "NOT NULL DEFAULT <value>; or add it nullable, backfill, and set "
				   "NOT NULL in a guarded contract migration",
				   qt, qc, type),
			 "adding NOT NULL column \"%s\".\"%s\" without a default makes inserts "
			 "from old code fail",
			 a->table, d.name);
	if (d.fk_tok)
		lint_add(r, R_CONSTRAINT_NOT_VALID, d.fk_tok,
			 xasprintf("add the column first, then the key NOT VALID and validate it in "
				   "a later file: ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) "
				   "REFERENCES %s NOT VALID; then ALTER TABLE %s VALIDATE CONSTRAINT %s;",
				   qt, lint_qf(r, "%s_%s_fkey", tb, d.name), qc,
				   lint_q(r, d.fk_table), qt, lint_qf(r, "%s_%s_fkey", tb, d.name)),
			 "adding column \"%s\".\"%s\" with a foreign key scans the table and blocks "
			 "writes to \"%s\" and \"%s\"",
			 a->table, d.name, a->table, d.fk_table);
	if (d.check_tok)
		lint_add(r, R_CONSTRAINT_NOT_VALID, d.check_tok,
			 xasprintf("add the column first, then the check NOT VALID and validate it "
				   "in a later file: ALTER TABLE %s ADD CONSTRAINT %s CHECK (...) NOT "
				   "VALID;",
				   qt, lint_qf(r, "%s_%s_check", tb, d.name)),
			 "adding column \"%s\".\"%s\" with a CHECK scans the whole table under an "
			 "ACCESS EXCLUSIVE lock",
			 a->table, d.name);
	if (d.unique_tok || d.pk_tok) {
		const char *kw = d.pk_tok ? "PRIMARY KEY" : "UNIQUE";
		const char *idx = lint_qf(r, "%s_%s_%s", tb, d.name, d.pk_tok ? "pkey" : "key");
		lint_add(r, R_CONSTRAINT_BUILDS_INDEX, d.unique_tok ? d.unique_tok : d.pk_tok,
			 xasprintf("add the column, build the index with CREATE UNIQUE INDEX "
				   "CONCURRENTLY %s ON %s (%s); in a transaction=off file, then ALTER "
				   "TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;",
				   idx, qt, qc, qt, idx, kw, idx),
			 "adding column \"%s\".\"%s\" with %s builds its index under an ACCESS "
			 "EXCLUSIVE lock",
			 a->table, d.name, kw);
	}
	free(def);
	free(type);
}

/* ADD [CONSTRAINT name] CHECK/UNIQUE/PRIMARY KEY/FOREIGN KEY/EXCLUDE. */
static void lint_add_constraint(struct lint_run *r, struct lint_alter *a, struct lint_cur *c,
				const struct sql_token *add)
{
	struct lint_tcons k;

	lint_tcons(c, &k);
	if (k.kind == LINT_TC_OTHER)
		return lint_unknown(r, add, NULL);
	if (k.kind == LINT_TC_CHECK && k.notnull) {
		char cn[LINT_NAME];
		lint_check_name(&k, a->table, cn, sizeof(cn));
		lint_check_add(r->ctx, a->table, k.col, cn, !k.not_valid);
	}
	if (k.not_valid && k.name[0]) {
		char key[2 * LINT_NAME + 2];
		lint_fmt(key, sizeof(key), "%s/%s", a->table, k.name);
		lint_remember(r, 'n', key);
	}
	if (a->here)
		return;
	switch (k.kind) {
	case LINT_TC_CHECK:
		if (k.not_valid)
			break;
		lint_add(r, R_CONSTRAINT_NOT_VALID, k.kind_tok,
			 xasprintf("add it NOT VALID, then validate it in a later file: ALTER TABLE "
				   "%s ADD CONSTRAINT %s CHECK (...) NOT VALID; then ALTER TABLE %s "
				   "VALIDATE CONSTRAINT %s;",
				   lint_q(r, a->table), k.name[0] ? lint_q(r, k.name) : "<name>",
				   lint_q(r, a->table), k.name[0] ? lint_q(r, k.name) : "<name>"),
			 "adding check constraint%s%s%s on \"%s\" without NOT VALID scans the whole "
			 "table under an ACCESS EXCLUSIVE lock",
			 k.name[0] ? " \"" : "", k.name, k.name[0] ? "\"" : "", a->table);
		lint_add(r, R_ADD_CHECK_CONSTRAINT, k.kind_tok,
			 xasprintf("add it NOT VALID once every running version writes values that "
				   "pass it, then VALIDATE it in a later file, or %s",
				   lint_contract_hint),
			 "adding check constraint%s%s%s on \"%s\" makes writes from old code that "
			 "violate it fail",
			 k.name[0] ? " \"" : "", k.name, k.name[0] ? "\"" : "", a->table);
		break;
	case LINT_TC_FK:
		if (k.not_valid)
			break;
		lint_add(r, R_CONSTRAINT_NOT_VALID, k.kind_tok,
			 xasprintf("add it NOT VALID, then validate it in a later file: ALTER TABLE "
				   "%s ADD CONSTRAINT %s FOREIGN KEY (...) REFERENCES %s NOT VALID; "
				   "then ALTER TABLE %s VALIDATE CONSTRAINT %s;",
				   lint_q(r, a->table), k.name[0] ? lint_q(r, k.name) : "<name>",
				   lint_q(r, k.ref), lint_q(r, a->table),
				   k.name[0] ? lint_q(r, k.name) : "<name>"),
			 "adding foreign key%s%s%s on \"%s\" without NOT VALID scans the table and "
			 "blocks writes to \"%s\" and \"%s\"",
			 k.name[0] ? " \"" : "", k.name, k.name[0] ? "\"" : "", a->table, a->table,
			 k.ref);
		break;
	case LINT_TC_UNIQUE:
	case LINT_TC_PK:
		if (k.using_index)
			break;
		{
			const char *kw = k.kind == LINT_TC_PK ? "PRIMARY KEY" : "UNIQUE";
			const char *idx = k.name[0] ? lint_q(r, k.name) : "<index>";
			const char *qt = lint_q(r, a->table);
			lint_add(r, R_CONSTRAINT_BUILDS_INDEX, k.kind_tok,
				 xasprintf("build the index first with CREATE UNIQUE INDEX CONCURRENTLY "
					   "%s ON %s (...); in a transaction=off file, then ALTER TABLE "
					   "%s ADD CONSTRAINT %s %s USING INDEX %s;",
					   idx, qt, qt, idx, kw, idx),
				 "adding %s constraint%s%s%s to \"%s\" builds its index under an ACCESS "
				 "EXCLUSIVE lock",
				 kw, k.name[0] ? " \"" : "", k.name, k.name[0] ? "\"" : "",
				 a->table);
		}
		if (k.kind == LINT_TC_UNIQUE)
			lint_add(r, R_ADD_UNIQUE_CONSTRAINT, k.kind_tok,
				 xasprintf("build a unique index CONCURRENTLY once no running version "
					   "writes duplicates, then attach it with ADD CONSTRAINT ... "
					   "UNIQUE USING INDEX, or %s",
					   lint_contract_hint),
				 "adding unique constraint%s%s%s on \"%s\" makes writes from old code "
				 "that duplicate values fail",
				 k.name[0] ? " \"" : "", k.name, k.name[0] ? "\"" : "", a->table);
		break;
	case LINT_TC_EXCLUDE:
		lint_add(r, R_CONSTRAINT_BUILDS_INDEX, k.kind_tok,
			 xstrdup("an exclusion constraint has no concurrent form: add it while the "
				 "table is small, or allow it explicitly for a maintenance window"),
			 "adding exclusion constraint%s%s%s to \"%s\" builds its index under an "
			 "ACCESS EXCLUSIVE lock",
			 k.name[0] ? " \"" : "", k.name, k.name[0] ? "\"" : "", a->table);
		break;
	case LINT_TC_OTHER:
		break;
	}
}

/* ALTER [COLUMN] col ... */
static void lint_alter_column(struct lint_run *r, struct lint_alter *a, struct lint_cur *c,
			      const struct sql_token *alter)
{
	char col[LINT_NAME];
	const struct sql_token *t;

	lint_accept(c, "column");
	if (lint_ident(c, col, sizeof(col)) < 0)
		return lint_unknown(r, alter, NULL);
	t = lint_at(c);
	if (lint_is(c, "type") || (lint_is(c, "set") && lint_is_k(c, 1, "data"))) {
		struct lint_type ty;
		struct lint_col *old;
		size_t ta, tb;
		char *newtype, *oldtype = NULL;
		int using, widens;

		if (!lint_accept(c, "type"))
			c->i += 3; /* SET DATA TYPE */
		ta = c->i;
		while (c->i < c->end && !lint_is(c, "collate") && !lint_is(c, "using"))
			lint_skip(c);
		tb = c->i;
		using = lint_is(c, "using");
		lint_type_parse(c->t, ta, tb, &ty);
		old = lint_col_find(r->ctx, a->table, col);
		widens = !using && old && lint_type_widens(&old->type, &ty);
		if (old && old->type.known) {
			struct sb s;
			sb_init(&s);
			sb_adds(&s, old->type.base);
			if (old->type.nmod == 1)
				sb_addf(&s, "(%ld)", old->type.mod[0]);
			else if (old->type.nmod == 2)
				sb_addf(&s, "(%ld,%ld)", old->type.mod[0], old->type.mod[1]);
			if (old->type.array)
				sb_adds(&s, "[]");
			oldtype = sb_steal(&s);
		}
		lint_col_set(r->ctx, a->table, col, &ty);
		if (a->here || widens) {
			free(oldtype);
			return;
		}
		newtype = lint_text(r, ta, tb);
		lint_add(r, R_COLUMN_TYPE_CHANGE, t,
			 xasprintf("add a new column of the new type, write both and backfill in "
				   "batches, switch readers, then drop the old column in a guarded "
				   "contract migration, e.g. ALTER TABLE %s ADD COLUMN %s %s;",
				   lint_q(r, a->table), lint_qf(r, "%s_new", col), newtype),
			 "changing the type of column \"%s\".\"%s\" to \"%s\" can break old code "
			 "that reads or writes the old type",
			 a->table, col, newtype);
		lint_add(r, R_COLUMN_TYPE_REWRITE, t,
			 xasprintf("only widening varchar(n) to a larger n or to text, or numeric "
				   "precision at the same scale, avoids the rewrite; otherwise add "
				   "a new column and backfill it in batches (\"-- zdm: backfill "
				   "table=%s\")",
				   lint_q(r, a->table)),
			 "changing column \"%s\".\"%s\" %s%s%sto type \"%s\" rewrites table \"%s\" under an "
			 "ACCESS EXCLUSIVE lock%s",
			 a->table, col, oldtype ? "from \"" : "", oldtype ? oldtype : "",
			 oldtype ? "\" " : "", newtype, a->table,
			 using     ? " (USING always rewrites)"
			 : oldtype ? ""
				   : " (zdm does not know its old type)");
		free(newtype);
		free(oldtype);
		return;
	}
	if (lint_is(c, "set") && lint_is_k(c, 1, "not") && lint_is_k(c, 2, "null")) {
		if (a->here)
			return;
		lint_add(r, R_SET_NOT_NULL_WRITERS, t,
			 xasprintf("ship code that always writes \"%s\" and backfill the NULLs first, "
				   "then %s",
				   col, lint_contract_hint),
			 "setting NOT NULL on \"%s\".\"%s\" makes inserts and updates from old code "
			 "that send NULL fail",
			 a->table, col);
		if (!lint_check_valid(r->ctx, a->table, col))
			lint_add(r, R_SET_NOT_NULL, t,
				 xasprintf("first ALTER TABLE %s ADD CONSTRAINT %s CHECK "
					   "(%s IS NOT NULL) NOT VALID; then ALTER TABLE %s VALIDATE "
					   "CONSTRAINT %s; SET NOT NULL then uses the "
					   "constraint and skips the scan",
					   lint_q(r, a->table),
					   lint_qf(r, "%s_%s_not_null", lint_basename(a->table),
						   col),
					   lint_q(r, col), lint_q(r, a->table),
					   lint_qf(r, "%s_%s_not_null", lint_basename(a->table),
						   col)),
				 "setting NOT NULL on \"%s\".\"%s\" scans the whole table under an ACCESS "
				 "EXCLUSIVE lock (no validated CHECK (%s IS NOT NULL) is known)",
				 a->table, col, col);
		return;
	}
	if ((lint_is(c, "drop") && lint_is_k(c, 1, "default")) ||
	    (lint_is(c, "drop") && lint_is_k(c, 1, "identity"))) {
		int identity = lint_is_k(c, 1, "identity");
		if (a->here)
			return;
		lint_add(r, R_DROP_DEFAULT, t,
			 xasprintf("keep the %s until no running version omits \"%s\" on insert, "
				   "then %s",
				   identity ? "identity" : "default", col, lint_contract_hint),
			 "dropping the %s of \"%s\".\"%s\" makes inserts from old code that omit "
			 "the column fail or store NULL",
			 identity ? "identity" : "default", a->table, col);
		return;
	}
	if (lint_is(c, "set") && lint_is_k(c, 1, "expression")) {
		if (!a->here)
			lint_add(r, R_TABLE_REWRITE, t,
				 xasprintf("add a new generated column or a trigger-filled column and "
					   "backfill it in batches (\"-- zdm: backfill table=%s\")",
					   lint_q(r, a->table)),
				 "changing the expression of \"%s\".\"%s\" recomputes every row and rewrites the "
				 "table under an ACCESS EXCLUSIVE lock",
				 a->table, col);
		return;
	}
	if (lint_is(c, "set") || lint_is(c, "drop") || lint_is(c, "reset") || lint_is(c, "add") ||
	    lint_is(c, "restart"))
		return; /* SET DEFAULT, DROP NOT NULL, SET STATISTICS, ADD GENERATED... */
	lint_unknown(r, alter, NULL);
}

/* RENAME TO / SET SCHEMA of a table or view: contract unless a view keeps
 * the old name working; the context follows the table to its new name. */
static void lint_rename_table_to(struct lint_run *r, struct lint_alter *a,
				 const struct sql_token *at, const char *to, const char *how)
{
	int viewed = lint_made(r, 'v', a->table);
	int moving = strcmp(how, "moving") == 0;
	char schema[LINT_NAME];

	lint_fmt(schema, sizeof(schema), "%s", to);
	if (strchr(schema, '.'))
		*strchr(schema, '.') = '\0';
	else
		lint_fmt(schema, sizeof(schema), "public");
	if (!a->here && !viewed)
		lint_add(r, R_RENAME_TABLE, at,
			 xasprintf("keep the old name working: in the same file create a view under "
				   "it, e.g. ALTER %s %s %s %s; CREATE VIEW %s AS SELECT * FROM %s; "
				   "then drop the view in a guarded contract migration",
				   strcmp(a->what, "table") == 0  ? "TABLE"
				   : strcmp(a->what, "view") == 0 ? "VIEW"
								  : "MATERIALIZED VIEW",
				   lint_q(r, a->table), moving ? "SET SCHEMA" : "RENAME TO",
				   moving ? lint_q(r, schema) : lint_q(r, lint_basename(to)),
				   lint_q(r, a->table), lint_q(r, to)),
			 "%s %s \"%s\" to \"%s\" breaks old code that still uses the old name", how,
			 a->what, a->table, to);
	lint_table_rename(r->ctx, a->table, to);
	lint_fmt(a->table, sizeof(a->table), "%s", to);
}

/* One comma-separated action of an ALTER TABLE. */
static void lint_alter_action(struct lint_run *r, struct lint_alter *a, struct lint_cur *c)
{
	const struct sql_token *t = lint_at(c);
	char name[LINT_NAME], to[LINT_NAME];

	if (!t)
		return;
	if (lint_accept(c, "add")) {
		if (lint_is(c, "constraint") || lint_is(c, "check") || lint_is(c, "unique") ||
		    lint_is(c, "primary") || lint_is(c, "foreign") || lint_is(c, "exclude"))
			return lint_add_constraint(r, a, c, t);
		return lint_add_column(r, a, c, t);
	}
	if (lint_accept(c, "drop")) {
		if (lint_accept(c, "constraint")) {
			lint_accept_if_exists(c);
			lint_ident(c, name, sizeof(name));
			lint_check_drop(r->ctx, a->table, name);
			return;
		}
		lint_accept(c, "column");
		lint_accept_if_exists(c);
		if (lint_ident(c, name, sizeof(name)) < 0)
			return lint_unknown(r, t, NULL);
		lint_col_drop(r->ctx, a->table, name);
		if (!a->here)
			lint_add(r, R_DROP_COLUMN, t,
				 xasprintf("stop using the column in the app first (ignore it in the "
					   "ORM), then %s, e.g. ALTER TABLE %s DROP COLUMN %s;",
					   lint_contract_hint, lint_q(r, a->table),
					   lint_q(r, name)),
				 "dropping column \"%s\".\"%s\" breaks old code that still selects or "
				 "inserts it",
				 a->table, name);
		return;
	}
	if (lint_is(c, "alter")) {
		c->i++;
		if (lint_accept(c, "constraint"))
			return; /* ALTER CONSTRAINT ... DEFERRABLE */
		return lint_alter_column(r, a, c, t);
	}
	if (lint_accept(c, "rename")) {
		if (lint_accept(c, "to")) {
			if (lint_ident(c, to, sizeof(to)) < 0)
				return lint_unknown(r, t, NULL);
			lint_qualify_like(to, a->table, name, sizeof(name));
			return lint_rename_table_to(r, a, t, name, "renaming");
		}
		if (lint_accept(c, "constraint")) {
			lint_ident(c, name, sizeof(name));
			lint_accept(c, "to");
			lint_ident(c, to, sizeof(to));
			lint_check_rename(r->ctx, a->table, name, to);
			return;
		}
		lint_accept(c, "column");
		if (lint_ident(c, name, sizeof(name)) < 0 || !lint_accept(c, "to") ||
		    lint_ident(c, to, sizeof(to)) < 0)
			return lint_unknown(r, t, NULL);
		lint_col_rename(r->ctx, a->table, name, to);
		if (!a->here)
			lint_add(r, R_RENAME_COLUMN, t,
				 xasprintf("add the new column, write both (a trigger) and backfill, "
					   "move readers to it, then drop the old one in a guarded "
					   "contract migration, e.g. ALTER TABLE %s ADD COLUMN %s <type>;",
					   lint_q(r, a->table), lint_q(r, to)),
				 "renaming column \"%s\".\"%s\" to \"%s\" breaks old code that still "
				 "uses the old name",
				 a->table, name, to);
		return;
	}
	if (lint_accept(c, "validate")) {
		char key[2 * LINT_NAME + 2];
		lint_accept(c, "constraint");
		lint_ident(c, name, sizeof(name));
		lint_check_validate(r->ctx, a->table, name);
		/* NOT VALID then VALIDATE in one transaction: the validating
		 * scan runs while the ADD's lock is still held */
		lint_fmt(key, sizeof(key), "%s/%s", a->table, name);
		if (!a->here && r->f->transactional && lint_made(r, 'n', key))
			lint_add(r, R_VALIDATE_SAME_TX, t,
				 xasprintf("validate it in a later migration file (or in a "
					   "\"-- zdm: transaction=off\" file), e.g. ALTER TABLE %s "
					   "VALIDATE CONSTRAINT %s;",
					   lint_q(r, a->table), lint_q(r, name)),
				 "validating constraint \"%s\" in the same transaction that added it "
				 "NOT VALID scans \"%s\" while the lock taken by the ADD is still held",
				 name, a->table);
		return;
	}
	if (lint_is(c, "set") && lint_is_k(c, 1, "schema")) {
		c->i += 2;
		if (lint_ident(c, to, sizeof(to)) < 0)
			return lint_unknown(r, t, NULL);
		if (strcmp(to, "public") == 0)
			lint_fmt(name, sizeof(name), "%s", lint_basename(a->table));
		else
			lint_fmt(name, sizeof(name), "%s.%s", to, lint_basename(a->table));
		return lint_rename_table_to(r, a, t, name, "moving");
	}
	if (lint_is(c, "set") && (lint_is_k(c, 1, "tablespace") || lint_is_k(c, 1, "logged") ||
				  lint_is_k(c, 1, "unlogged") || lint_is_k(c, 1, "access"))) {
		char what[64];
		lint_fmt(what, sizeof(what), "SET %.*s", (int)c->t[c->i + 1].len, c->t[c->i + 1].p);
		for (char *p = what; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!a->here)
			lint_add(r, R_TABLE_REWRITE, t,
				 xstrdup("do it with pg_repack or in a maintenance window, and allow it "
					 "explicitly"),
				 "\"%s\" rewrites %s \"%s\" under an ACCESS EXCLUSIVE lock", what,
				 a->what, a->table);
		return;
	}
	if (lint_accept(c, "detach")) {
		const struct sql_token *conc;
		lint_accept(c, "partition");
		lint_qname(c, name, sizeof(name));
		conc = lint_at(c);
		if (lint_accept(c, "concurrently"))
			return lint_cic(r, conc, "DETACH PARTITION CONCURRENTLY");
		if (lint_accept(c, "finalize") || a->here)
			return;
		lint_add(r, R_DETACH_NOT_CONCURRENT, t,
			 xasprintf("use ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY; in a file "
				   "with \"-- zdm: transaction=off\"",
				   lint_q(r, a->table), lint_q(r, name)),
			 "detaching partition \"%s\" from \"%s\" without CONCURRENTLY takes an ACCESS "
			 "EXCLUSIVE lock on the parent",
			 name, a->table);
		return;
	}
	if (lint_is(c, "attach")) {
		if (!a->here)
			lint_unknown(r, t, "ATTACH PARTITION");
		return;
	}
	{
		static const char *const harmless[] = { "set",     "reset",   "owner", "enable",
							"disable", "force",   "no",    "inherit",
							"replica", "cluster", "of",    "not",
							NULL };
		char w[32] = "";
		if (t->type == SQL_TOK_WORD && t->len < sizeof(w))
			lint_ident_tok(t, w, sizeof(w));
		if (!lint_word_in(w, harmless))
			lint_unknown(r, t, NULL);
	}
}

/* ALTER TABLE|VIEW|MATERIALIZED VIEW [IF EXISTS] [ONLY] name action [, ...] */
static void lint_alter_table(struct lint_run *r, struct lint_cur *c, const char *what)
{
	struct lint_alter a = { .what = what };
	size_t start, depth = 0;

	lint_accept_if_exists(c);
	lint_accept(c, "only");
	if (lint_is(c, "all") || lint_qname(c, a.table, sizeof(a.table)) < 0)
		return lint_unknown(r, &c->t[0], NULL);
	if (lint_is_punct(c, '*'))
		c->i++;
	a.here = strcmp(what, "table") == 0 ? lint_here(r, a.table) : lint_here_rel(r, a.table);
	start = c->i;
	for (size_t k = c->i; k <= c->end; k++) {
		if (k < c->end) {
			if (sql_tok_is_punct(&c->t[k], '('))
				depth++;
			else if (sql_tok_is_punct(&c->t[k], ')') && depth > 0)
				depth--;
			if (!(depth == 0 && sql_tok_is_punct(&c->t[k], ',')))
				continue;
		}
		if (k > start) {
			struct lint_cur act = { c->t, start, k };
			lint_alter_action(r, &a, &act);
		}
		start = k + 1;
	}
}

/* ALTER INDEX: a rename or a storage setting; SET TABLESPACE moves it. */
static void lint_alter_index(struct lint_run *r, struct lint_cur *c)
{
	char name[LINT_NAME], to[LINT_NAME], q[LINT_NAME];

	lint_accept_if_exists(c);
	if (lint_is(c, "all") || lint_qname(c, name, sizeof(name)) < 0)
		return lint_unknown(r, &c->t[0], NULL);
	if (lint_accept2(c, "rename", "to")) {
		lint_ident(c, to, sizeof(to));
		lint_qualify_like(to, name, q, sizeof(q));
		lint_index_rename(r->ctx, name, q);
		return;
	}
	if (lint_is(c, "set") && lint_is_k(c, 1, "tablespace")) {
		const char *table = lint_index_table(r->ctx, name);
		if (!table || !lint_here(r, table))
			lint_add(r, R_TABLE_REWRITE, lint_at(c),
				 xstrdup("move it with pg_repack, or rebuild it CONCURRENTLY in the new "
					 "tablespace and drop the old one"),
				 "moving index \"%s\" to another tablespace copies it under an ACCESS "
				 "EXCLUSIVE lock",
				 name);
		return;
	}
	if (lint_is(c, "attach") || lint_is(c, "set") || lint_is(c, "reset") ||
	    lint_is(c, "alter") || lint_is(c, "depends") || lint_is(c, "no"))
		return;
	lint_unknown(r, &c->t[0], NULL);
}

/* ALTER TYPE, SCHEMA, SEQUENCE, FUNCTION, DOMAIN ...: renames are contract,
 * enum labels are checked, the rest is metadata. */
static void lint_alter_other(struct lint_run *r, struct lint_cur *c, const char *kind)
{
	const struct sql_token *t;
	char name[LINT_NAME], to[LINT_NAME];
	int is_schema = strcmp(kind, "schema") == 0, is_type = strcmp(kind, "type") == 0;
	int is_domain = strcmp(kind, "domain") == 0;

	lint_accept_if_exists(c);
	if (lint_qname(c, name, sizeof(name)) < 0)
		return lint_unknown(r, &c->t[0], NULL);
	if (lint_is_punct(c, '('))
		lint_skip(c); /* a function's argument list */
	t = lint_at(c);
	if (!t)
		return lint_unknown(r, &c->t[0], NULL);
	if (lint_is(c, "rename") && lint_is_k(c, 1, "value")) {
		char *from = lint_text(r, c->i + 2, c->i + 3);
		char *label = lint_text(r, c->i + 4, c->i + 5);
		lint_add(r, R_RENAME_ENUM_VALUE, t,
			 xasprintf("add the new label with ALTER TYPE %s ADD VALUE %s; move the "
				   "data and the app to it, and leave the old label unused",
				   lint_q(r, name), label),
			 "renaming value %s of enum \"%s\" to %s breaks old code that still sends "
			 "or compares the old label",
			 from, name, label);
		free(from);
		free(label);
		return;
	}
	if ((lint_is(c, "rename") && lint_is_k(c, 1, "to")) ||
	    (lint_is(c, "set") && lint_is_k(c, 1, "schema"))) {
		int moving = lint_is(c, "set");
		c->i += 2;
		lint_ident(c, to, sizeof(to));
		if (is_schema)
			lint_add(r, R_RENAME_SCHEMA, t,
				 xasprintf(
					 "create the new schema, move objects and code over, and drop "
					 "the old one in a guarded contract migration"),
				 "renaming schema \"%s\" to \"%s\" breaks old code that qualifies names "
				 "with it",
				 name, to);
		else if (!(is_type && lint_made(r, 't', name)))
			lint_add(r, R_RENAME_OBJECT, t,
				 xasprintf(
					 "create the object under the new name alongside the old one, "
					 "move the app to it, and drop the old one in a guarded "
					 "contract migration"),
				 "%s %s \"%s\" to %s\"%s\" breaks old code that still uses the old "
				 "name",
				 moving ? "moving" : "renaming", kind, name,
				 moving ? "schema " : "", to);
		return;
	}
	if (is_type && lint_is(c, "drop") && lint_is_k(c, 1, "attribute")) {
		lint_add(r, R_DROP_TYPE, t, xstrdup(lint_contract_hint),
			 "dropping an attribute of type \"%s\" breaks old code that still uses it",
			 name);
		return;
	}
	if (lint_is(c, "rename")) {
		lint_add(r, R_RENAME_OBJECT, t,
			 xstrdup("add the new attribute, move the app to it, and drop the old one in "
				 "a guarded contract migration"),
			 "renaming an attribute of %s \"%s\" breaks old code that uses the old name",
			 kind, name);
		return;
	}
	if (is_domain && lint_is(c, "validate") && !lint_made(r, 't', name)) {
		lint_add(r, R_VALIDATE_DOMAIN, t,
			 xasprintf("prefer a CHECK constraint on each table's column (added NOT VALID, "
				   "validated later: a SHARE UPDATE EXCLUSIVE lock) over a domain "
				   "constraint; if you must, run it when writes to the tables using "
				   "domain %s can pause",
				   lint_q(r, name)),
			 "validating a constraint of domain \"%s\" holds a SHARE lock on every "
			 "table that uses it, blocking their writes for the whole scan",
			 name);
		return;
	}
	if (is_domain && lint_is(c, "add") && !lint_has_not_valid(c)) {
		lint_add(r, R_CONSTRAINT_NOT_VALID, t,
			 xasprintf("add it NOT VALID, then ALTER DOMAIN %s VALIDATE CONSTRAINT "
				   "<name>; in a later file",
				   lint_q(r, name)),
			 "adding a constraint to domain \"%s\" without NOT VALID scans every column "
			 "of that type",
			 name);
		return;
	}
	if (is_domain && lint_is(c, "set") && lint_is_k(c, 1, "not")) {
		lint_add(r, R_SET_NOT_NULL, t,
			 xasprintf("add a CHECK (VALUE IS NOT NULL) NOT VALID to domain %s and "
				   "validate it in a later file",
				   lint_q(r, name)),
			 "setting NOT NULL on domain \"%s\" scans every column of that type", name);
		return;
	}
	if (is_domain && lint_is(c, "drop") && lint_is_k(c, 1, "default")) {
		lint_add(r, R_DROP_DEFAULT, t, xstrdup(lint_contract_hint),
			 "dropping the default of domain \"%s\" breaks old inserts that rely on it",
			 name);
		return;
	}
}

/* ALTER ...: dispatch on the kind of object. */
void lint_alter(struct lint_run *r, struct lint_cur *c)
{
	static const char *const other[] = { "type",        "schema",     "sequence",  "function",
					     "procedure",   "routine",    "aggregate", "domain",
					     "trigger",     "policy",     "extension", "role",
					     "user",        "group",      "database",  "statistics",
					     "publication", "collation",  "operator",  "server",
					     "language",    "conversion", "event",     "text",
					     "default",     "large",      NULL };
	char kind[32] = "";
	const struct sql_token *t = lint_at(c);

	if (lint_accept(c, "table"))
		return lint_alter_table(r, c, "table");
	if (lint_accept(c, "view"))
		return lint_alter_table(r, c, "view");
	if (lint_accept2(c, "materialized", "view"))
		return lint_alter_table(r, c, "materialized view");
	if (lint_accept(c, "index"))
		return lint_alter_index(r, c);
	if (lint_accept(c, "system")) {
		r->kind = LINT_KIND_NOTX;
		return lint_need_no_tx(r, &c->t[0], "ALTER SYSTEM");
	}
	if (t && t->type == SQL_TOK_WORD && t->len < sizeof(kind))
		lint_ident_tok(t, kind, sizeof(kind));
	if (!lint_word_in(kind, other))
		return lint_unknown(r, &c->t[0], NULL);
	c->i++;
	if (strcmp(kind, "default") == 0 || strcmp(kind, "role") == 0 ||
	    strcmp(kind, "user") == 0 || strcmp(kind, "group") == 0 ||
	    strcmp(kind, "database") == 0 || strcmp(kind, "large") == 0 ||
	    strcmp(kind, "event") == 0 || strcmp(kind, "text") == 0 ||
	    strcmp(kind, "trigger") == 0 || strcmp(kind, "policy") == 0 ||
	    strcmp(kind, "extension") == 0 || strcmp(kind, "statistics") == 0 ||
	    strcmp(kind, "publication") == 0 || strcmp(kind, "server") == 0)
		return; /* metadata, privileges and settings */
	if (strcmp(kind, "procedure") == 0 || strcmp(kind, "routine") == 0)
		lint_fmt(kind, sizeof(kind), "function");
	lint_alter_other(r, c, kind);
}
