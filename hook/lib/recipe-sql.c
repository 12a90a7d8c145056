/*
 * recipe-sql — compiling recipes against the catalog into SQL (recipe.h).
 * Kept apart from recipe.c so that reading migration files (helm-zdm's
 * lint and render) needs no libpq.
 */
#include "recipe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "sql.h"

void recipe_sql_release(struct recipe_sql *s)
{
	sb_release(&s->expand);
	for (size_t i = 0; i < s->ncontract; i++)
		free(s->contract[i]);
	free(s->contract);
	free(s->table);
	for (size_t i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	free(s->notes);
	free(s->validate);
	memset(s, 0, sizeof(*s));
}

char *recipe_state_table(const char *history_schema, const char *history_table)
{
	char *t = xasprintf("%s_recipes", history_table);
	char *qs = db_quote_ident(history_schema), *qt = db_quote_ident(t);
	char *q = xasprintf("%s.%s", qs, qt);

	free(t);
	free(qs);
	free(qt);
	return q;
}

int recipe_state_exists(struct db *db, const char *state_table, int *yes, struct zerr *e)
{
	const char *p[1] = { state_table };
	PGresult *r = db_query(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, p, e);

	*yes = 0;
	if (!r)
		return -1;
	*yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return 0;
}

int recipe_state_ensure(struct db *db, const char *state_table, struct zerr *e)
{
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s ("
			      " version text PRIMARY KEY,"
			      " recipe text NOT NULL,"
			      " table_name text NOT NULL,"
			      " state text NOT NULL CHECK (state IN ('expanded', 'contracting',"
			      " 'contracted')),"
			      " contract_after text,"
			      " col_old text, col_new text, up_expr text, down_expr text,"
			      " fill_col text, fill_expr text,"
			      " backfilled boolean NOT NULL DEFAULT false,"
			      " contract_sql text[],"
			      " contract_step integer NOT NULL DEFAULT 0,"
			      " expanded_at timestamptz NOT NULL DEFAULT now(),"
			      " contracted_at timestamptz,"
			      " error text)",
			      state_table);
	int exists, rc = recipe_state_exists(db, state_table, &exists, e);

	if (rc == 0 && !exists)
		rc = db_exec(db, sql, e);
	free(sql);
	return rc;
}

/* ---- compiling ---- */

/* What the catalog says about the recipe's table and column. */
struct recipe_cat {
	char *schema, *table; /* resolved, unquoted */
	char *qtable; /* "schema"."table" */
	char *oid;
	int rules, rls;
	/* the column */
	int has_col;
	char *col_type, *col_collate, *col_default;
	int col_notnull, col_attnum;
	char col_identity, col_generated;
	int has_trigger; /* zdm_sync exists */
	int trigger_legacy; /* ... without its WHEN (made by zdm 0.x before it had one) */
	char **cols; /* the table's column names (with the recipes' new
		      * ones), for expressions in the trigger; NULL: unknown */
	size_t ncols;
};

static void recipe_cat_release(struct recipe_cat *c)
{
	for (size_t i = 0; i < c->ncols; i++)
		free(c->cols[i]);
	free(c->cols);
	free(c->schema);
	free(c->table);
	free(c->qtable);
	free(c->oid);
	free(c->col_type);
	free(c->col_collate);
	free(c->col_default);
	memset(c, 0, sizeof(*c));
}

/* "schema"."name" of an identifier in the table's schema */
static char *recipe_qual(const struct recipe_cat *c, const char *name)
{
	char *qs = db_quote_ident(c->schema), *qn = db_quote_ident(name);
	char *q = xasprintf("%s.%s", qs, qn);

	free(qs);
	free(qn);
	return q;
}

static int recipe_read_cat(const struct recipe *r, struct db *db, const char *column,
			   struct recipe_cat *c, struct zerr *e)
{
	const char *p1[1] = { r->table };
	PGresult *res;

	memset(c, 0, sizeof(*c));
	if (!db) {
		const char *dot = strchr(r->table, '.');
		c->schema = dot ? xstrndup(r->table, (size_t)(dot - r->table)) : xstrdup("public");
		c->table = xstrdup(dot ? dot + 1 : r->table);
		c->qtable = recipe_qual(c, c->table);
		c->has_col = column != NULL;
		c->col_type = xstrdup("<the type of the column>");
		return 0;
	}
	res = db_query(db,
		       "SELECT n.nspname, c.relname, c.oid::text, c.relhasrules, c.relrowsecurity"
		       " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
		       " ON n.oid = c.relnamespace"
		       " WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')",
		       1, p1, e);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return zerr_set(e, ZDM_EXIT_USAGE, "recipe=%s: table %s does not exist", r->name,
				r->table);
	}
	c->schema = db_value_dup(res, 0, 0);
	c->table = db_value_dup(res, 0, 1);
	c->oid = db_value_dup(res, 0, 2);
	c->rules = PQgetvalue(res, 0, 3)[0] == 't';
	c->rls = PQgetvalue(res, 0, 4)[0] == 't';
	PQclear(res);
	c->qtable = recipe_qual(c, c->table);
	{
		const char *p[1] = { c->oid };
		res = db_query(db,
			       "SELECT tgqual IS NULL FROM pg_catalog.pg_trigger"
			       " WHERE tgrelid = $1::oid AND tgname = 'zdm_sync'",
			       1, p, e);
		if (!res)
			return -1;
		c->has_trigger = PQntuples(res) > 0;
		c->trigger_legacy = c->has_trigger && PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		res = db_query(db,
			       "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = $1::oid"
			       " AND attnum > 0 AND NOT attisdropped",
			       1, p, e);
		if (!res)
			return -1;
		c->ncols = (size_t)PQntuples(res);
		c->cols = xcalloc(c->ncols + 1, sizeof(*c->cols));
		for (size_t i = 0; i < c->ncols; i++)
			c->cols[i] = xstrdup(PQgetvalue(res, (int)i, 0));
		PQclear(res);
	}
	if (!column)
		return 0;
	{
		const char *p[2] = { c->oid, column };
		res = db_query(
			db,
			"SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull OR EXISTS ("
			" SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = a.attrelid"
			" AND k.contype = 'c' AND k.conkey = ARRAY[a.attnum]"
			" AND pg_catalog.pg_get_constraintdef(k.oid) LIKE 'CHECK ((% IS NOT NULL))%'),"
			" pg_get_expr(d.adbin, d.adrelid),"
			" CASE WHEN a.attcollation <> t.typcollation"
			" THEN (SELECT quote_ident(nc.nspname) || '.' || quote_ident(co.collname)"
			" FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace nc"
			" ON nc.oid = co.collnamespace WHERE co.oid = a.attcollation) END,"
			" a.attidentity, a.attgenerated, a.attnum"
			" FROM pg_catalog.pg_attribute a"
			" JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
			" LEFT JOIN pg_catalog.pg_attrdef d"
			" ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
			" WHERE a.attrelid = $1::oid AND a.attname = $2"
			" AND a.attnum > 0 AND NOT a.attisdropped",
			2, p, e);
	}
	if (!res)
		return -1;
	c->has_col = PQntuples(res) == 1;
	if (c->has_col) {
		c->col_type = db_value_dup(res, 0, 0);
		c->col_notnull = PQgetvalue(res, 0, 1)[0] == 't';
		c->col_default = db_value_dup(res, 0, 2);
		c->col_collate = db_value_dup(res, 0, 3);
		c->col_identity = PQgetvalue(res, 0, 4)[0];
		c->col_generated = PQgetvalue(res, 0, 5)[0];
		c->col_attnum = (int)db_value_ll(res, 0, 6, 0);
	}
	PQclear(res);
	return 0;
}

