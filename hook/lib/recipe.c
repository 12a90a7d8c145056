/*
 * recipe — declarative expand/contract migrations (see recipe.h and
 * docs/recipes.md).
 */
#include "recipe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "sql.h"

/* The keys each recipe takes besides recipe=, table= and the backfill
 * keys; a leading '!' marks a required one. */
struct recipe_def {
	const char *name;
	enum recipe_kind kind;
	const char *keys[6];
	const char *blocks; /* "up down" required; "?up" optional */
	int guarded; /* contract-after required */
	int backfills;
};

static const struct recipe_def recipe_defs[] = {
	{ "rename-column", RECIPE_RENAME_COLUMN, { "!column", "!to" }, "", 1, 1 },
	{ "change-type", RECIPE_CHANGE_TYPE, { "!column", "!to", "!type" }, "up down", 1, 1 },
	{ "set-not-null", RECIPE_SET_NOT_NULL, { "!column" }, "?up", 1, 1 },
	{ "add-unique", RECIPE_ADD_UNIQUE, { "!columns", "!name" }, "", 0, 0 },
	{ "add-foreign-key",
	  RECIPE_ADD_FOREIGN_KEY,
	  { "!columns", "!references", "!name", "on-delete" },
	  "",
	  0,
	  0 },
	{ "add-column",
	  RECIPE_ADD_COLUMN,
	  { "!column", "!type", "default", "not-null" },
	  "?fill",
	  1,
	  1 },
	{ "drop-column", RECIPE_DROP_COLUMN, { "!column" }, "", 1, 0 },
	{ "rename-table", RECIPE_RENAME_TABLE, { "!to" }, "", 1, 0 },
};

static const char *const recipe_bf_keys[] = { "key", "batch-size", "batch-time", "delay" };

static const struct recipe_def *recipe_def_of(enum recipe_kind k)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(recipe_defs); i++)
		if (recipe_defs[i].kind == k)
			return &recipe_defs[i];
	return NULL;
}

int recipe_guarded(const struct recipe *r)
{
	return r->contract_after != NULL;
}

/* The directive text of a `-- zdm:` line comment at p (len n), or NULL. */
static const char *recipe_directive(const char *p, size_t n, size_t *dlen)
{
	if (n < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	p += 2;
	n -= 2;
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	if (n < 4 || memcmp(p, "zdm:", 4) != 0)
		return NULL;
	*dlen = n - 4;
	return p + 4;
}

/* The next line of sql from *off: [*start, *start+*n) without its end. */
static int recipe_next_line(const char *sql, size_t len, size_t *off, const char **start, size_t *n)
{
	size_t i = *off;

	if (i >= len)
		return 0;
	*start = sql + i;
	while (i < len && sql[i] != '\n')
		i++;
	*n = (size_t)(sql + i - *start);
	if (*n && (*start)[*n - 1] == '\r')
		(*n)--;
	*off = i < len ? i + 1 : i;
	return 1;
}

int recipe_detect(const char *sql, size_t len)
{
	size_t off = 0, n, dlen;
	const char *p, *d;

	while (recipe_next_line(sql, len, &off, &p, &n)) {
		while (n && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		if (n == 0)
			continue;
		if (n < 2 || p[0] != '-' || p[1] != '-')
			return 0;
		d = recipe_directive(p, n, &dlen);
		if (!d)
			continue;
		for (size_t i = 0; i + 7 <= dlen; i++)
			if (memcmp(d + i, "recipe=", 7) == 0 &&
			    (i == 0 || isspace((unsigned char)d[i - 1])))
				return 1;
		return 0;
	}
	return 0;
}

void recipe_free(struct recipe *r)
{
	if (!r)
		return;
	free(r->version);
	free(r->table);
	free(r->column);
	free(r->to);
	free(r->type);
	free(r->cname);
	free(r->columns);
	free(r->references);
	free(r->on_delete);
	free(r->dflt);
	free(r->up);
	free(r->down);
	free(r->fill);
	free(r->contract_after);
	free(r->bf_keys);
	free(r);
}

/* An identifier as zdm writes it unquoted: letters, digits, _ and $,
 * not starting with a digit or $; folded to lower case like SQL. */
static int recipe_ident(char *s)
{
	if (!*s || isdigit((unsigned char)*s) || *s == '$')
		return 0;
	for (char *p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '$')
			return 0;
		*p = (char)tolower((unsigned char)*p);
	}
	return strlen(s) <= 63;
}

/* "a" or "schema.a" */
static int recipe_qualified(char *s)
{
	char *dot = strchr(s, '.');
	int ok;

	if (!dot)
		return recipe_ident(s);
	*dot = '\0';
	ok = recipe_ident(s) && recipe_ident(dot + 1);
	*dot = '.';
	return ok;
}

/* "a,b,c" */
static int recipe_ident_list(char *s)
{
	char *p = s;

	for (;;) {
		char *comma = strchr(p, ',');
		int ok;
		if (comma)
			*comma = '\0';
		ok = recipe_ident(p);
		if (comma)
			*comma = ',';
		if (!ok)
			return 0;
		if (!comma)
			return 1;
		p = comma + 1;
	}
}

/* "t(c)", "s.t(a,b)" */
static int recipe_references(char *s)
{
	char *open = strchr(s, '('), *close;
	int ok;

	if (!open || !(close = strchr(open, ')')) || close[1] != '\0')
		return 0;
	*open = '\0';
	*close = '\0';
	ok = recipe_qualified(s) && recipe_ident_list(open + 1);
	*open = '(';
	*close = ')';
	return ok;
}

/* A block: one SQL expression, no statement separator. */
static int recipe_check_expr(const char *path, int line, const char *label, const char *expr,
			     struct zerr *e)
{
	struct sql_script sc = { 0 };
	int rc;

	if (!*expr)
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: the \"%s\" block is empty", path, line,
				label);
	rc = sql_split(expr, strlen(expr), path, &sc, e);
	if (rc == 0 && sc.n != 1)
		rc = zerr_set(e, ZDM_EXIT_USAGE,
			      "%s:%d: the \"%s\" block must be one SQL expression, not %zu statements",
			      path, line, label, sc.n);
	else if (rc == 0 && strchr(expr, ';') && expr[strlen(expr) - 1] == ';')
		rc = zerr_set(e, ZDM_EXIT_USAGE,
			      "%s:%d: the \"%s\" block is an expression: no \";\" at its end", path,
			      line, label);
	else if (rc < 0)
		zerr_prefix(e, "%s:%d: the \"%s\" block", path, line, label);
	sql_script_release(&sc);
	return rc;
}

