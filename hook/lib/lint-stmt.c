/*
 * lint-stmt — the judgement of the statements other than CREATE and ALTER
 * (DROP, UPDATE / DELETE backfills, TRUNCATE, LOCK, VACUUM, CLUSTER,
 * REINDEX, REFRESH, transaction control) and lint_statement, which
 * dispatches one statement on its leading keywords to its judge here or
 * in lint-ddl.c and records what it means for the transaction=off mixing
 * rule.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint-int.h"

/* ------------------------------------------------------------------- DROP */

/* DROP ...: contract for anything old code may use, unless this file made it
 * (or, in one transaction, makes it again); DROP INDEX is about the lock. */
static void lint_drop(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *drop = &c->t[0], *conc = NULL;
	enum lint_rid rid;
	const char *what;
	char kind = 0; /* the lint_made kind that makes a DROP a replacement */
	char name[LINT_NAME];
	struct sb unsafe;
	size_t nunsafe = 0, nnames = 0;
	int index = 0, table = 0, trigger = 0, schema = 0;
	char w[32] = "";

	if (lint_accept(c, "table") || lint_accept2(c, "foreign", "table")) {
		rid = R_DROP_TABLE;
		what = "table";
		table = 1;
	} else if (lint_accept(c, "index")) {
		rid = R_DROP_INDEX_NOT_CONCURRENT;
		what = "index";
		index = 1;
	} else if (lint_accept(c, "view")) {
		rid = R_DROP_VIEW;
		what = "view";
		kind = 'v';
	} else if (lint_accept2(c, "materialized", "view")) {
		rid = R_DROP_VIEW;
		what = "materialized view";
		kind = 'v';
	} else if (lint_accept(c, "schema")) {
		rid = R_DROP_SCHEMA;
		what = "schema";
		schema = 1;
	} else if (lint_accept(c, "function") || lint_accept(c, "procedure") ||
		   lint_accept(c, "routine") || lint_accept(c, "aggregate")) {
		rid = R_DROP_FUNCTION;
		what = "function";
		kind = 'f';
	} else if (lint_accept(c, "type")) {
		rid = R_DROP_TYPE;
		what = "type";
		kind = 't';
	} else if (lint_accept(c, "domain")) {
		rid = R_DROP_TYPE;
		what = "domain";
		kind = 't';
	} else if (lint_accept(c, "database")) {
		r->kind = LINT_KIND_NOTX;
		lint_need_no_tx(r, drop, "DROP DATABASE");
		rid = R_DROP_DATABASE;
		what = "database";
	} else if (lint_accept(c, "trigger")) {
		rid = R_DROP_OBJECT;
		what = "trigger";
		trigger = 1;
		kind = 'g';
	} else if (lint_accept(c, "statistics")) {
		return; /* planner statistics: nothing breaks */
	} else {
		static const char *const objects[] = { "sequence",    "extension",  "rule",
						       "policy",      "cast",       "operator",
						       "collation",   "language",   "server",
						       "publication", "conversion", "transform",
						       "event",       "text",       "foreign",
						       "access",      NULL };
		static const char *const more[] = { "trigger",    "search",  "configuration",
						    "dictionary", "parser",  "template",
						    "data",       "wrapper", "method",
						    NULL };
		const struct sql_token *t = lint_at(c);
		if (t && t->type == SQL_TOK_WORD && t->len < sizeof(w))
			lint_ident_tok(t, w, sizeof(w));
		if (!lint_word_in(w, objects))
			return lint_unknown(r, drop, NULL);
		c->i++;
		rid = R_DROP_OBJECT;
		what = w;
		if (strcmp(w, "text") == 0 || strcmp(w, "foreign") == 0 ||
		    strcmp(w, "event") == 0 || strcmp(w, "access") == 0) {
			what = "object";
			while (c->i < c->end && c->t[c->i].type == SQL_TOK_WORD) {
				char m[32] = "";
				if (c->t[c->i].len < sizeof(m))
					lint_ident_tok(&c->t[c->i], m, sizeof(m));
				if (!lint_word_in(m, more))
					break;
				c->i++;
			}
		}
	}
	if (index && lint_is(c, "concurrently"))
		conc = &c->t[c->i++];
	lint_accept_if_exists(c);
	sb_init(&unsafe);
	while (c->i < c->end) {
		const char *ixtable = NULL;
		int safe = 0;

		if (lint_is_punct(c, '(')) {
			/* DROP CAST (a AS b): the name is the group */
			size_t a = c->i;
			char *text;
			lint_skip(c);
			text = lint_text(r, a, c->i);
			lint_fmt(name, sizeof(name), "%s", text);
			free(text);
		} else if (lint_qname(c, name, sizeof(name)) < 0) {
			break;
		}
		nnames++;
		if (lint_is_punct(c, '('))
			lint_skip(c); /* function arguments */
		if ((trigger || lint_is(c, "on")) && lint_accept(c, "on")) {
			char on[LINT_NAME];
			lint_qname(c, on, sizeof(on));
			safe = lint_here(r, on);
		}
		if (table) {
			safe = lint_here(r, name);
			lint_table_drop(r->ctx, name);
		} else if (index) {
			ixtable = lint_index_table(r->ctx, name);
			safe = conc || (ixtable && lint_here(r, ixtable));
			lint_index_drop(r->ctx, name);
		} else if (kind && lint_made(r, kind, name) && r->f->transactional) {
			safe = 1; /* dropped and created again in one transaction */
		}
		if (!safe) {
			sb_addf(&unsafe, "%s\"%s\"", nunsafe ? ", " : "", name);
			nunsafe++;
		}
		if (!lint_is_punct(c, ','))
			break;
		c->i++;
	}
	if (nnames == 0) {
		lint_unknown(r, drop, NULL);
	} else if (conc) {
		lint_cic(r, conc, "DROP INDEX CONCURRENTLY");
	} else if (nunsafe && index) {
		lint_add(r, R_DROP_INDEX_NOT_CONCURRENT, drop,
			 xasprintf("use DROP INDEX CONCURRENTLY %s; in a file with \"-- zdm: "
				   "transaction=off\" (one index per statement)",
				   lint_q(r, name)),
			 "dropping index %s without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on "
			 "its table and waits behind every query",
			 unsafe.buf);
	} else if (nunsafe) {
		lint_add(r, rid, drop,
			 xasprintf("stop using it in the app first, then %s%s", lint_contract_hint,
				   schema ? "; make sure nothing else lives in it" : ""),
			 "dropping %s%s %s breaks old code that still uses %s", what,
			 nunsafe > 1 ? "s" : "", unsafe.buf, nunsafe > 1 ? "them" : "it");
	}
	sb_release(&unsafe);
}