static int recipe_col_exists(struct db *db, const struct recipe_cat *c, const char *col, int *yes,
			     struct zerr *e)
{
	const char *p[2] = { c->oid, col };
	PGresult *res;

	*yes = 0;
	if (!db)
		return 0;
	res = db_query(db,
		       "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = $1::oid"
		       " AND attname = $2 AND attnum > 0 AND NOT attisdropped",
		       2, p, e);
	if (!res)
		return -1;
	*yes = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* One column pair (old -> new) or one fill (col, expr) kept in step by
 * the table's sync trigger. */
struct recipe_pair {
	char *version;
	char *old, *new_, *up, *down; /* pair; up/down NULL: the same value */
	char *fill_col, *fill;
};

static void recipe_pair_clear(struct recipe_pair *p)
{
	free(p->version);
	free(p->old);
	free(p->new_);
	free(p->up);
	free(p->down);
	free(p->fill_col);
	free(p->fill);
	memset(p, 0, sizeof(*p));
}

static void recipe_pairs_release(struct recipe_pair *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		recipe_pair_clear(&v[i]);
	free(v);
}

static int recipe_pair_cmp(const void *pa, const void *pb)
{
	const struct recipe_pair *a = pa, *b = pb;
	return source_version_cmp(a->version, b->version);
}

/* This recipe's pair or fill, if it has one. */
static int recipe_own_pair(const struct recipe *r, struct recipe_pair *p)
{
	memset(p, 0, sizeof(*p));
	switch (r->kind) {
	case RECIPE_RENAME_COLUMN:
	case RECIPE_CHANGE_TYPE:
		p->old = xstrdup(r->column);
		p->new_ = xstrdup(r->to);
		p->up = r->up ? xstrdup(r->up) : NULL;
		p->down = r->down ? xstrdup(r->down) : NULL;
		break;
	case RECIPE_SET_NOT_NULL:
		if (!r->up)
			return 0;
		p->fill_col = xstrdup(r->column);
		p->fill = xstrdup(r->up);
		break;
	case RECIPE_ADD_COLUMN:
		if (!r->fill)
			return 0;
		p->fill_col = xstrdup(r->column);
		p->fill = xstrdup(r->fill);
		break;
	default:
		return 0;
	}
	p->version = xstrdup(r->version);
	return 1;
}

/* Is version v one of vs[0..n)? */
static int recipe_version_in(const char *v, const char *const *vs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(vs[i], v) == 0)
			return 1;
	return 0;
}

/* The pairs and fills of the recipes in flight on the table (state
 * table rows not contracted, except versions skip[0..nskip) and those of
 * add), plus add[0..nadd), in version order. */
static int recipe_pairs_load(struct db *db, const char *state_table, const struct recipe_cat *c,
			     const char *const *skip, size_t nskip, const struct recipe_pair *add,
			     size_t nadd, struct recipe_pair **out, size_t *nout, struct zerr *e)
{
	struct recipe_pair *v = NULL;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (db) {
		PGresult *res;
		int exists;

		if (recipe_state_exists(db, state_table, &exists, e) < 0)
			return -1;
		if (exists) {
			char *sql = xasprintf("SELECT version, col_old, col_new, up_expr, down_expr,"
					      " fill_col, fill_expr FROM %s WHERE table_name = $1"
					      " AND state <> 'contracted'"
					      " AND (col_old IS NOT NULL OR fill_col IS NOT NULL)",
					      state_table);
			const char *p[1] = { c->qtable };
			res = db_query(db, sql, 1, p, e);
			free(sql);
			if (!res)
				return -1;
			v = xcalloc((size_t)PQntuples(res) + nadd + 1, sizeof(*v));
			for (int i = 0; i < PQntuples(res); i++) {
				const char *ver = PQgetvalue(res, i, 0);
				int dup = recipe_version_in(ver, skip, nskip);
				for (size_t k = 0; k < nadd; k++)
					dup |= strcmp(add[k].version, ver) == 0;
				if (dup)
					continue;
				v[n].version = db_value_dup(res, i, 0);
				v[n].old = db_value_dup(res, i, 1);
				v[n].new_ = db_value_dup(res, i, 2);
				v[n].up = db_value_dup(res, i, 3);
				v[n].down = db_value_dup(res, i, 4);
				v[n].fill_col = db_value_dup(res, i, 5);
				v[n].fill = db_value_dup(res, i, 6);
				n++;
			}
			PQclear(res);
		}
	}
	if (!v)
		v = xcalloc(nadd + 1, sizeof(*v));
	for (size_t k = 0; k < nadd; k++, n++) {
		v[n].version = xstrdup(add[k].version);
		v[n].old = add[k].old ? xstrdup(add[k].old) : NULL;
		v[n].new_ = add[k].new_ ? xstrdup(add[k].new_) : NULL;
		v[n].up = add[k].up ? xstrdup(add[k].up) : NULL;
		v[n].down = add[k].down ? xstrdup(add[k].down) : NULL;
		v[n].fill_col = add[k].fill_col ? xstrdup(add[k].fill_col) : NULL;
		v[n].fill = add[k].fill ? xstrdup(add[k].fill) : NULL;
	}
	util_sort(v, n, sizeof(*v), recipe_pair_cmp);
	*out = v;
	*nout = n;
	return 0;
}