static int recipe_set_key(struct recipe *r, const struct recipe_def *d, const char *path, int line,
			  const struct source_kv *kv, struct sb *bf, struct zerr *e)
{
	const char *k = kv->key;
	char **slot = NULL;
	int known = 0;

	if (strcmp(k, "recipe") == 0)
		return 0;
	for (size_t i = 0; i < ZDM_ARRAY_LEN(recipe_bf_keys); i++)
		if (strcmp(k, recipe_bf_keys[i]) == 0) {
			if (!d->backfills)
				return zerr_set(
					e, ZDM_EXIT_USAGE,
					"%s:%d: recipe=%s has no backfill; \"%s\" does not apply",
					path, line, d->name, k);
			sb_addf(bf, " %s=%s", k, kv->value ? kv->value : "");
			return 0;
		}
	if (strcmp(k, "table") == 0)
		slot = &r->table, known = 1;
	else if (strcmp(k, "contract-after") == 0)
		slot = &r->contract_after, known = 1;
	for (size_t i = 0; !known && i < ZDM_ARRAY_LEN(d->keys) && d->keys[i]; i++) {
		const char *dk = d->keys[i][0] == '!' ? d->keys[i] + 1 : d->keys[i];
		if (strcmp(dk, k) != 0)
			continue;
		known = 1;
		if (strcmp(k, "column") == 0)
			slot = &r->column;
		else if (strcmp(k, "to") == 0)
			slot = &r->to;
		else if (strcmp(k, "type") == 0)
			slot = &r->type;
		else if (strcmp(k, "name") == 0)
			slot = &r->cname;
		else if (strcmp(k, "columns") == 0)
			slot = &r->columns;
		else if (strcmp(k, "references") == 0)
			slot = &r->references;
		else if (strcmp(k, "on-delete") == 0)
			slot = &r->on_delete;
		else if (strcmp(k, "default") == 0)
			slot = &r->dflt;
		else if (strcmp(k, "not-null") == 0) {
			if (!kv->value ||
			    (strcmp(kv->value, "true") != 0 && strcmp(kv->value, "false") != 0))
				return zerr_set(e, ZDM_EXIT_USAGE,
						"%s:%d: not-null= takes true or false", path, line);
			r->not_null = strcmp(kv->value, "true") == 0;
			return 0;
		}
	}
	if (!known) {
		struct sb s;
		sb_init(&s);
		for (size_t i = 0; i < ZDM_ARRAY_LEN(d->keys) && d->keys[i]; i++)
			sb_addf(&s, " %s=", d->keys[i][0] == '!' ? d->keys[i] + 1 : d->keys[i]);
		zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: recipe=%s takes no \"%s\"", path, line, d->name,
			 k);
		zerr_hint(e, "its keys: table=%s contract-after=%s", s.buf,
			  d->backfills ? " key= batch-size= batch-time= delay=" : "");
		sb_release(&s);
		return -1;
	}
	if (!kv->value || !*kv->value)
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: \"%s\" needs a value (%s=...)", path,
				line, k, k);
	if (*slot)
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: \"%s\" is given twice", path, line, k);
	*slot = xstrdup(kv->value);
	return 0;
}

/* Every key present and well formed for r's recipe. */
static int recipe_check(struct recipe *r, const struct recipe_def *d, const char *path,
			struct zerr *e)
{
	int line = r->line;