/* ------------------------------------------------------ other statements */

/* Read "[ONLY] name [*]" and say whether it was created in this file. */
static int lint_dml_target(struct lint_cur *c, char *name, size_t size)
{
	lint_accept(c, "only");
	if (lint_qname(c, name, size) < 0)
		return -1;
	if (lint_is_punct(c, '*'))
		c->i++;
	return 0;
}

static int lint_is_pg_enum(const char *name)
{
	return strcmp(name, "pg_enum") == 0 || strcmp(name, "pg_catalog.pg_enum") == 0;
}

static int lint_is_const(const struct sql_token *t)
{
	return t->type == SQL_TOK_STRING || t->type == SQL_TOK_NUMBER || t->type == SQL_TOK_PARAM;
}

static int lint_is_cmp(const struct sql_token *t)
{
	return sql_tok_is_punct(t, '=') || sql_tok_is_punct(t, '<') || sql_tok_is_punct(t, '>') ||
	       sql_tok_is(t, "in") || sql_tok_is(t, "between");
}

/* A constant, or a clock (now(), current_date ...): what a bounding
 * comparison compares a column with. */
static int lint_is_bound_value(const struct sql_token *t)
{
	static const char *const clocks[] = { "now",
					      "current_date",
					      "current_timestamp",
					      "localtimestamp",
					      "statement_timestamp",
					      "transaction_timestamp",
					      "clock_timestamp",
					      "interval",
					      "date",
					      "timestamp",
					      "timestamptz" };

	if (lint_is_const(t))
		return 1;
	for (size_t i = 0; i < ZDM_ARRAY_LEN(clocks); i++)
		if (sql_tok_is(t, clocks[i]))
			return 1;
	return 0;
}

