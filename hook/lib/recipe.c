/*
 * recipe — declarative expand/contract migrations: reading recipe files
 * (see recipe.h and docs/recipes.md; recipe-sql.c compiles them).
 */
#include "recipe.h"

#include <ctype.h>
#include <stddef.h>
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

int recipe_backfills(const struct recipe *r)
{
	/* these two fill their column only with an up or fill block */
	if (r->kind == RECIPE_SET_NOT_NULL)
		return r->up != NULL;
	if (r->kind == RECIPE_ADD_COLUMN)
		return r->fill != NULL;
	return recipe_def_of(r->kind)->backfills;
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

/* Where r keeps the value of a string key (NULL: not a string key). */
static char **recipe_slot(struct recipe *r, const char *k)
{
	static const struct {
		const char *key;
		size_t off;
	} slots[] = {
		{ "table", offsetof(struct recipe, table) },
		{ "contract-after", offsetof(struct recipe, contract_after) },
		{ "column", offsetof(struct recipe, column) },
		{ "to", offsetof(struct recipe, to) },
		{ "type", offsetof(struct recipe, type) },
		{ "name", offsetof(struct recipe, cname) },
		{ "columns", offsetof(struct recipe, columns) },
		{ "references", offsetof(struct recipe, references) },
		{ "on-delete", offsetof(struct recipe, on_delete) },
		{ "default", offsetof(struct recipe, dflt) },
	};

	for (size_t i = 0; i < ZDM_ARRAY_LEN(slots); i++)
		if (strcmp(k, slots[i].key) == 0)
			return (char **)((char *)r + slots[i].off);
	return NULL;
}

static int recipe_set_key(struct recipe *r, const struct recipe_def *d, const char *path, int line,
			  const struct source_kv *kv, struct sb *bf, struct zerr *e)
{
	const char *k = kv->key;
	char **slot;
	int known = strcmp(k, "table") == 0 || strcmp(k, "contract-after") == 0;

	if (strcmp(k, "recipe") == 0)
		return 0;
	for (size_t i = 0; i < ZDM_ARRAY_LEN(recipe_bf_keys); i++)
		if (strcmp(k, recipe_bf_keys[i]) == 0) {
			if (!d->backfills)
				return zerr_set(
					e, ZDM_EXIT_USAGE,
					"%s:%d: recipe=%s has no backfill; \"%s\" does not apply",
					path, line, d->name, k);
			if (source_check_backfill_option(k, kv->value, e) < 0) {
				zerr_prefix(e, "%s:%d", path, line);
				return -1;
			}
			sb_addf(bf, " %s=%s", k, kv->value);
			return 0;
		}
	for (size_t i = 0; !known && i < ZDM_ARRAY_LEN(d->keys) && d->keys[i]; i++)
		known = strcmp(d->keys[i][0] == '!' ? d->keys[i] + 1 : d->keys[i], k) == 0;
	if (known && strcmp(k, "not-null") == 0) {
		if (!kv->value ||
		    (strcmp(kv->value, "true") != 0 && strcmp(kv->value, "false") != 0))
			return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: not-null= takes true or false",
					path, line);
		r->not_null = strcmp(kv->value, "true") == 0;
		return 0;
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
	slot = recipe_slot(r, k);
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
	for (size_t i = 0; i < ZDM_ARRAY_LEN(d->keys) && d->keys[i]; i++)
		if (d->keys[i][0] == '!' && !*recipe_slot(r, d->keys[i] + 1))
			return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: recipe=%s needs %s=", path, line,
					d->name, d->keys[i] + 1);
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