	if (!r->table)
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: recipe=%s needs table=", path, line,
				d->name);
	for (size_t i = 0; i < ZDM_ARRAY_LEN(d->keys) && d->keys[i]; i++) {
		const char *k = d->keys[i] + 1;
		const char *v = strcmp(k, "column") == 0       ? r->column
				: strcmp(k, "to") == 0         ? r->to
				: strcmp(k, "type") == 0       ? r->type
				: strcmp(k, "name") == 0       ? r->cname
				: strcmp(k, "columns") == 0    ? r->columns
				: strcmp(k, "references") == 0 ? r->references
							       : "";
		if (d->keys[i][0] == '!' && !v)
			return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: recipe=%s needs %s=", path, line,
					d->name, k);
	}
	if (d->guarded && !r->contract_after) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s:%d: recipe=%s needs contract-after=<the app version that no longer uses "
			 "the old shape>",
			 path, line, d->name);
		return -1;
	}
	if (!recipe_qualified(r->table))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: table=%s is not a plain name (schema.table, letters, digits, _)",
				path, line, r->table);
	if ((r->column && !recipe_ident(r->column)) || (r->to && !recipe_ident(r->to)) ||
	    (r->cname && !recipe_ident(r->cname)))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: column=, to= and name= take a plain name (letters, digits, _)",
				path, line);
	if (r->columns && !recipe_ident_list(r->columns))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: columns=%s is not a comma-separated list of names", path,
				line, r->columns);
	if (r->references && !recipe_references(r->references))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: references=%s is not table(column[,column])", path, line,
				r->references);
	if (r->on_delete) {
		static const char *const acts[] = { "cascade", "restrict", "no action", "set null",
						    "set default" };
		int ok = 0;
		for (char *p = r->on_delete; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		for (size_t i = 0; i < ZDM_ARRAY_LEN(acts); i++)
			ok |= strcmp(r->on_delete, acts[i]) == 0;
		if (!ok)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s:%d: on-delete=\"%s\": cascade, restrict, \"no action\", "
					"\"set null\" or \"set default\"",
					path, line, r->on_delete);
	}
	if ((r->type && strpbrk(r->type, ";\"'")) || (r->dflt && strchr(r->dflt, ';')))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: type= and default= take no ';' or quotes", path, line);
	if (r->contract_after && !*r->contract_after)
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: contract-after= needs an app version",
				path, line);
	/* the blocks */
	if (strstr(d->blocks, "up") && d->blocks[0] != '?' && (!r->up || !r->down))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: recipe=%s needs two blocks: \"-- zdm: up\" (old column to new) "
				"and \"-- zdm: down\" (new to old)",
				path, line, d->name);
	if ((r->up && !strstr(d->blocks, "up")) || (r->down && !strstr(d->blocks, "down")) ||
	    (r->fill && !strstr(d->blocks, "fill")))
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: recipe=%s takes %s%s", path, line,
				d->name, *d->blocks ? "only the blocks " : "no blocks",
				d->blocks[0] == '?' ? d->blocks + 1 : d->blocks);
	return 0;
}

struct recipe *recipe_parse(const char *path, const char *version, const char *sql, size_t len,
			    struct zerr *e)
{
	struct recipe *r = xcalloc(1, sizeof(*r));
	const struct recipe_def *d = NULL;
	struct sb bf, block;
	char **into = NULL, *label = NULL;
	size_t off = 0, n, dlen;
	const char *p, *dir;
	int line = 0, header = 1, block_line = 0, rc = -1;