/* NEW.<col> := <expr over the row>, where expr names columns as they are
 * (the row is NEW, as a relation, so that NEW values set just before are
 * seen); expr NULL: the value of col `from`. */
static int recipe_is_col(const struct recipe_cat *c, const struct sql_token *t)
{
	char name[64];

	if (t->type == SQL_TOK_WORD && t->len < sizeof(name)) {
		for (size_t i = 0; i < t->len; i++)
			name[i] = (char)tolower((unsigned char)t->p[i]);
		name[t->len] = '\0';
	} else if (t->type == SQL_TOK_QIDENT && t->len >= 2 && t->len - 2 < sizeof(name) &&
		   !memchr(t->p + 1, '"', t->len - 2)) {
		memcpy(name, t->p + 1, t->len - 2);
		name[t->len - 2] = '\0';
	} else {
		return 0;
	}
	for (size_t i = 0; i < c->ncols; i++)
		if (strcmp(c->cols[i], name) == 0)
			return 1;
	return 0;
}

/* expr with the row's columns written NEW."col", so that plpgsql
 * evaluates it as a plain expression (no query per row); NULL when it
 * cannot tell columns apart (no column list, a lexical error). A name is
 * a column when the table has it and it is not qualified (a.b), a type
 * (::t, AS t), a function (f(...)) or a typed literal (t '...'). */