/* Does the UPDATE/DELETE bound the rows it picks? A LIMIT (in a CTE that
 * selects the rows), or in the WHERE clause at token `where` some column
 * compared with a constant or a clock (id = 5, key IN ('a', 'b'), id
 * BETWEEN 1 AND 1000, expires_at < now() - interval '30 days').
 * "col IS NULL" or "a = b" bound nothing: such a statement can touch every
 * row, which is what a backfill does. */
static int lint_where_bounds(const struct lint_cur *c, size_t where)
{
	for (size_t i = 0; i < c->end; i++)
		if (sql_tok_is(&c->t[i], "limit"))
			return 1;
	if (where == (size_t)-1)
		return 0;
	for (size_t i = where + 1; i < c->end; i++) {
		const struct sql_token *t = &c->t[i];
		size_t k = i;

		if (!lint_is_bound_value(t))
			continue;
		/* skip back over a cast's "(", a unary minus and list commas */
		while (k > where + 1 &&
		       (sql_tok_is_punct(&c->t[k - 1], '(') ||
			sql_tok_is_punct(&c->t[k - 1], '-') || sql_tok_is_punct(&c->t[k - 1], ',')))
			k--;
		if (k > where + 1 && lint_is_cmp(&c->t[k - 1]))
			return 1;
		if (i + 1 < c->end && lint_is_cmp(&c->t[i + 1]))
			return 1;
	}
	return 0;
}

/* UPDATE or DELETE: a catalog hack on pg_enum, or a whole-table backfill. */
static void lint_dml(struct lint_run *r, struct lint_cur *c, const struct sql_token *verb,
		     int update)
{
	char name[LINT_NAME];
	size_t where;

	if (!update && !lint_accept(c, "from"))
		return lint_unknown(r, verb, NULL);
	if (lint_dml_target(c, name, sizeof(name)) < 0)
		return lint_unknown(r, verb, NULL);
	if (lint_is_pg_enum(name)) {
		if (update)
			lint_add(r, R_RENAME_ENUM_VALUE, verb,
				 xstrdup("add the new label with ALTER TYPE ... ADD VALUE, move the "
					 "data and the app to it, and leave the old label unused"),
				 "updating pg_enum renames enum labels old code still sends");
		else
			lint_add(r, R_REMOVE_ENUM_VALUE, verb,
				 xstrdup("leave the label in place; enum values cannot be removed "
					 "safely while any running code may send them"),
				 "deleting from pg_enum removes enum labels old code still sends "
				 "(and corrupts indexes that contain them)");
		return;
	}
	if (r->f->batched || lint_here(r, name))
		return; /* zdm runs it in batches / a new table has no rows */
	where = lint_find_top(c, "where");
	if (lint_where_bounds(c, where))
		return;
	lint_add(r, R_UNBATCHED_BACKFILL, verb,
		 xasprintf("run it as a batched backfill with \"-- zdm: backfill table=%s\" "
			   "(primary-key batches, each its own short transaction), or give it a "
			   "WHERE clause that limits the rows",
			   lint_q(r, name)),
		 where == (size_t)-1
			 ? "%s every row of \"%s\" in one statement locks all its rows until it commits"
			 : "%s the rows of \"%s\" picked by a WHERE that compares no column with a "
			   "constant: it can touch every row, and locks them all until it commits",
		 update ? "updating" : "deleting", name);
}

/* TRUNCATE of tables with live data. */
static void lint_truncate(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *verb = &c->t[0];
	char name[LINT_NAME];
	struct sb unsafe;
	size_t n = 0;

	lint_accept(c, "table");
	sb_init(&unsafe);
	while (lint_dml_target(c, name, sizeof(name)) == 0) {
		if (!lint_here(r, name)) {
			sb_addf(&unsafe, "%s\"%s\"", n ? ", " : "", name);
			n++;
		}
		if (!lint_is_punct(c, ','))
			break;
		c->i++;
	}
	if (n)
		lint_add(r, R_TRUNCATE, verb,
			 xasprintf("delete the rows old code no longer needs with a batched "
				   "backfill, or %s",
				   lint_contract_hint),
			 "truncating %s deletes data old code still reads%s", unsafe.buf,
			 lint_find_top(c, "cascade") != (size_t)-1
				 ? " (CASCADE also empties every table that references it)"
				 : "");
	sb_release(&unsafe);
}