	sb_init(&bf);
	sb_init(&block);
	r->version = xstrdup(version ? version : "");
	while (recipe_next_line(sql, len, &off, &p, &n)) {
		const char *t = p;
		size_t tn = n;

		line++;
		while (tn && isspace((unsigned char)*t)) {
			t++;
			tn--;
		}
		dir = recipe_directive(t, tn, &dlen);
		if (dir) {
			struct source_kv kvs[12];
			int nkv = source_parse_kvs(dir, dlen, kvs, (int)ZDM_ARRAY_LEN(kvs), e);
			if (nkv < 0) {
				zerr_prefix(e, "%s:%d", path, line);
				goto out;
			}
			if (nkv == 1 && !kvs[0].value &&
			    (strcmp(kvs[0].key, "up") == 0 || strcmp(kvs[0].key, "down") == 0 ||
			     strcmp(kvs[0].key, "fill") == 0)) {
				char **slot = kvs[0].key[0] == 'u'   ? &r->up
					      : kvs[0].key[0] == 'd' ? &r->down
								     : &r->fill;
				if (into)
					*into = xstrdup(util_trim(block.buf));
				if (*slot) {
					zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: a second \"%s\" block",
						 path, line, kvs[0].key);
					free(kvs[0].value);
					goto out;
				}
				header = 0;
				into = slot;
				free(label);
				label = xstrdup(kvs[0].key);
				block_line = line;
				sb_reset(&block);
				free(kvs[0].value);
				continue;
			}
			if (!header) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "%s:%d: a recipe's directives go in the comment block at the top, "
					 "before its blocks",
					 path, line);
				for (int i = 0; i < nkv; i++)
					free(kvs[i].value);
				goto out;
			}
			for (int i = 0; i < nkv; i++) {
				if (!d && strcmp(kvs[i].key, "recipe") == 0) {
					for (size_t k = 0; k < ZDM_ARRAY_LEN(recipe_defs); k++)
						if (kvs[i].value &&
						    strcmp(kvs[i].value, recipe_defs[k].name) == 0)
							d = &recipe_defs[k];
					if (!d) {
						zerr_set(e, ZDM_EXIT_USAGE,
							 "%s:%d: unknown recipe \"%s\"", path, line,
							 kvs[i].value ? kvs[i].value : "");
						zerr_hint(e,
							  "recipes: rename-column, change-type, "
							  "set-not-null, add-unique, add-foreign-key, "
							  "add-column, drop-column, rename-table");
						for (int j = 0; j < nkv; j++)
							free(kvs[j].value);
						goto out;
					}
					r->kind = d->kind;
					r->name = d->name;
					r->line = line;
				}
			}
			for (int i = 0; i < nkv; i++) {
				if (rc == -1 && !d) {
					zerr_set(e, ZDM_EXIT_USAGE,
						 "%s:%d: the first directive of a recipe file names "
						 "the recipe (recipe=...)",
						 path, line);
					rc = -2;
				}
				if (rc == -1 &&
				    recipe_set_key(r, d, path, line, &kvs[i], &bf, e) < 0)
					rc = -2;
			}
			for (int i = 0; i < nkv; i++)
				free(kvs[i].value);
			if (rc == -2) {
				rc = -1;
				goto out;
			}
			continue;
		}
		if (into) {
			sb_add(&block, p, n);
			sb_addc(&block, '\n');
			continue;
		}
		if (tn == 0 || (tn >= 2 && t[0] == '-' && t[1] == '-'))
			continue;
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s:%d: a recipe file holds its directive and, for some recipes, "
			 "\"-- zdm: up\"/\"down\"/\"fill\" blocks; this line is neither",
			 path, line);
		zerr_hint(e, "SQL of your own goes in a migration file of its own");
		goto out;
	}
	if (into)
		*into = xstrdup(util_trim(block.buf));
	if (!d) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s: no recipe= directive", path);
		goto out;
	}
	if (r->up && recipe_check_expr(path, block_line, "up", r->up, e) < 0)
		goto out;
	if (r->down && recipe_check_expr(path, block_line, "down", r->down, e) < 0)
		goto out;
	if (r->fill && recipe_check_expr(path, block_line, "fill", r->fill, e) < 0)
		goto out;
	if (recipe_check(r, d, path, e) < 0)
		goto out;
	r->bf_keys = sb_steal(&bf);
	rc = 0;
out:
	sb_release(&bf);
	sb_release(&block);
	free(label);
	if (rc < 0) {
		recipe_free(r);
		return NULL;
	}
	return r;
}