static char *recipe_expr_new(const struct recipe_cat *c, const char *expr)
{
	struct sql_lexer lx;
	struct sql_token *t = NULL;
	size_t n = 0, from = 0;
	struct zerr e = { 0 };
	struct sb s;

	if (!c->cols)
		return NULL;
	sql_lexer_init(&lx, expr, strlen(expr));
	for (;;) {
		struct sql_token tok;
		if (sql_lex_next(&lx, &tok, &e) < 0) {
			free(t);
			return NULL;
		}
		if (tok.type == SQL_TOK_EOF)
			break;
		if (tok.type == SQL_TOK_COMMENT)
			continue;
		t = xrealloc(t, (n + 1) * sizeof(*t));
		t[n++] = tok;
	}
	sb_init(&s);
	for (size_t i = 0; i < n; i++) {
		const struct sql_token *prev = i ? &t[i - 1] : NULL,
				       *next = i + 1 < n ? &t[i + 1] : NULL;
		int col = recipe_is_col(c, &t[i]);
		if (col && prev &&
		    (sql_tok_is_punct(prev, '.') || sql_tok_is(prev, "as") ||
		     (sql_tok_is_punct(prev, ':') && i >= 2 && sql_tok_is_punct(&t[i - 2], ':'))))
			col = 0;
		if (col && next &&
		    (sql_tok_is_punct(next, '(') || sql_tok_is_punct(next, '.') ||
		     next->type == SQL_TOK_STRING))
			col = 0;
		if (!col)
			continue;
		sb_add(&s, expr + from, t[i].off - from);
		sb_adds(&s, "NEW.");
		if (t[i].type == SQL_TOK_WORD) {
			char *q, *low = xstrndup(t[i].p, t[i].len);
			for (char *p = low; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			q = db_quote_ident(low);
			sb_adds(&s, q);
			free(q);
			free(low);
		} else {
			sb_add(&s, t[i].p, t[i].len);
		}
		from = t[i].off + t[i].len;
	}
	sb_adds(&s, expr + from);
	free(t);
	return sb_steal(&s);
}

static void recipe_assign(struct sb *s, const struct recipe_cat *c, const char *indent,
			  const char *col, const char *expr, const char *from)
{
	char *qc = db_quote_ident(col), *direct;

	if (!expr) {
		char *qf = db_quote_ident(from);
		sb_addf(s, "%sNEW.%s := NEW.%s;\n", indent, qc, qf);
		free(qf);
	} else if ((direct = recipe_expr_new(c, expr))) {
		sb_addf(s, "%sNEW.%s := (%s\n);\n", indent, qc, direct);
		free(direct);
	} else {
		sb_addf(s, "%sNEW.%s := (SELECT (%s\n) FROM (SELECT NEW.*) AS zdm_row);\n", indent,
			qc, expr);
	}
	free(qc);
}

static char *recipe_sync_fn(const struct recipe_cat *c)
{
	char name[64];

	if (strlen(c->table) <= 50) {
		snprintf(name, sizeof(name), "zdm_sync_%s", c->table);
	} else {
		uint32_t h = util_crc32(0, c->table, strlen(c->table));
		snprintf(name, sizeof(name), "zdm_sync_%.40s_%08x", c->table, h);
	}
	return recipe_qual(c, name);
}

/* Column p of a chain: the first pair's old column, then each pair's new. */
static const char *recipe_chain_col(const struct recipe_pair *v, const size_t *chain, size_t p)
{
	return p == 0 ? v[chain[0]].old : v[chain[p - 1]].new_;
}

/* One chain's assignments for an INSERT (written: not NULL) or an UPDATE
 * (written: changed): the newest written column wins and is carried up
 * to the newer columns and down to the older ones; with none written,
 * empty newer columns are filled from older ones. The conditions are
 * evaluated before any assignment. */
static void recipe_chain_ladder(struct sb *s, const struct recipe_cat *c,
				const struct recipe_pair *v, const size_t *chain, size_t len,
				int insert)
{
	for (size_t src = len + 1; src-- > 0;) {
		char *q = db_quote_ident(recipe_chain_col(v, chain, src));
		if (insert)
			sb_addf(s, "    %s NEW.%s IS NOT NULL THEN\n", src == len ? "IF" : "ELSIF",
				q);
		else
			sb_addf(s, "    %s NEW.%s IS DISTINCT FROM OLD.%s THEN\n",
				src == len ? "IF" : "ELSIF", q, q);
		free(q);
		for (size_t p = src; p < len; p++) /* newer: up */
			recipe_assign(s, c, "      ", v[chain[p]].new_, v[chain[p]].up,
				      recipe_chain_col(v, chain, p));
		for (size_t p = src; p-- > 0;) /* older: down */
			recipe_assign(s, c, "      ", recipe_chain_col(v, chain, p),
				      v[chain[p]].down, v[chain[p]].new_);
	}
	sb_adds(s, "    ELSE\n");
	for (size_t p = 0; p < len; p++) {
		char *qn = db_quote_ident(v[chain[p]].new_);
		char *qo = db_quote_ident(recipe_chain_col(v, chain, p));
		sb_addf(s, "      IF NEW.%s IS NULL AND NEW.%s IS NOT NULL THEN\n", qn, qo);
		recipe_assign(s, c, "        ", v[chain[p]].new_, v[chain[p]].up,
			      recipe_chain_col(v, chain, p));
		sb_adds(s, "      END IF;\n");
		free(qn);
		free(qo);
	}
	sb_adds(s, "    END IF;\n");
}

/* Append the statements that make the table's sync trigger do what the
 * pairs say (or drop it when there are none) to steps, or to text (a
 * new trigger's CREATE TRIGGER to trigger when given): each chain of pairs
 * (a -> b -> c, linked by new = old) is kept in step from the newest
 * column the writer set (INSERT: not NULL; UPDATE: changed), outwards,
 * with up towards newer columns and down towards older ones; a writer
 * that set none of them gets empty newer columns filled from older ones.
 * Fills set their column when it is NULL. A session with
 * zdm.sync_off = on (zdm's backfills) passes through untouched: the
 * trigger's WHEN says so, so that a backfill does not even call the
 * function (a trigger made before it had a WHEN keeps the test in the
 * function instead; it is not replaced, which would need a lock). */
static void recipe_sync_sql(const struct recipe_cat *c, const struct recipe_pair *v, size_t n,
			    char ***steps, size_t *nsteps, struct sb *text, struct sb *trigger)
{
	char *fn = recipe_sync_fn(c);
	struct recipe_cat *wide = NULL;
	struct sb s;
	size_t nchains = 0;
	int *used = xcalloc(n + 1, sizeof(int));

#define RECIPE_STEP(expr)                                                                          \
	do {                                                                                       \
		char *step_ = (expr);                                                              \
		if (text) {                                                                        \
			sb_adds(text, step_);                                                      \
			sb_adds(text, ";\n");                                                      \
			free(step_);                                                               \
		} else {                                                                           \
			*steps = xrealloc(*steps, (*nsteps + 1) * sizeof(**steps));                \
			(*steps)[(*nsteps)++] = step_;                                             \
		}                                                                                  \
	} while (0)

	if (n == 0) {
		if (c->has_trigger) {
			RECIPE_STEP(xasprintf("DROP TRIGGER IF EXISTS zdm_sync ON %s", c->qtable));
			RECIPE_STEP(xasprintf("DROP FUNCTION IF EXISTS %s()", fn));
		}
		free(fn);
		free(used);
		return;
	}
	if (c->cols) {
		/* the columns the recipes add are columns of the row too */
		struct recipe_cat *x = xmalloc(sizeof(*x));
		*x = *c;
		x->cols = xcalloc(c->ncols + 2 * n + 1, sizeof(*x->cols));
		memcpy(x->cols, c->cols, c->ncols * sizeof(*x->cols));
		for (size_t i = 0; i < n; i++) {
			if (v[i].new_)
				x->cols[x->ncols++] = v[i].new_;
			if (v[i].fill_col)
				x->cols[x->ncols++] = v[i].fill_col;
		}
		wide = x;
		c = x;
	}
	sb_init(&s);
	sb_addf(&s,
		"CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $zdm$\n"
		"-- written by zdm for the recipes in flight on %s; do not edit\n"
		"BEGIN\n",
		fn, c->qtable);
	if (c->trigger_legacy)
		sb_adds(&s, "  IF current_setting('zdm.sync_off', true) = 'on' THEN\n"
			    "    RETURN NEW;\n  END IF;\n");
	for (size_t i = 0; i < n; i++) {
		size_t chain[64], len = 0, k = i;
		if (used[i] || !v[i].old)
			continue;
		/* start at a pair whose old column is no other pair's new one */
		{
			int is_tail = 0;
			for (size_t j = 0; j < n; j++)
				if (j != i && v[j].new_ && strcmp(v[j].new_, v[i].old) == 0)
					is_tail = 1;
			if (is_tail)
				continue;
		}
		for (;;) {
			used[k] = 1;
			chain[len++] = k;
			size_t next = n;
			for (size_t j = 0; j < n && len < 64; j++)
				if (!used[j] && v[j].old && strcmp(v[j].old, v[k].new_) == 0) {
					next = j;
					break;
				}
			if (next == n)
				break;
			k = next;
		}
		nchains++;
		/* columns: col[0] = old of the first pair, col[i+1] = new of pair i */
		sb_addf(&s, "  -- chain %zu\n  IF TG_OP = 'INSERT' THEN\n", nchains);
		recipe_chain_ladder(&s, c, v, chain, len, 1);
		sb_adds(&s, "  ELSE\n");
		recipe_chain_ladder(&s, c, v, chain, len, 0);
		sb_adds(&s, "  END IF;\n");
	}
	for (size_t i = 0; i < n; i++) {
		char *q;
		if (!v[i].fill_col)
			continue;
		q = db_quote_ident(v[i].fill_col);
		sb_addf(&s, "  IF NEW.%s IS NULL THEN\n", q);
		recipe_assign(&s, c, "    ", v[i].fill_col, v[i].fill, NULL);
		sb_adds(&s, "  END IF;\n");
		free(q);
	}
	sb_adds(&s, "  RETURN NEW;\nEND\n$zdm$");
	RECIPE_STEP(sb_steal(&s));
	if (!c->has_trigger) {
		char *t = xasprintf("CREATE TRIGGER zdm_sync BEFORE INSERT OR UPDATE ON %s"
				    " FOR EACH ROW WHEN (current_setting('zdm.sync_off', true)"
				    " IS DISTINCT FROM 'on') EXECUTE FUNCTION %s()",
				    c->qtable, fn);
		if (trigger) {
			sb_adds(trigger, t);
			sb_adds(trigger, ";\n");
			free(t);
		} else {
			RECIPE_STEP(t);
		}
	}
#undef RECIPE_STEP
	free(fn);
	free(used);
	if (wide) {
		free(wide->cols);
		free(wide);
	}
}

/* "zdm_<version>_nn" */
static char *recipe_check_name(const struct recipe *r)
{
	char *v = xstrdup(r->version);

	for (char *p = v; *p; p++)
		if (*p == '.')
			*p = '_';
	char *q = xasprintf("\"zdm_%s_nn\"", v);
	free(v);
	return q;
}

/* "ALTER TABLE <qtable> VALIDATE CONSTRAINT <qname>": the one scanning
 * step a recipe has (recipe_step_is_validate knows it by this text) */
static char *recipe_validate_stmt(const char *qtable, const char *qname)
{
	return xasprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", qtable, qname);
}

int recipe_step_is_validate(const char *step)
{
	return strstr(step, " VALIDATE CONSTRAINT ") != NULL;
}

/* The INSERT that records the recipe as expanded. */
static void recipe_state_insert(struct sb *s, const struct recipe *r, const char *state_table,
				const struct recipe_cat *c, const struct recipe_pair *own)
{
	char *lit[10];
	const char *vals[10] = { r->version,
				 r->name,
				 c->qtable,
				 r->contract_after,
				 own ? own->old : NULL,
				 own ? own->new_ : NULL,
				 own ? own->up : NULL,
				 own ? own->down : NULL,
				 own ? own->fill_col : NULL,
				 own ? own->fill : NULL };

	for (int i = 0; i < 10; i++)
		lit[i] = db_quote_literal(vals[i]);
	sb_addf(s,
		"INSERT INTO %s (version, recipe, table_name, state, contract_after, col_old,"
		" col_new, up_expr, down_expr, fill_col, fill_expr, backfilled)"
		" VALUES (%s, %s, %s, 'expanded', %s, %s, %s, %s, %s, %s, %s, %s)"
		" ON CONFLICT (version) DO NOTHING;\n",
		state_table, lit[0], lit[1], lit[2], lit[3], lit[4], lit[5], lit[6], lit[7], lit[8],
		lit[9], recipe_backfills(r) ? "false" : "true");
	for (int i = 0; i < 10; i++)
		free(lit[i]);
}

static void recipe_note(struct recipe_sql *out, char *note)
{
	out->notes = xrealloc(out->notes, (out->nnotes + 1) * sizeof(*out->notes));
	out->notes[out->nnotes++] = note;
}

/* Indexes and constraints on the old column, which its drop will take. */
static int recipe_note_dependents(const struct recipe *r, struct db *db, const struct recipe_cat *c,
				  struct recipe_sql *out, struct zerr *e)
{
	char num[16];
	const char *p[2] = { c->oid, num };
	PGresult *res;

	if (!db || !c->col_attnum)
		return 0;
	snprintf(num, sizeof(num), "%d", c->col_attnum);
	res = db_query(db,
		       "SELECT i.indexrelid::regclass::text FROM pg_catalog.pg_index i"
		       " WHERE i.indrelid = $1::oid AND $2::int2 = ANY (i.indkey::int2[])",
		       2, p, e);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		recipe_note(out, xasprintf("index %s is on %s.%s, which the contract of %s drops "
					   "(and the index with it): build the same index on %s "
					   "(CREATE INDEX CONCURRENTLY, in a migration of its own) "
					   "before the contract runs",
					   PQgetvalue(res, i, 0), c->table, r->column, r->version,
					   r->to ? r->to : "the new column"));
	PQclear(res);
	return 0;
}

/* The column r's backfill writes (quoted) and the value it writes there:
 * its up or fill block, or the old column; 0 when it has no backfill. */
static int recipe_fill_of(const struct recipe *r, char **qcol, char **value)
{
	struct recipe_pair own;

	if (!recipe_backfills(r) || !recipe_own_pair(r, &own))
		return 0;
	*qcol = db_quote_ident(own.new_ ? own.new_ : own.fill_col);
	if (own.new_)
		*value = own.up ? xasprintf("(%s\n)", own.up) : db_quote_ident(own.old);
	else
		*value = xasprintf("(%s\n)", own.fill);
	recipe_pair_clear(&own);
	return 1;
}

char *recipe_backfill_sql(const struct recipe *const *rs, size_t n)
{
	struct sb set, where;
	size_t k = 0;

	sb_init(&set);
	sb_init(&where);
	/* rows that neither app has written on the new side yet; never a row
	 * the trigger already keeps in step (a lossy down would be undone).
	 * Several recipes: each column is set only where it is still empty,
	 * in one UPDATE, so that the table is written once. */
	for (size_t i = 0; i < n; i++) {
		char *qt, *value;
		if (!recipe_fill_of(rs[i], &qt, &value))
			continue;
		if (n == 1)
			sb_addf(&set, "%s = %s", qt, value);
		else
			sb_addf(&set, "%s%s = CASE WHEN %s IS NULL THEN %s ELSE %s END",
				k ? ",\n    " : "", qt, qt, value, qt);
		sb_addf(&where, "%s%s%s IS NULL AND %s IS NOT NULL%s", k ? "\n   OR " : "",
			n > 1 ? "(" : "", qt, value, n > 1 ? ")" : "");
		k++;
		free(qt);
		free(value);
	}
	if (k == 0) {
		sb_release(&set);
		sb_release(&where);
		return NULL;
	}
	char *sql = xasprintf("-- zdm: backfill table=%s%s\nUPDATE %s SET %s WHERE %s;\n",
			      rs[0]->table, rs[0]->bf_keys ? rs[0]->bf_keys : "", rs[0]->table,
			      set.buf, where.buf);
	sb_release(&set);
	sb_release(&where);
	return sql;
}

/* Does expr name the column col? (Any mention counts, as does an
 * expression the lexer cannot read.) */
static int recipe_expr_uses(const char *expr, const char *col)
{
	char *cols[1] = { (char *)col };
	struct recipe_cat one = { .cols = cols, .ncols = 1 };
	struct sql_lexer lx;
	struct zerr e = { 0 };

	sql_lexer_init(&lx, expr, strlen(expr));
	for (;;) {
		struct sql_token tok;
		if (sql_lex_next(&lx, &tok, &e) < 0)
			return 1;
		if (tok.type == SQL_TOK_EOF)
			return 0;
		if (recipe_is_col(&one, &tok))
			return 1;
	}
}

int recipe_backfill_joins(const struct recipe *const *g, size_t n, const struct recipe *next)
{
	struct recipe_pair p;
	int ok;

	if (n == 0 || !recipe_backfills(next) || !recipe_own_pair(next, &p))
		return 0;
	/* one table, one way of batching; the group's last recipe does not
	 * contract right after its backfill */
	ok = strcmp(g[0]->table, next->table) == 0 && g[n - 1]->contract_after &&
	     ((!g[0]->bf_keys && !next->bf_keys) ||
	      (g[0]->bf_keys && next->bf_keys && strcmp(g[0]->bf_keys, next->bf_keys) == 0));
	for (size_t i = 0; ok && i < n; i++) {
		struct recipe_pair q;
		const char *t, *pt = p.new_ ? p.new_ : p.fill_col;
		if (!recipe_own_pair(g[i], &q)) {
			ok = 0;
			break;
		}
		t = q.new_ ? q.new_ : q.fill_col;
		/* the one UPDATE sees every column as it was before it: next
		 * must neither write a column of the group's nor read one */
		if (strcmp(t, pt) == 0 ||
		    (p.new_ ? (p.up ? recipe_expr_uses(p.up, t) : strcmp(p.old, t) == 0)
			    : recipe_expr_uses(p.fill, t)))
			ok = 0;
		recipe_pair_clear(&q);
	}
	recipe_pair_clear(&p);
	return ok;
}

/* r's own expand DDL (to ddl) against the catalog (read into c), with
 * its notes and its VALIDATE in out; -1 with e set when the catalog does
 * not fit. */
static int recipe_expand_ddl(const struct recipe *r, struct db *db, struct recipe_cat *c,
			     struct recipe_sql *out, struct sb *ddl, struct zerr *e)
{
	struct sb *s = ddl;
	const char *col = r->kind == RECIPE_RENAME_TABLE || r->kind == RECIPE_ADD_UNIQUE ||
					  r->kind == RECIPE_ADD_FOREIGN_KEY
				  ? NULL
				  : r->column;

	if (recipe_read_cat(r, db, col, c, e) < 0)
		return -1;
	if (col && r->kind != RECIPE_ADD_COLUMN && !c->has_col) {
		zerr_set(e, ZDM_EXIT_USAGE, "recipe=%s: table %s has no column %s", r->name,
			 c->qtable, col);
		return -1;
	}
	if (col && r->kind == RECIPE_ADD_COLUMN && c->has_col && db) {
		zerr_set(e, ZDM_EXIT_USAGE, "recipe=add-column: %s already has a column %s",
			 c->qtable, col);
		return -1;
	}
	if ((r->kind == RECIPE_RENAME_COLUMN || r->kind == RECIPE_CHANGE_TYPE) &&
	    (c->col_identity || c->col_generated)) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "recipe=%s: %s.%s is %s column; zdm cannot keep a copy of it in step",
			 r->name, c->qtable, col, c->col_identity ? "an identity" : "a generated");
		return -1;
	}
	if (r->to && r->kind != RECIPE_RENAME_TABLE) {
		int yes;
		if (recipe_col_exists(db, c, r->to, &yes, e) < 0)
			return -1;
		if (yes) {
			zerr_set(e, ZDM_EXIT_USAGE, "recipe=%s: %s already has a column %s",
				 r->name, c->qtable, r->to);
			return -1;
		}
	}
	if (r->kind == RECIPE_RENAME_TABLE && (c->rules || c->rls)) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "recipe=rename-table: %s has %s; the view that old code uses would bypass "
			 "them",
			 c->qtable, c->rules ? "rules" : "row-level security");
		return -1;
	}
	switch (r->kind) {
	case RECIPE_RENAME_COLUMN:
	case RECIPE_CHANGE_TYPE: {
		char *qn = db_quote_ident(r->to);
		sb_addf(s, "ALTER TABLE %s ADD COLUMN %s %s%s%s;\n", c->qtable, qn,
			r->kind == RECIPE_CHANGE_TYPE ? r->type : c->col_type,
			r->kind == RECIPE_RENAME_COLUMN && c->col_collate ? " COLLATE " : "",
			r->kind == RECIPE_RENAME_COLUMN && c->col_collate ? c->col_collate : "");
		if (c->col_notnull) {
			char *ck = recipe_check_name(r);
			sb_addf(s,
				"ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n",
				c->qtable, ck, qn);
			out->validate = recipe_validate_stmt(c->qtable, ck);
			free(ck);
		}
		if (recipe_note_dependents(r, db, c, out, e) < 0) {
			free(qn);
			return -1;
		}
		free(qn);
		break;
	}
	case RECIPE_SET_NOT_NULL: {
		char *ck = recipe_check_name(r), *qc = db_quote_ident(r->column);
		sb_addf(s, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n",
			c->qtable, ck, qc);
		/* without up, no backfill makes the check true before the
		 * contract */
		if (recipe_backfills(r))
			out->validate = recipe_validate_stmt(c->qtable, ck);
		free(ck);
		free(qc);
		break;
	}
	case RECIPE_ADD_UNIQUE: {
		char *qi = db_quote_ident(r->cname);
		sb_addf(s, "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s);\n", qi, c->qtable,
			r->columns);
		free(qi);
		break;
	}
	case RECIPE_ADD_FOREIGN_KEY: {
		char *qi = db_quote_ident(r->cname);
		sb_addf(s,
			"ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s%s%s NOT VALID;\n",
			c->qtable, qi, r->columns, r->references, r->on_delete ? " ON DELETE " : "",
			r->on_delete ? r->on_delete : "");
		free(qi);
		break;
	}
	case RECIPE_ADD_COLUMN: {
		char *qc = db_quote_ident(r->column);
		sb_addf(s, "ALTER TABLE %s ADD COLUMN %s %s%s%s;\n", c->qtable, qc, r->type,
			r->dflt ? " DEFAULT " : "", r->dflt ? r->dflt : "");
		free(qc);
		break;
	}
	case RECIPE_DROP_COLUMN:
		break;
	case RECIPE_RENAME_TABLE: {
		char *qto = db_quote_ident(r->to), *qnew = recipe_qual(c, r->to);
		sb_addf(s, "ALTER TABLE %s RENAME TO %s;\n", c->qtable, qto);
		sb_addf(s, "CREATE VIEW %s AS SELECT * FROM %s;\n", c->qtable, qnew);
		if (db) {
			const char *p[1] = { c->oid };
			PGresult *res =
				db_query(db,
					 "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
					 " ELSE quote_ident(g.rolname) END"
					 " FROM pg_catalog.pg_class c, aclexplode(c.relacl) a"
					 " LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee"
					 " WHERE c.oid = $1::oid AND a.grantee <> c.relowner"
					 " ORDER BY 2, 1",
					 1, p, e);
			if (!res) {
				free(qto);
				free(qnew);
				return -1;
			}
			for (int i = 0; i < PQntuples(res); i++)
				sb_addf(s, "GRANT %s ON %s TO %s;\n", PQgetvalue(res, i, 0),
					c->qtable, PQgetvalue(res, i, 1));
			PQclear(res);
		}
		free(qto);
		free(qnew);
		break;
	}
	}
	return 0;
}