/* LOCK TABLE on tables other code uses. */
static void lint_lock(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *verb = &c->t[0];
	char name[LINT_NAME], first[LINT_NAME] = "";
	int unsafe = 0;

	lint_accept(c, "table");
	while (lint_dml_target(c, name, sizeof(name)) == 0) {
		if (!lint_here(r, name)) {
			if (!unsafe)
				lint_fmt(first, sizeof(first), "%s", name);
			unsafe = 1;
		}
		if (!lint_is_punct(c, ','))
			break;
		c->i++;
	}
	if (unsafe)
		lint_add(r, R_LOCK_TABLE, verb,
			 xstrdup("drop the explicit lock: zdm already runs each statement under a "
				 "short lock_timeout and retries, which is what keeps queues short"),
			 "locking table \"%s\" holds the lock until the file's transaction ends and every "
			 "query on the table queues behind it",
			 first);
}

/* VACUUM: never in a transaction; FULL rewrites. */
static void lint_vacuum(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *verb = &c->t[0], *full = NULL;
	char name[LINT_NAME];
	int any = 0, unsafe = 0;

	r->kind = LINT_KIND_NOTX;
	if (lint_is_punct(c, '(')) {
		size_t e = lint_group_end(c);
		for (size_t k = c->i; k < e; k++) {
			if (sql_tok_is(&c->t[k], "full") &&
			    !(k + 1 < e &&
			      (sql_tok_is(&c->t[k + 1], "false") ||
			       sql_tok_is(&c->t[k + 1], "off") ||
			       (c->t[k + 1].type == SQL_TOK_NUMBER && c->t[k + 1].p[0] == '0'))))
				full = &c->t[k];
		}
		c->i = e;
	}
	for (;;) {
		const struct sql_token *t = lint_at(c);
		if (lint_is(c, "full"))
			full = t;
		if (!(lint_accept(c, "full") || lint_accept(c, "freeze") ||
		      lint_accept(c, "verbose") || lint_accept(c, "analyze") ||
		      lint_accept(c, "analyse")))
			break;
	}
	while (c->i < c->end && lint_qname(c, name, sizeof(name)) == 0) {
		any = 1;
		if (!lint_here(r, name))
			unsafe = 1;
		if (lint_is_punct(c, '('))
			lint_skip(c);
		if (!lint_is_punct(c, ','))
			break;
		c->i++;
	}
	lint_need_no_tx(r, verb, "VACUUM");
	if (full && (unsafe || !any))
		lint_add(r, R_VACUUM_FULL, full,
			 xstrdup("use pg_repack (or pg_squeeze), which rebuilds the table without "
				 "holding ACCESS EXCLUSIVE for the whole copy"),
			 "running VACUUM FULL rewrites %s under an ACCESS EXCLUSIVE lock; nothing can read or "
			 "write it meanwhile",
			 any ? "the table" : "every table");
}

/* CLUSTER rewrites the table (or every clustered table). */
static void lint_cluster(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *verb = &c->t[0];
	char name[LINT_NAME] = "", on[LINT_NAME];

	lint_accept(c, "verbose");
	if (lint_is_punct(c, '('))
		lint_skip(c);
	if (lint_qname(c, name, sizeof(name)) == 0 && lint_accept(c, "on") &&
	    lint_qname(c, on, sizeof(on)) == 0)
		lint_fmt(name, sizeof(name), "%s", on); /* CLUSTER index ON table */
	if (name[0] && lint_here(r, name))
		return;
	lint_add(r, R_CLUSTER, verb,
		 xstrdup("use pg_repack --order-by, which reorders the table online"),
		 "clustering %s%s%s rewrites it under an ACCESS EXCLUSIVE lock",
		 name[0] ? "\"" : "", name[0] ? name : "every clustered table",
		 name[0] ? "\"" : "");
}