void recipe_sql_release(struct recipe_sql *s)
{
	sb_release(&s->expand);
	free(s->backfill);
	for (size_t i = 0; i < s->ncontract; i++)
		free(s->contract[i]);
	free(s->contract);
	free(s->table);
	for (size_t i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	free(s->notes);
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
	const char *p[1] = { state_table };
	PGresult *r = db_query(db, "SELECT to_regclass($1) IS NOT NULL", 1, p, e);
	int rc = -1;

	if (r) {
		rc = PQgetvalue(r, 0, 0)[0] == 't' ? 0 : db_exec(db, sql, e);
		PQclear(r);
	}
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
};

static void recipe_cat_release(struct recipe_cat *c)
{
	free(c->schema);
	free(c->table);
	free(c->qtable);
	free(c->oid);
	free(c->col_type);
	free(c->col_collate);
	free(c->col_default);
	memset(c, 0, sizeof(*c));
}

static char *recipe_get(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
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
	c->schema = recipe_get(res, 0, 0);
	c->table = recipe_get(res, 0, 1);
	c->oid = recipe_get(res, 0, 2);
	c->rules = PQgetvalue(res, 0, 3)[0] == 't';
	c->rls = PQgetvalue(res, 0, 4)[0] == 't';
	PQclear(res);
	c->qtable = recipe_qual(c, c->table);
	{
		const char *p[1] = { c->oid };
		res = db_query(db,
			       "SELECT 1 FROM pg_catalog.pg_trigger"
			       " WHERE tgrelid = $1::oid AND tgname = 'zdm_sync'",
			       1, p, e);
		if (!res)
			return -1;
		c->has_trigger = PQntuples(res) > 0;
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
		c->col_type = recipe_get(res, 0, 0);
		c->col_notnull = PQgetvalue(res, 0, 1)[0] == 't';
		c->col_default = recipe_get(res, 0, 2);
		c->col_collate = recipe_get(res, 0, 3);
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

/* The pairs and fills of the recipes in flight on the table (state
 * table rows not contracted, except version skip), plus add (may be
 * NULL), in version order. */
static int recipe_pairs_load(struct db *db, const char *state_table, const struct recipe_cat *c,
			     const char *skip, const struct recipe_pair *add,
			     struct recipe_pair **out, size_t *nout, struct zerr *e)
{
	struct recipe_pair *v = NULL;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (db) {
		const char *p1[1] = { state_table };
		PGresult *res = db_query(db, "SELECT to_regclass($1) IS NOT NULL", 1, p1, e);
		int exists;

		if (!res)
			return -1;
		exists = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (exists) {
			char *sql = xasprintf("SELECT version, col_old, col_new, up_expr, down_expr,"
					      " fill_col, fill_expr FROM %s WHERE table_name = $1"
					      " AND state <> 'contracted' AND version <> $2"
					      " AND (col_old IS NOT NULL OR fill_col IS NOT NULL)",
					      state_table);
			const char *p[2] = { c->qtable, skip ? skip : "" };
			res = db_query(db, sql, 2, p, e);
			free(sql);
			if (!res)
				return -1;
			n = (size_t)PQntuples(res);
			v = xcalloc(n + 1, sizeof(*v));
			for (size_t i = 0; i < n; i++) {
				v[i].version = recipe_get(res, (int)i, 0);
				v[i].old = recipe_get(res, (int)i, 1);
				v[i].new_ = recipe_get(res, (int)i, 2);
				v[i].up = recipe_get(res, (int)i, 3);
				v[i].down = recipe_get(res, (int)i, 4);
				v[i].fill_col = recipe_get(res, (int)i, 5);
				v[i].fill = recipe_get(res, (int)i, 6);
			}
			PQclear(res);
		}
	}
	if (add) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n].version = xstrdup(add->version);
		v[n].old = add->old ? xstrdup(add->old) : NULL;
		v[n].new_ = add->new_ ? xstrdup(add->new_) : NULL;
		v[n].up = add->up ? xstrdup(add->up) : NULL;
		v[n].down = add->down ? xstrdup(add->down) : NULL;
		v[n].fill_col = add->fill_col ? xstrdup(add->fill_col) : NULL;
		v[n].fill = add->fill ? xstrdup(add->fill) : NULL;
		n++;
	}
	util_sort(v, n, sizeof(*v), recipe_pair_cmp);
	*out = v;
	*nout = n;
	return 0;
}

/* NEW.<col> := <expr over the row>, where expr names columns as they are
 * (the row is NEW, as a relation, so that NEW values set just before are
 * seen); expr NULL: the value of col `from`. */
static void recipe_assign(struct sb *s, const char *indent, const char *col, const char *expr,
			  const char *from)
{
	char *qc = db_quote_ident(col);

	if (!expr) {
		char *qf = db_quote_ident(from);
		sb_addf(s, "%sNEW.%s := NEW.%s;\n", indent, qc, qf);
		free(qf);
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

/* Append the statements that make the table's sync trigger do what the
 * pairs say (or drop it when there are none): each chain of pairs
 * (a -> b -> c, linked by new = old) is kept in step from the newest
 * column the writer set (INSERT: not NULL; UPDATE: changed), outwards,
 * with up towards newer columns and down towards older ones; a writer
 * that set none of them gets empty newer columns filled from older ones.
 * Fills set their column when it is NULL. A session with
 * zdm.sync_off = on (zdm's backfills) passes through untouched. */
static void recipe_sync_sql(const struct recipe_cat *c, const struct recipe_pair *v, size_t n,
			    char ***steps, size_t *nsteps, struct sb *text)
{
	char *fn = recipe_sync_fn(c);
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
	sb_init(&s);
	sb_addf(&s,
		"CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $zdm$\n"
		"-- written by zdm for the recipes in flight on %s; do not edit\n"
		"DECLARE\n  w boolean[];\nBEGIN\n"
		"  IF current_setting('zdm.sync_off', true) = 'on' THEN\n    RETURN NEW;\n  END IF;\n",
		fn, c->qtable);
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
		sb_addf(&s, "  -- chain %zu\n  IF TG_OP = 'INSERT' THEN\n    w := ARRAY[", nchains);
		for (size_t p = 0; p <= len; p++) {
			char *q = db_quote_ident(p == 0 ? v[chain[0]].old : v[chain[p - 1]].new_);
			sb_addf(&s, "%sNEW.%s IS NOT NULL", p ? ", " : "", q);
			free(q);
		}
		sb_adds(&s, "];\n  ELSE\n    w := ARRAY[");
		for (size_t p = 0; p <= len; p++) {
			char *q = db_quote_ident(p == 0 ? v[chain[0]].old : v[chain[p - 1]].new_);
			sb_addf(&s, "%sNEW.%s IS DISTINCT FROM OLD.%s", p ? ", " : "", q, q);
			free(q);
		}
		sb_adds(&s, "];\n  END IF;\n");
		/* the newest written column wins */
		for (size_t src = len + 1; src-- > 0;) {
			sb_addf(&s, "  %s w[%zu] THEN\n", src == len ? "IF" : "ELSIF", src + 1);
			for (size_t p = src; p < len; p++) /* newer: up */
				recipe_assign(&s, "    ", v[chain[p]].new_, v[chain[p]].up,
					      p == 0 ? v[chain[0]].old : v[chain[p - 1]].new_);
			for (size_t p = src; p-- > 0;) /* older: down */
				recipe_assign(&s, "    ",
					      p == 0 ? v[chain[0]].old : v[chain[p - 1]].new_,
					      v[chain[p]].down, v[chain[p]].new_);
		}
		sb_adds(&s, "  ELSE\n");
		for (size_t p = 0; p < len; p++) {
			char *qn = db_quote_ident(v[chain[p]].new_);
			char *qo = db_quote_ident(p == 0 ? v[chain[0]].old : v[chain[p - 1]].new_);
			sb_addf(&s, "    IF NEW.%s IS NULL AND NEW.%s IS NOT NULL THEN\n", qn, qo);
			recipe_assign(&s, "      ", v[chain[p]].new_, v[chain[p]].up,
				      p == 0 ? v[chain[0]].old : v[chain[p - 1]].new_);
			sb_adds(&s, "    END IF;\n");
			free(qn);
			free(qo);
		}
		sb_adds(&s, "  END IF;\n");
	}
	for (size_t i = 0; i < n; i++) {
		char *q;
		if (!v[i].fill_col)
			continue;
		q = db_quote_ident(v[i].fill_col);
		sb_addf(&s, "  IF NEW.%s IS NULL THEN\n", q);
		recipe_assign(&s, "    ", v[i].fill_col, v[i].fill, NULL);
		sb_adds(&s, "  END IF;\n");
		free(q);
	}
	sb_adds(&s, "  RETURN NEW;\nEND\n$zdm$");
	RECIPE_STEP(sb_steal(&s));
	if (!c->has_trigger)
		RECIPE_STEP(xasprintf("CREATE TRIGGER zdm_sync BEFORE INSERT OR UPDATE ON %s"
				      " FOR EACH ROW EXECUTE FUNCTION %s()",
				      c->qtable, fn));
#undef RECIPE_STEP
	free(fn);
	free(used);
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

/* The INSERT that records the recipe as expanded. */
static void recipe_state_insert(struct sb *s, const struct recipe *r, const char *state_table,
				const struct recipe_cat *c, const struct recipe_pair *own,
				int has_own)
{
	char *lit[10];
	const char *vals[10] = { r->version,
				 r->name,
				 c->qtable,
				 r->contract_after,
				 has_own ? own->old : NULL,
				 has_own ? own->new_ : NULL,
				 has_own ? own->up : NULL,
				 has_own ? own->down : NULL,
				 has_own ? own->fill_col : NULL,
				 has_own ? own->fill : NULL };

	for (int i = 0; i < 10; i++)
		lit[i] = db_quote_literal(vals[i]);
	sb_addf(s,
		"INSERT INTO %s (version, recipe, table_name, state, contract_after, col_old,"
		" col_new, up_expr, down_expr, fill_col, fill_expr, backfilled)"
		" VALUES (%s, %s, %s, 'expanded', %s, %s, %s, %s, %s, %s, %s, %s)"
		" ON CONFLICT (version) DO NOTHING;\n",
		state_table, lit[0], lit[1], lit[2], lit[3], lit[4], lit[5], lit[6], lit[7], lit[8],
		lit[9], recipe_def_of(r->kind)->backfills ? "false" : "true");
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

char *recipe_backfill_sql(const struct recipe *r)
{
	struct recipe_pair own;
	char *qt, *value = NULL, *sql = NULL;

	if (!recipe_def_of(r->kind)->backfills || !recipe_own_pair(r, &own))
		return NULL;
	qt = db_quote_ident(own.new_ ? own.new_ : own.fill_col);
	if (own.new_) {
		char *qo = db_quote_ident(own.old);
		value = own.up ? xasprintf("(%s\n)", own.up) : xstrdup(qo);
		free(qo);
	} else {
		value = xasprintf("(%s\n)", own.fill);
	}
	/* rows that neither app has written on the new side yet; never a row
	 * the trigger already keeps in step (a lossy down would be undone) */
	sql = xasprintf("-- zdm: backfill table=%s%s\n"
			"UPDATE %s SET %s = %s WHERE %s IS NULL AND %s IS NOT NULL;\n",
			r->table, r->bf_keys ? r->bf_keys : "", r->table, qt, value, qt, value);
	free(value);
	free(qt);
	recipe_pair_clear(&own);
	return sql;
}

int recipe_compile_expand(const struct recipe *r, struct db *db, const char *state_table,
			  struct recipe_sql *out, struct zerr *e)
{
	struct recipe_cat c;
	struct recipe_pair own, *pairs = NULL;
	size_t npairs = 0;
	int has_own = 0, rc = -1;
	const char *col = r->kind == RECIPE_RENAME_TABLE || r->kind == RECIPE_ADD_UNIQUE ||
					  r->kind == RECIPE_ADD_FOREIGN_KEY
				  ? NULL
				  : r->column;
	struct sb *s = &out->expand;

	memset(out, 0, sizeof(*out));
	sb_init(s);
	memset(&own, 0, sizeof(own));
	if (recipe_read_cat(r, db, col, &c, e) < 0)
		goto out;
	out->table = xstrdup(c.qtable);
	if (col && r->kind != RECIPE_ADD_COLUMN && !c.has_col) {
		zerr_set(e, ZDM_EXIT_USAGE, "recipe=%s: table %s has no column %s", r->name,
			 c.qtable, col);
		goto out;
	}
	if (col && r->kind == RECIPE_ADD_COLUMN && c.has_col && db) {
		zerr_set(e, ZDM_EXIT_USAGE, "recipe=add-column: %s already has a column %s",
			 c.qtable, col);
		goto out;
	}
	if ((r->kind == RECIPE_RENAME_COLUMN || r->kind == RECIPE_CHANGE_TYPE) &&
	    (c.col_identity || c.col_generated)) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "recipe=%s: %s.%s is %s column; zdm cannot keep a copy of it in step",
			 r->name, c.qtable, col, c.col_identity ? "an identity" : "a generated");
		goto out;
	}
	if (r->to && r->kind != RECIPE_RENAME_TABLE) {
		int yes;
		if (recipe_col_exists(db, &c, r->to, &yes, e) < 0)
			goto out;
		if (yes) {
			zerr_set(e, ZDM_EXIT_USAGE, "recipe=%s: %s already has a column %s",
				 r->name, c.qtable, r->to);
			goto out;
		}
	}
	if (r->kind == RECIPE_RENAME_TABLE && (c.rules || c.rls)) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "recipe=rename-table: %s has %s; the view that old code uses would bypass "
			 "them",
			 c.qtable, c.rules ? "rules" : "row-level security");
		goto out;
	}
	sb_addf(s, "-- zdm: transaction=%s\n", r->kind == RECIPE_ADD_UNIQUE ? "off" : "on");
	switch (r->kind) {
	case RECIPE_RENAME_COLUMN:
	case RECIPE_CHANGE_TYPE: {
		char *qn = db_quote_ident(r->to);
		sb_addf(s, "ALTER TABLE %s ADD COLUMN %s %s%s%s;\n", c.qtable, qn,
			r->kind == RECIPE_CHANGE_TYPE ? r->type : c.col_type,
			r->kind == RECIPE_RENAME_COLUMN && c.col_collate ? " COLLATE " : "",
			r->kind == RECIPE_RENAME_COLUMN && c.col_collate ? c.col_collate : "");
		if (c.col_notnull) {
			char *ck = recipe_check_name(r);
			sb_addf(s,
				"ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n",
				c.qtable, ck, qn);
			free(ck);
		}
		if (recipe_note_dependents(r, db, &c, out, e) < 0) {
			free(qn);
			goto out;
		}
		free(qn);
		break;
	}
	case RECIPE_SET_NOT_NULL: {
		char *ck = recipe_check_name(r), *qc = db_quote_ident(r->column);
		sb_addf(s, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n",
			c.qtable, ck, qc);
		free(ck);
		free(qc);
		break;
	}
	case RECIPE_ADD_UNIQUE: {
		char *qi = db_quote_ident(r->cname);
		sb_addf(s, "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s);\n", qi, c.qtable,
			r->columns);
		free(qi);
		break;
	}
	case RECIPE_ADD_FOREIGN_KEY: {
		char *qi = db_quote_ident(r->cname);
		sb_addf(s,
			"ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s%s%s NOT VALID;\n",
			c.qtable, qi, r->columns, r->references, r->on_delete ? " ON DELETE " : "",
			r->on_delete ? r->on_delete : "");
		free(qi);
		break;
	}
	case RECIPE_ADD_COLUMN: {
		char *qc = db_quote_ident(r->column);
		sb_addf(s, "ALTER TABLE %s ADD COLUMN %s %s%s%s;\n", c.qtable, qc, r->type,
			r->dflt ? " DEFAULT " : "", r->dflt ? r->dflt : "");
		free(qc);
		break;
	}
	case RECIPE_DROP_COLUMN:
		break;
	case RECIPE_RENAME_TABLE: {
		char *qto = db_quote_ident(r->to), *qnew = recipe_qual(&c, r->to);
		sb_addf(s, "ALTER TABLE %s RENAME TO %s;\n", c.qtable, qto);
		sb_addf(s, "CREATE VIEW %s AS SELECT * FROM %s;\n", c.qtable, qnew);
		if (db) {
			const char *p[1] = { c.oid };
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
				goto out;
			}
			for (int i = 0; i < PQntuples(res); i++)
				sb_addf(s, "GRANT %s ON %s TO %s;\n", PQgetvalue(res, i, 0),
					c.qtable, PQgetvalue(res, i, 1));
			PQclear(res);
		}
		free(qto);
		free(qnew);
		break;
	}
	}
	has_own = recipe_own_pair(r, &own);
	recipe_state_insert(s, r, state_table, &c, &own, has_own);
	if (has_own) {
		if (recipe_pairs_load(db, state_table, &c, r->version, &own, &pairs, &npairs, e) <
		    0)
			goto out;
		recipe_sync_sql(&c, pairs, npairs, NULL, NULL, s);
	}
	out->backfill = recipe_backfill_sql(r);
	rc = 0;