int recipe_compile_expand(const struct recipe *const *rs, size_t n, struct db *db,
			  const char *state_table, struct recipe_sql *out, size_t *bad,
			  struct zerr *e)
{
	struct recipe_cat *cats = xcalloc(n, sizeof(*cats));
	struct recipe_pair *owns = xcalloc(n, sizeof(*owns)), *pairs = NULL;
	struct sb *ddls = xcalloc(n, sizeof(*ddls)), trigger;
	size_t npairs = 0, nowns = 0;
	int rc = -1;

	memset(out, 0, n * sizeof(*out));
	sb_init(&trigger);
	for (size_t k = 0; k < n; k++) {
		sb_init(&out[k].expand);
		sb_init(&ddls[k]);
	}
	for (size_t k = 0; k < n; k++) {
		if (bad)
			*bad = k;
		if (recipe_expand_ddl(rs[k], db, &cats[k], &out[k], &ddls[k], e) < 0)
			goto out;
		out[k].table = xstrdup(cats[k].qtable);
		sb_addf(&out[k].expand, "-- zdm: transaction=%s\n",
			rs[k]->kind == RECIPE_ADD_UNIQUE ? "off" : "on");
	}
	if (rs[0]->kind == RECIPE_ADD_UNIQUE) {
		/* statement by statement: the row records a finished index */
		sb_adds(&out[0].expand, ddls[0].buf);
		recipe_state_insert(&out[0].expand, rs[0], state_table, &cats[0], NULL);
		rc = 0;
		goto out;
	}
	/* one transaction, whose table lock (from the first ALTER to COMMIT)
	 * the apps queue behind: each recipe's row and the sync function
	 * (of them all) first, then the DDL and the trigger */
	for (size_t k = 0; k < n; k++) {
		int own = recipe_own_pair(rs[k], &owns[nowns]);
		recipe_state_insert(&out[k].expand, rs[k], state_table, &cats[k],
				    own ? &owns[nowns] : NULL);
		nowns += (size_t)own;
	}
	if (nowns) {
		if (recipe_pairs_load(db, state_table, &cats[0], NULL, 0, owns, nowns, &pairs,
				      &npairs, e) < 0)
			goto out;
		recipe_sync_sql(&cats[0], pairs, npairs, NULL, NULL, &out[0].expand, &trigger);
	}
	for (size_t k = 0; k < n; k++)
		sb_adds(&out[k].expand, ddls[k].buf);
	sb_adds(&out[n - 1].expand, trigger.buf);
	rc = 0;
out:
	for (size_t k = 0; k < n; k++) {
		sb_release(&ddls[k]);
		recipe_cat_release(&cats[k]);
	}
	recipe_pairs_release(owns, nowns);
	recipe_pairs_release(pairs, npairs);
	sb_release(&trigger);
	free(ddls);
	free(cats);
	if (rc < 0)
		for (size_t k = 0; k < n; k++)
			recipe_sql_release(&out[k]);
	return rc;
}