/* REINDEX: CONCURRENTLY or a long write lock. */
static void lint_reindex(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *verb = &c->t[0], *conc = NULL;
	char name[LINT_NAME] = "", what[16] = "", upper[16];
	const char *table = NULL;

	if (lint_is_punct(c, '(')) {
		size_t e = lint_group_end(c);
		for (size_t k = c->i; k < e; k++)
			if (sql_tok_is(&c->t[k], "concurrently"))
				conc = &c->t[k];
		c->i = e;
	}
	if (lint_at(c) && c->t[c->i].type == SQL_TOK_WORD && c->t[c->i].len < sizeof(what))
		lint_ident_tok(&c->t[c->i], what, sizeof(what));
	c->i++;
	if (lint_is(c, "concurrently"))
		conc = &c->t[c->i++];
	lint_qname(c, name, sizeof(name));
	if (conc)
		return lint_cic(r, conc, "REINDEX CONCURRENTLY");
	if (strcmp(what, "schema") == 0 || strcmp(what, "database") == 0 ||
	    strcmp(what, "system") == 0) {
		char head[32];
		lint_fmt(head, sizeof(head), "REINDEX %s", what);
		for (char *p = head; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		r->kind = LINT_KIND_NOTX;
		lint_need_no_tx(r, verb, head);
	} else if (strcmp(what, "table") == 0) {
		table = name;
	} else if (strcmp(what, "index") == 0) {
		table = lint_index_table(r->ctx, name);
	}
	if (table && lint_here(r, table))
		return;
	for (size_t k = 0; k < sizeof(upper); k++)
		upper[k] = (char)toupper((unsigned char)what[k]);
	lint_add(r, R_REINDEX_NOT_CONCURRENT, verb,
		 xasprintf("use REINDEX %s CONCURRENTLY %s; in a file with \"-- zdm: "
			   "transaction=off\"",
			   what[0] ? upper : "INDEX", name[0] ? lint_q(r, name) : "<name>"),
		 "reindexing %s%s%s%s without CONCURRENTLY blocks writes to the table while it "
		 "rebuilds",
		 what[0] ? what : "index", name[0] ? " \"" : "", name, name[0] ? "\"" : "");
}

/* REFRESH MATERIALIZED VIEW: CONCURRENTLY or readers wait. */
static void lint_refresh(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *verb = &c->t[0];
	char name[LINT_NAME];

	if (!lint_accept2(c, "materialized", "view"))
		return lint_unknown(r, verb, NULL);
	if (lint_accept(c, "concurrently"))
		return; /* allowed in a transaction; needs a unique index */
	if (lint_qname(c, name, sizeof(name)) < 0)
		return lint_unknown(r, verb, NULL);
	if (lint_made(r, 'v', name))
		return;
	lint_add(r, R_REFRESH_NOT_CONCURRENT, verb,
		 xasprintf("give the view a unique index and use REFRESH MATERIALIZED VIEW "
			   "CONCURRENTLY %s;",
			   lint_q(r, name)),
		 "refreshing materialized view \"%s\" without CONCURRENTLY blocks every reader "
		 "until it finishes",
		 name);
}

/* BEGIN, COMMIT and friends: zdm owns the transaction of a transactional
 * file; in a transaction=off file they are the author's business, but
 * CONCURRENTLY statements must stay outside them. */
static void lint_txn(struct lint_run *r, const struct sql_token *verb, int opens, int closes)
{
	char head[32];

	r->kind = LINT_KIND_NEUTRAL;
	if (!r->f->transactional) {
		if (opens && !r->explicit_tx)
			r->explicit_tx = verb->line;
		if (closes)
			r->explicit_tx = 0;
		return;
	}
	sql_stmt_head(r->st, 2, head, sizeof(head));
	lint_add(r, R_TX_CONTROL, verb,
		 xstrdup("remove it: zdm runs the whole file in one transaction (and records it "
			 "in the history table in the same one); use \"-- zdm: transaction=off\" to "
			 "manage transactions yourself"),
		 "\"%s\" inside a file zdm already runs in a transaction", head);
}

/* Does the statement hold a ";" at parenthesis depth 0 outside a
 * BEGIN ATOMIC body? Then the splitter ran past its end (it counts every
 * BEGIN of a CREATE FUNCTION, also a parameter named begin) and what
 * follows was swallowed unchecked. */
static int lint_swallowed(const struct sql_stmt *st)
{
	size_t depth = 0;
	int semi = 0;

	for (size_t i = 0; i < st->ntoks; i++) {
		const struct sql_token *t = &st->toks[i];
		if (sql_tok_is(t, "begin") && i + 1 < st->ntoks &&
		    sql_tok_is(&st->toks[i + 1], "atomic"))
			return 0;
		if (sql_tok_is_punct(t, '('))
			depth++;
		else if (sql_tok_is_punct(t, ')') && depth > 0)
			depth--;
		else if (t->type == SQL_TOK_SEMI && depth == 0)
			semi = 1;
	}
	return semi;
}

/* Dispatch one statement. */
void lint_statement(struct lint_run *r)
{
	struct lint_cur c = { r->st->toks, 0, r->st->ntoks };
	const struct sql_token *t = lint_at(&c);

	r->kind = LINT_KIND_TX;
	if (!t)
		return;
	if (lint_swallowed(r->st)) {
		lint_add(r, R_UNKNOWN, t,
			 xstrdup("quote a parameter or column named begin (\"begin\"), or move "
				 "the routine to a file of its own"),
			 "zdm cannot tell where this statement ends: it runs past a \";\" to line "
			 "%d, and nothing after that is checked",
			 r->st->end_line);
		return;
	}
	if (t->type != SQL_TOK_WORD) {
		if (sql_tok_is_punct(t, '('))
			r->kind = LINT_KIND_HARMLESS; /* (SELECT ...) */
		else
			lint_unknown(r, t, NULL);
		return;
	}
	c.i++;
	if (sql_tok_is(t, "with")) {
		/* skip the CTEs to the main verb */
		while (c.i < c.end &&
		       !(lint_is(&c, "select") || lint_is(&c, "insert") || lint_is(&c, "update") ||
			 lint_is(&c, "delete") || lint_is(&c, "merge")))
			lint_skip(&c);
		if (c.i >= c.end)
			return lint_unknown(r, t, NULL);
		t = &c.t[c.i++];
	}
	if (sql_tok_is(t, "create"))
		return lint_create(r, &c);
	if (sql_tok_is(t, "alter"))
		return lint_alter(r, &c);
	if (sql_tok_is(t, "drop"))
		return lint_drop(r, &c);
	if (sql_tok_is(t, "update"))
		return lint_dml(r, &c, t, 1);
	if (sql_tok_is(t, "delete"))
		return lint_dml(r, &c, t, 0);
	if (sql_tok_is(t, "truncate"))
		return lint_truncate(r, &c);
	if (sql_tok_is(t, "lock"))
		return lint_lock(r, &c);
	if (sql_tok_is(t, "vacuum"))
		return lint_vacuum(r, &c);
	if (sql_tok_is(t, "cluster"))
		return lint_cluster(r, &c);
	if (sql_tok_is(t, "reindex"))
		return lint_reindex(r, &c);
	if (sql_tok_is(t, "refresh"))
		return lint_refresh(r, &c);
	if (sql_tok_is(t, "begin") || (sql_tok_is(t, "start") && lint_is(&c, "transaction")))
		return lint_txn(r, t, 1, 0);
	if (sql_tok_is(t, "commit") || sql_tok_is(t, "end") || sql_tok_is(t, "abort") ||
	    (sql_tok_is(t, "rollback") && !lint_is(&c, "to")) ||
	    (sql_tok_is(t, "prepare") && lint_is(&c, "transaction")))
		return lint_txn(r, t, 0, 1);
	if (sql_tok_is(t, "savepoint") || sql_tok_is(t, "release") || sql_tok_is(t, "rollback"))
		return lint_txn(r, t, 0, 0);
	if (sql_tok_is(t, "select") || sql_tok_is(t, "values") || sql_tok_is(t, "table") ||
	    sql_tok_is(t, "show") || sql_tok_is(t, "set") || sql_tok_is(t, "reset") ||
	    sql_tok_is(t, "analyze") || sql_tok_is(t, "analyse")) {
		r->kind = LINT_KIND_HARMLESS;
		return;
	}
	if (sql_tok_is(t, "insert") || sql_tok_is(t, "merge") || sql_tok_is(t, "copy") ||
	    sql_tok_is(t, "comment") || sql_tok_is(t, "grant") || sql_tok_is(t, "revoke") ||
	    sql_tok_is(t, "security"))
		return; /* expand */
	if (sql_tok_is(t, "do"))
		return lint_unknown(r, t, "DO block");
	lint_unknown(r, t, NULL);
}