out:
	recipe_pair_clear(&own);
	recipe_pairs_release(pairs, npairs);
	recipe_cat_release(&c);
	if (rc < 0)
		recipe_sql_release(out);
	return rc;
}

static void recipe_add_step(struct recipe_sql *out, char *sql)
{
	out->contract = xrealloc(out->contract, (out->ncontract + 1) * sizeof(*out->contract));
	out->contract[out->ncontract++] = sql;
}

/* Does the table have the constraint named q (quoted)? */
static int recipe_has_constraint(struct db *db, const struct recipe_cat *c, const char *q, int *yes,
				 struct zerr *e)
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
		       "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = $1::oid"
		       " AND conname = $2",
		       2, p, e);
	free(name);
	if (!res)
		return -1;
	*yes = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* CHECK NOT VALID (unless added at expand) -> VALIDATE -> SET NOT NULL
 * (PostgreSQL 12+ skips the scan for a validated check) -> drop the check */
static void recipe_not_null_steps(struct recipe_sql *out, const struct recipe *r,
				  const struct recipe_cat *c, const char *col, int add_check)
{
	char *ck = recipe_check_name(r), *qc = db_quote_ident(col);

	if (add_check)
		recipe_add_step(out, xasprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT "
					       "NULL) NOT VALID",
					       c->qtable, ck, qc));
	recipe_add_step(out, xasprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", c->qtable, ck));
	recipe_add_step(out,
			xasprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", c->qtable, qc));
	recipe_add_step(out, xasprintf("ALTER TABLE %s DROP CONSTRAINT %s", c->qtable, ck));
	free(ck);
	free(qc);
}

int recipe_compile_contract(const struct recipe *r, struct db *db, const char *state_table,
			    int planned, struct recipe_sql *out, struct zerr *e)
{
	struct recipe_cat c;
	struct recipe_pair *pairs = NULL;
	size_t npairs = 0;
	int rc = -1;
	const char *col = r->kind == RECIPE_RENAME_COLUMN || r->kind == RECIPE_CHANGE_TYPE ||
					  r->kind == RECIPE_DROP_COLUMN
				  ? r->column
				  : NULL;
	const char *table = r->kind == RECIPE_RENAME_TABLE ? NULL : r->table;

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
		if (recipe_has_constraint(db, &c, ck, &has_check, e) < 0) {
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
		if (has_check)
			recipe_not_null_steps(out, r, &c, r->to, 0);
		if (r->kind == RECIPE_RENAME_COLUMN && c.col_default)
			recipe_add_step(out,
					xasprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s",
						  c.qtable, qn, c.col_default));
		if (recipe_pairs_load(db, state_table, &c, r->version, NULL, &pairs, &npairs, e) <
		    0) {
			free(qo);
			free(qn);
			goto out;
		}
		recipe_sync_sql(&c, pairs, npairs, &out->contract, &out->ncontract, NULL);
		recipe_add_step(out, xasprintf("ALTER TABLE %s DROP COLUMN %s", c.qtable, qo));
		free(qo);
		free(qn);
		break;
	}
	case RECIPE_SET_NOT_NULL:
		recipe_not_null_steps(out, r, &c, r->column, 0);
		c.has_trigger |= planned;
		if (r->up) {
			if (recipe_pairs_load(db, state_table, &c, r->version, NULL, &pairs,
					      &npairs, e) < 0)
				goto out;
			recipe_sync_sql(&c, pairs, npairs, &out->contract, &out->ncontract, NULL);
		}
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
		recipe_add_step(out,
				xasprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", c.qtable, qi));
		free(qi);
		break;
	}
	case RECIPE_ADD_COLUMN:
		if (r->not_null)
			recipe_not_null_steps(out, r, &c, r->column, 1);
		c.has_trigger |= planned;
		if (r->fill) {
			if (recipe_pairs_load(db, state_table, &c, r->version, NULL, &pairs,
					      &npairs, e) < 0)
				goto out;
			recipe_sync_sql(&c, pairs, npairs, &out->contract, &out->ncontract, NULL);
		}
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
	recipe_pairs_release(pairs, npairs);
	recipe_cat_release(&c);
	if (rc < 0)
		recipe_sql_release(out);
	return rc;
}