static void recipe_add_step(struct recipe_sql *out, char *sql)
{
	out->contract = xrealloc(out->contract, (out->ncontract + 1) * sizeof(*out->contract));
	out->contract[out->ncontract++] = sql;
}

/* Does the table have the constraint named q (quoted)? (not_valid: one
 * that is NOT VALID.) */
static int recipe_has_constraint(struct db *db, const struct recipe_cat *c, const char *q,
				 int not_valid, int *yes, struct zerr *e)
{
	char *name = xstrndup(q + 1, strlen(q) - 2);
	const char *p[2] = { c->oid, name };
	PGresult *res;

	*yes = 1;
	if (!db) {
		free(name);
		return 0;
	}
	res = db_query(db,
		       not_valid ? "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = $1::oid"
				   " AND conname = $2 AND NOT convalidated"
				 : "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = $1::oid"
				   " AND conname = $2",
		       2, p, e);
	free(name);
	if (!res)
		return -1;
	*yes = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* The VALIDATE of r's NOT NULL check ("zdm_<version>_nn") when its table
 * has it NOT VALID (*sql NULL otherwise; caller frees). */
static int recipe_nn_not_valid(const struct recipe *r, struct db *db, char **sql, struct zerr *e)
{
	struct recipe_cat c;
	char *ck;
	int yes = 0, rc;

	*sql = NULL;
	if (recipe_read_cat(r, db, NULL, &c, e) < 0)
		return -1;
	ck = recipe_check_name(r);
	rc = recipe_has_constraint(db, &c, ck, 1, &yes, e);
	if (rc == 0 && yes)
		*sql = recipe_validate_stmt(c.qtable, ck);
	free(ck);
	recipe_cat_release(&c);
	return rc;
}

int recipe_validate_sql(const struct recipe *r, struct db *db, char **sql, struct zerr *e)
{
	*sql = NULL;
	/* a check that a backfill has made true (add-column's is added by
	 * its contract) */
	if (!recipe_backfills(r) ||
	    (r->kind != RECIPE_RENAME_COLUMN && r->kind != RECIPE_CHANGE_TYPE &&
	     r->kind != RECIPE_SET_NOT_NULL))
		return 0;
	return recipe_nn_not_valid(r, db, sql, e);
}

int recipe_contract_joins(const struct recipe *r, struct db *db, int *yes, struct zerr *e)
{
	char *validate;

	*yes = 0;
	switch (r->kind) {
	case RECIPE_DROP_COLUMN:
		*yes = 1;
		return 0;
	case RECIPE_ADD_COLUMN:
		/* not-null=true: its contract adds the check, and scans */
		*yes = !r->not_null;
		return 0;
	case RECIPE_RENAME_COLUMN:
	case RECIPE_CHANGE_TYPE:
	case RECIPE_SET_NOT_NULL:
		break;
	default:
		return 0;
	}
	if (recipe_nn_not_valid(r, db, &validate, e) < 0)
		return -1;
	*yes = !validate;
	free(validate);
	return 0;
}

/* Append steps[0..n) to out's contract (taking them) and free steps. */
static void recipe_add_steps(struct recipe_sql *out, char **steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		recipe_add_step(out, steps[i]);
	free(steps);
}

/* CHECK NOT VALID (unless added at expand) -> VALIDATE -> SET NOT NULL
 * (PostgreSQL 12+ skips the scan for a validated check) -> drop the check.
 * sync[0..nsync) (taken), the sync trigger's steps, go right after the
 * VALIDATE: in the transaction of SET NOT NULL, but before it, since
 * CREATE OR REPLACE FUNCTION (the plpgsql compile, a few ms) takes no
 * lock on the table and the apps need not queue behind it. */
static void recipe_not_null_steps(struct recipe_sql *out, const struct recipe *r,
				  const struct recipe_cat *c, const char *col, int add_check,
				  char **sync, size_t nsync)
{
	char *ck = recipe_check_name(r), *qc = db_quote_ident(col);

	if (add_check)
		recipe_add_step(out, xasprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT "
					       "NULL) NOT VALID",
					       c->qtable, ck, qc));
	recipe_add_step(out, recipe_validate_stmt(c->qtable, ck));
	recipe_add_steps(out, sync, nsync);
	recipe_add_step(out,
			xasprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", c->qtable, qc));
	recipe_add_step(out, xasprintf("ALTER TABLE %s DROP CONSTRAINT %s", c->qtable, ck));
	free(ck);
	free(qc);
}

int recipe_compile_contract(const struct recipe *r, struct db *db, const char *state_table,
			    int planned, const char *const *before, size_t nbefore,
			    struct recipe_sql *out, struct zerr *e)
{
	/* the recipes whose pairs the contract's trigger no longer serves */
	const char **gone = xcalloc(nbefore + 1, sizeof(*gone));
	size_t ngone = nbefore, nsync = 0;
	char **sync = NULL; /* the sync trigger's steps */
	struct recipe_cat c;
	struct recipe_pair *pairs = NULL;
	size_t npairs = 0;
	int rc = -1;
	const char *col = r->kind == RECIPE_RENAME_COLUMN || r->kind == RECIPE_CHANGE_TYPE ||
					  r->kind == RECIPE_DROP_COLUMN
				  ? r->column
				  : NULL;
	const char *table = r->kind == RECIPE_RENAME_TABLE ? NULL : r->table;

	for (size_t i = 0; i < nbefore; i++)
		gone[i] = before[i];
	gone[ngone] = r->version;
	memset(out, 0, sizeof(*out));
	sb_init(&out->expand);
	if (table) {
		if (recipe_read_cat(r, db, col, &c, e) < 0)
			goto out;
	} else {
		/* the table has its new name now; the old one is the view */
		struct recipe tmp = *r;
		const char *dot = strchr(r->table, '.');
		char *t = dot ? xasprintf("%.*s.%s", (int)(dot - r->table), r->table, r->to)
			      : xstrdup(r->to);
		tmp.table = t;
		rc = recipe_read_cat(&tmp, db, NULL, &c, e);
		free(t);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	out->table = xstrdup(c.qtable);
	switch (r->kind) {
	case RECIPE_RENAME_COLUMN:
	case RECIPE_CHANGE_TYPE: {
		char *qo = db_quote_ident(r->column), *qn = db_quote_ident(r->to);
		char *ck = recipe_check_name(r);
		int has_check;
		/* the expand added the check when the old column was NOT NULL */
		if (recipe_has_constraint(db, &c, ck, 0, &has_check, e) < 0) {
			free(ck);
			free(qo);
			free(qn);
			goto out;
		}
		free(ck);
		if (planned) {
			has_check = c.col_notnull;
			c.has_trigger = 1;
		}
		if (recipe_pairs_load(db, state_table, &c, gone, ngone + 1, NULL, 0, &pairs,
				      &npairs, e) < 0) {
			free(qo);
			free(qn);
			goto out;
		}
		recipe_sync_sql(&c, pairs, npairs, &sync, &nsync, NULL, NULL);
		if (has_check)
			recipe_not_null_steps(out, r, &c, r->to, 0, sync, nsync);
		else
			recipe_add_steps(out, sync, nsync);
		sync = NULL;
		if (r->kind == RECIPE_RENAME_COLUMN && c.col_default)
			recipe_add_step(out,
					xasprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s",
						  c.qtable, qn, c.col_default));
		recipe_add_step(out, xasprintf("ALTER TABLE %s DROP COLUMN %s", c.qtable, qo));
		free(qo);
		free(qn);
		break;
	}
	case RECIPE_SET_NOT_NULL:
		c.has_trigger |= planned;
		if (r->up) {
			if (recipe_pairs_load(db, state_table, &c, gone, ngone + 1, NULL, 0, &pairs,
					      &npairs, e) < 0)
				goto out;
			recipe_sync_sql(&c, pairs, npairs, &sync, &nsync, NULL, NULL);
		}
		recipe_not_null_steps(out, r, &c, r->column, 0, sync, nsync);
		sync = NULL;
		break;
	case RECIPE_ADD_UNIQUE: {
		char *qi = db_quote_ident(r->cname);
		recipe_add_step(out,
				xasprintf("ALTER TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s",
					  c.qtable, qi, qi));
		free(qi);
		break;
	}
	case RECIPE_ADD_FOREIGN_KEY: {
		char *qi = db_quote_ident(r->cname);
		recipe_add_step(out, recipe_validate_stmt(c.qtable, qi));
		free(qi);
		break;
	}
	case RECIPE_ADD_COLUMN:
		c.has_trigger |= planned;
		if (r->fill) {
			if (recipe_pairs_load(db, state_table, &c, gone, ngone + 1, NULL, 0, &pairs,
					      &npairs, e) < 0)
				goto out;
			recipe_sync_sql(&c, pairs, npairs, &sync, &nsync, NULL, NULL);
		}
		if (r->not_null)
			recipe_not_null_steps(out, r, &c, r->column, 1, sync, nsync);
		else
			recipe_add_steps(out, sync, nsync);
		sync = NULL;
		break;
	case RECIPE_DROP_COLUMN: {
		char *qc = db_quote_ident(r->column);
		recipe_add_step(out, xasprintf("ALTER TABLE %s DROP COLUMN %s", c.qtable, qc));
		free(qc);
		break;
	}
	case RECIPE_RENAME_TABLE: {
		const char *dot = strchr(r->table, '.');
		char *qv = recipe_qual(&c, dot ? dot + 1 : r->table);
		recipe_add_step(out, xasprintf("DROP VIEW %s", qv));
		free(qv);
		break;
	}
	}
	rc = 0;
out:
	for (size_t i = 0; sync && i < nsync; i++)
		free(sync[i]);
	free(sync);
	free(gone);
	recipe_pairs_release(pairs, npairs);
	recipe_cat_release(&c);
	if (rc < 0)
		recipe_sql_release(out);
	return rc;
}
