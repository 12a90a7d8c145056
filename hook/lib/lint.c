/*
 * lint — the migration-safety classifier (see lint.h for the classes,
 * the severity rules and ownership).
 *
 * Design. The classifier reads the significant tokens sql_split already
 * made; it never re-lexes, so keywords inside strings, dollar quotes,
 * comments and quoted identifiers can never match. Each statement goes
 * through a small recursive-descent reader that knows just enough of
 * PostgreSQL's DDL grammar to find the parts that matter for safety (the
 * object, the action, NOT VALID, CONCURRENTLY, the default expression, the
 * new type) and skips everything else by balanced parentheses; what it does
 * not recognise is reported as unknown, never as safe. ALTER TABLE is cut
 * into its comma-separated actions at parenthesis depth 0 and each action
 * is judged alone.
 *
 * Memory across files lives in struct lint_ctx: the tables migrations
 * created (and the file that created them), the columns and types they
 * learned, the indexes they named and the CHECK (col IS NOT NULL)
 * constraints and whether they were validated. Names are normalised the
 * way PostgreSQL resolves them with the default search_path: unquoted
 * names fold to lower case, quoted ones keep their case, and "public.x"
 * is the same table as "x". Per-file state (struct lint_run) holds what
 * the transaction=off mixing rule and the allow matching need; it is
 * dropped when the file is done. Findings are appended to the caller's
 * report, then matched against the allows, then sorted by position.
 */
#include "lint.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINT_NAME 256   /* a normalised, possibly qualified, name */

/* Rule indexes into lint_rules[]; the order is the table's order. */
enum lint_rid {
	R_DROP_TABLE,
	R_DROP_COLUMN,
	R_DROP_SCHEMA,
	R_DROP_VIEW,
	R_DROP_FUNCTION,
	R_DROP_TYPE,
	R_DROP_DATABASE,
	R_DROP_OBJECT,
	R_RENAME_TABLE,
	R_RENAME_COLUMN,
	R_RENAME_SCHEMA,
	R_RENAME_OBJECT,
	R_COLUMN_TYPE_CHANGE,
	R_SET_NOT_NULL_WRITERS,
	R_ADD_REQUIRED_COLUMN,
	R_DROP_DEFAULT,
	R_ADD_UNIQUE_CONSTRAINT,
	R_ADD_CHECK_CONSTRAINT,
	R_RENAME_ENUM_VALUE,
	R_REMOVE_ENUM_VALUE,
	R_TRUNCATE,
	R_INDEX_NOT_CONCURRENT,
	R_DROP_INDEX_NOT_CONCURRENT,
	R_REINDEX_NOT_CONCURRENT,
	R_CONSTRAINT_NOT_VALID,
	R_CONSTRAINT_BUILDS_INDEX,
	R_SET_NOT_NULL,
	R_COLUMN_TYPE_REWRITE,
	R_VOLATILE_DEFAULT,
	R_STORED_GENERATED,
	R_TABLE_REWRITE,
	R_VACUUM_FULL,
	R_CLUSTER,
	R_DETACH_NOT_CONCURRENT,
	R_REFRESH_NOT_CONCURRENT,
	R_LOCK_TABLE,
	R_UNBATCHED_BACKFILL,
	R_NEEDS_TX_OFF,
	R_TX_CONTROL,
	R_MIXED_TX_OFF,
	R_UNKNOWN,
	R_UNUSED_ALLOW,
	R_VALIDATE_SAME_TX,
	R_VALIDATE_DOMAIN,
	R_COUNT
};

const struct lint_rule lint_rules[] = {
	[R_DROP_TABLE] = { "drop-table", LINT_CONTRACT, "ban-drop-table",
		"DROP TABLE breaks old code that still uses the table" },
	[R_DROP_COLUMN] = { "drop-column", LINT_CONTRACT, "ban-drop-column",
		"DROP COLUMN breaks old code that still selects or inserts the column" },
	[R_DROP_SCHEMA] = { "drop-schema", LINT_CONTRACT, "",
		"DROP SCHEMA breaks old code that uses anything in it" },
	[R_DROP_VIEW] = { "drop-view", LINT_CONTRACT, "",
		"DROP VIEW / MATERIALIZED VIEW breaks old code that reads it" },
	[R_DROP_FUNCTION] = { "drop-function", LINT_CONTRACT, "",
		"DROP FUNCTION / PROCEDURE breaks old code that calls it" },
	[R_DROP_TYPE] = { "drop-type", LINT_CONTRACT, "",
		"DROP TYPE / DOMAIN breaks old code that casts to it" },
	[R_DROP_DATABASE] = { "drop-database", LINT_CONTRACT, "ban-drop-database",
		"DROP DATABASE from a migration" },
	[R_DROP_OBJECT] = { "drop-object", LINT_CONTRACT, "",
		"DROP SEQUENCE / EXTENSION / TRIGGER / ... can break old code" },
	[R_RENAME_TABLE] = { "rename-table", LINT_CONTRACT, "renaming-table",
		"renaming a table or view (or moving it to another schema) breaks old code" },
	[R_RENAME_COLUMN] = { "rename-column", LINT_CONTRACT, "renaming-column",
		"renaming a column breaks old code that uses the old name" },
	[R_RENAME_SCHEMA] = { "rename-schema", LINT_CONTRACT, "",
		"renaming a schema breaks old code that qualifies names with it" },
	[R_RENAME_OBJECT] = { "rename-object", LINT_CONTRACT, "",
		"renaming a sequence, function, type or domain breaks old code" },
	[R_COLUMN_TYPE_CHANGE] = { "column-type-change", LINT_CONTRACT, "changing-column-type",
		"ALTER COLUMN TYPE can break old code that reads or writes the old type" },
	[R_SET_NOT_NULL_WRITERS] = { "set-not-null-writers", LINT_CONTRACT, "",
		"SET NOT NULL makes old writers that send NULL fail" },
	[R_ADD_REQUIRED_COLUMN] = { "add-required-column", LINT_CONTRACT, "adding-required-field",
		"ADD COLUMN NOT NULL without a default makes old inserts fail" },
	[R_DROP_DEFAULT] = { "drop-default", LINT_CONTRACT, "",
		"DROP DEFAULT / DROP IDENTITY breaks old inserts that rely on it" },
	[R_ADD_UNIQUE_CONSTRAINT] = { "add-unique-constraint", LINT_CONTRACT, "",
		"ADD UNIQUE in one step makes old writes that duplicate values fail" },
	[R_ADD_CHECK_CONSTRAINT] = { "add-check-constraint", LINT_CONTRACT, "",
		"ADD CHECK in one step makes old writes that violate it fail" },
	[R_RENAME_ENUM_VALUE] = { "rename-enum-value", LINT_CONTRACT, "",
		"ALTER TYPE ... RENAME VALUE breaks old code that sends the old label" },
	[R_REMOVE_ENUM_VALUE] = { "remove-enum-value", LINT_CONTRACT, "",
		"deleting from pg_enum breaks old code that sends the label" },
	[R_TRUNCATE] = { "truncate-table", LINT_CONTRACT, "ban-truncate-cascade",
		"TRUNCATE deletes live data old code still reads" },
	[R_INDEX_NOT_CONCURRENT] = { "index-not-concurrent", LINT_BLOCKING,
		"require-concurrent-index-creation",
		"CREATE INDEX without CONCURRENTLY blocks writes for the whole build" },
	[R_DROP_INDEX_NOT_CONCURRENT] = { "drop-index-not-concurrent", LINT_BLOCKING,
		"require-concurrent-index-deletion",
		"DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table" },
	[R_REINDEX_NOT_CONCURRENT] = { "reindex-not-concurrent", LINT_BLOCKING,
		"require-concurrent-reindex",
		"REINDEX without CONCURRENTLY blocks writes (and reads using the index)" },
	[R_CONSTRAINT_NOT_VALID] = { "constraint-not-valid", LINT_BLOCKING,
		"adding-foreign-key-constraint constraint-missing-not-valid",
		"ADD FOREIGN KEY / CHECK without NOT VALID scans the table under lock" },
	[R_CONSTRAINT_BUILDS_INDEX] = { "constraint-builds-index", LINT_BLOCKING,
		"disallowed-unique-constraint adding-serial-primary-key-field",
		"ADD UNIQUE / PRIMARY KEY / EXCLUDE builds an index under ACCESS EXCLUSIVE" },
	[R_SET_NOT_NULL] = { "set-not-null", LINT_BLOCKING, "adding-not-nullable-field",
		"SET NOT NULL without a validated CHECK (col IS NOT NULL) scans under ACCESS EXCLUSIVE" },
	[R_COLUMN_TYPE_REWRITE] = { "column-type-rewrite", LINT_BLOCKING, "changing-column-type",
		"ALTER COLUMN TYPE (other than a known widening) rewrites the table" },
	[R_VOLATILE_DEFAULT] = { "volatile-default", LINT_BLOCKING, "adding-field-with-default",
		"ADD COLUMN with a volatile default, serial or identity rewrites the table" },
	[R_STORED_GENERATED] = { "stored-generated-column", LINT_BLOCKING,
		"adding-field-with-default",
		"ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table" },
	[R_TABLE_REWRITE] = { "table-rewrite", LINT_BLOCKING, "",
		"SET TABLESPACE / LOGGED / UNLOGGED / ACCESS METHOD rewrites the table" },
	[R_VACUUM_FULL] = { "vacuum-full", LINT_BLOCKING, "prefer-repack",
		"VACUUM FULL rewrites the table under ACCESS EXCLUSIVE" },
	[R_CLUSTER] = { "cluster", LINT_BLOCKING, "prefer-repack",
		"CLUSTER rewrites the table under ACCESS EXCLUSIVE" },
	[R_DETACH_NOT_CONCURRENT] = { "detach-partition-not-concurrent", LINT_BLOCKING,
		"require-concurrent-partition-detach",
		"DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent" },
	[R_REFRESH_NOT_CONCURRENT] = { "refresh-not-concurrent", LINT_BLOCKING, "",
		"REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks its readers" },
	[R_LOCK_TABLE] = { "lock-table", LINT_BLOCKING, "",
		"LOCK TABLE holds a lock every query queues behind" },
	[R_UNBATCHED_BACKFILL] = { "unbatched-backfill", LINT_BLOCKING, "",
		"UPDATE / DELETE of every row of a live table in one statement" },
	[R_NEEDS_TX_OFF] = { "needs-transaction-off", LINT_TXMISUSE,
		"ban-concurrent-index-creation-in-transaction",
		"CONCURRENTLY, VACUUM and friends cannot run in the transaction zdm wraps the file in" },
	[R_TX_CONTROL] = { "transaction-control", LINT_TXMISUSE, "transaction-nesting",
		"BEGIN / COMMIT / ROLLBACK / SAVEPOINT inside a file zdm runs in a transaction" },
	[R_MIXED_TX_OFF] = { "mixed-transaction-off", LINT_TXMISUSE, "",
		"a transaction=off file mixes CONCURRENTLY statements with transactional ones" },
	[R_UNKNOWN] = { "unknown-statement", LINT_UNKNOWN, "",
		"a statement zdm does not recognise (a warning)" },
	[R_VALIDATE_SAME_TX] = { "validate-in-same-transaction", LINT_BLOCKING, "constraint-missing-not-valid",
		"VALIDATE CONSTRAINT in the transaction that added it NOT VALID scans under the ADD's lock" },
	[R_VALIDATE_DOMAIN] = { "validate-domain-constraint", LINT_BLOCKING,
		"ban-alter-domain-with-add-constraint",
		"ALTER DOMAIN ... VALIDATE CONSTRAINT blocks writes to every table using the domain" },
	[R_UNUSED_ALLOW] = { "unused-allow", LINT_DIRECTIVE, "unused-ignore",
		"an allow=RULE directive that matched no finding of its statement" },
};

const size_t lint_nrules = ZDM_ARRAY_LEN(lint_rules);

_Static_assert(ZDM_ARRAY_LEN(lint_rules) == R_COUNT, "one lint_rules entry per rule");

/* ---------------------------------------------------------------- context */

struct lint_type {
	char base[64];   /* canonical name: "varchar", "int4", "numeric", ... */
	long mod[2];
	int nmod;
	int array;
	int known;
};

struct lint_col {
	char *name;
	struct lint_type type;
};

struct lint_table {
	char *name;      /* normalised */
	long created;    /* index of the file that created it, -1 if it existed */
	struct lint_col *cols;
	size_t ncols, capcols;
};

/* A CHECK (column IS NOT NULL) constraint. */
struct lint_check {
	char *table;
	char *column;
	char *name;
	int validated;
};

struct lint_index {
	char *name;
	char *table;
};

struct lint_ctx {
	struct lint_table *tables;
	size_t ntables, captables;
	struct lint_check *checks;
	size_t nchecks, capchecks;
	struct lint_index *indexes;
	size_t nindexes, capindexes;
	long nfiles;
};

/* Make room for one more element in a growable array. */
static void *lint_grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 8;
	return xrealloc(v, *cap * size);
}

struct lint_ctx *lint_ctx_new(void)
{
	struct lint_ctx *ctx = xcalloc(1, sizeof(*ctx));
	return ctx;
}

static void lint_table_clear(struct lint_table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i].name);
	free(t->cols);
	t->cols = NULL;
	t->ncols = t->capcols = 0;
}

void lint_ctx_free(struct lint_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->ntables; i++) {
		lint_table_clear(&ctx->tables[i]);
		free(ctx->tables[i].name);
	}
	for (size_t i = 0; i < ctx->nchecks; i++) {
		free(ctx->checks[i].table);
		free(ctx->checks[i].column);
		free(ctx->checks[i].name);
	}
	for (size_t i = 0; i < ctx->nindexes; i++) {
		free(ctx->indexes[i].name);
		free(ctx->indexes[i].table);
	}
	free(ctx->tables);
	free(ctx->checks);
	free(ctx->indexes);
	free(ctx);
}

static struct lint_table *lint_table_find(struct lint_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->ntables; i++)
		if (strcmp(ctx->tables[i].name, name) == 0)
			return &ctx->tables[i];
	return NULL;
}

/* The table's entry, made (as a pre-existing table) when there is none.
 * The pointer is valid until the next lint_table_get or lint_table_drop. */
static struct lint_table *lint_table_get(struct lint_ctx *ctx, const char *name)
{
	struct lint_table *t = lint_table_find(ctx, name);

	if (t)
		return t;
	ctx->tables = lint_grow(ctx->tables, &ctx->captables, ctx->ntables,
				sizeof(*ctx->tables));
	t = &ctx->tables[ctx->ntables++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->created = -1;
	return t;
}

static struct lint_col *lint_col_find(struct lint_ctx *ctx, const char *table,
				      const char *col)
{
	struct lint_table *t = lint_table_find(ctx, table);

	if (!t)
		return NULL;
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, col) == 0)
			return &t->cols[i];
	return NULL;
}

static void lint_col_set(struct lint_ctx *ctx, const char *table, const char *col,
			 const struct lint_type *type)
{
	struct lint_col *c = lint_col_find(ctx, table, col);
	struct lint_table *t;

	if (!c) {
		t = lint_table_get(ctx, table);
		t->cols = lint_grow(t->cols, &t->capcols, t->ncols, sizeof(*t->cols));
		c = &t->cols[t->ncols++];
		c->name = xstrdup(col);
	}
	c->type = *type;
}

static void lint_check_remove_at(struct lint_ctx *ctx, size_t i)
{
	free(ctx->checks[i].table);
	free(ctx->checks[i].column);
	free(ctx->checks[i].name);
	ctx->checks[i] = ctx->checks[--ctx->nchecks];
}

static void lint_col_drop(struct lint_ctx *ctx, const char *table, const char *col)
{
	struct lint_table *t = lint_table_find(ctx, table);

	if (t) {
		for (size_t i = 0; i < t->ncols; i++) {
			if (strcmp(t->cols[i].name, col) == 0) {
				free(t->cols[i].name);
				t->cols[i] = t->cols[--t->ncols];
				break;
			}
		}
	}
	for (size_t i = ctx->nchecks; i-- > 0;)
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].column, col) == 0)
			lint_check_remove_at(ctx, i);
}

static void lint_col_rename(struct lint_ctx *ctx, const char *table, const char *from,
			    const char *to)
{
	struct lint_col *c = lint_col_find(ctx, table, from);

	if (c) {
		free(c->name);
		c->name = xstrdup(to);
	}
	for (size_t i = 0; i < ctx->nchecks; i++) {
		struct lint_check *k = &ctx->checks[i];
		if (strcmp(k->table, table) == 0 && strcmp(k->column, from) == 0) {
			free(k->column);
			k->column = xstrdup(to);
		}
	}
}

/* Forget a table and everything learned about it. */
static void lint_table_drop(struct lint_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->ntables; i++) {
		if (strcmp(ctx->tables[i].name, name) == 0) {
			lint_table_clear(&ctx->tables[i]);
			free(ctx->tables[i].name);
			ctx->tables[i] = ctx->tables[--ctx->ntables];
			break;
		}
	}
	for (size_t i = ctx->nchecks; i-- > 0;)
		if (strcmp(ctx->checks[i].table, name) == 0)
			lint_check_remove_at(ctx, i);
	for (size_t i = ctx->nindexes; i-- > 0;) {
		if (strcmp(ctx->indexes[i].table, name) == 0) {
			free(ctx->indexes[i].name);
			free(ctx->indexes[i].table);
			ctx->indexes[i] = ctx->indexes[--ctx->nindexes];
		}
	}
}

static void lint_table_rename(struct lint_ctx *ctx, const char *from, const char *to)
{
	struct lint_table *t;

	lint_table_drop(ctx, to);   /* whatever had the name is gone */
	t = lint_table_find(ctx, from);
	if (t) {
		free(t->name);
		t->name = xstrdup(to);
	}
	for (size_t i = 0; i < ctx->nchecks; i++) {
		if (strcmp(ctx->checks[i].table, from) == 0) {
			free(ctx->checks[i].table);
			ctx->checks[i].table = xstrdup(to);
		}
	}
	for (size_t i = 0; i < ctx->nindexes; i++) {
		if (strcmp(ctx->indexes[i].table, from) == 0) {
			free(ctx->indexes[i].table);
			ctx->indexes[i].table = xstrdup(to);
		}
	}
}

static void lint_check_add(struct lint_ctx *ctx, const char *table, const char *col,
			   const char *name, int validated)
{
	struct lint_check *k;

	for (size_t i = ctx->nchecks; i-- > 0;)
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].name, name) == 0)
			lint_check_remove_at(ctx, i);
	ctx->checks = lint_grow(ctx->checks, &ctx->capchecks, ctx->nchecks,
				sizeof(*ctx->checks));
	k = &ctx->checks[ctx->nchecks++];
	k->table = xstrdup(table);
	k->column = xstrdup(col);
	k->name = xstrdup(name);
	k->validated = validated;
}

static void lint_check_validate(struct lint_ctx *ctx, const char *table, const char *name)
{
	for (size_t i = 0; i < ctx->nchecks; i++)
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].name, name) == 0)
			ctx->checks[i].validated = 1;
}

static void lint_check_drop(struct lint_ctx *ctx, const char *table, const char *name)
{
	for (size_t i = ctx->nchecks; i-- > 0;)
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].name, name) == 0)
			lint_check_remove_at(ctx, i);
}

static void lint_check_rename(struct lint_ctx *ctx, const char *table, const char *from,
			      const char *to)
{
	for (size_t i = 0; i < ctx->nchecks; i++) {
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].name, from) == 0) {
			free(ctx->checks[i].name);
			ctx->checks[i].name = xstrdup(to);
		}
	}
}

/* Is there a validated CHECK (col IS NOT NULL) on table.col? */
static int lint_check_valid(struct lint_ctx *ctx, const char *table, const char *col)
{
	for (size_t i = 0; i < ctx->nchecks; i++)
		if (ctx->checks[i].validated && strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].column, col) == 0)
			return 1;
	return 0;
}

static void lint_index_add(struct lint_ctx *ctx, const char *name, const char *table)
{
	struct lint_index *ix;

	for (size_t i = 0; i < ctx->nindexes; i++) {
		if (strcmp(ctx->indexes[i].name, name) == 0) {
			free(ctx->indexes[i].table);
			ctx->indexes[i].table = xstrdup(table);
			return;
		}
	}
	ctx->indexes = lint_grow(ctx->indexes, &ctx->capindexes, ctx->nindexes,
				 sizeof(*ctx->indexes));
	ix = &ctx->indexes[ctx->nindexes++];
	ix->name = xstrdup(name);
	ix->table = xstrdup(table);
}

static const char *lint_index_table(struct lint_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nindexes; i++)
		if (strcmp(ctx->indexes[i].name, name) == 0)
			return ctx->indexes[i].table;
	return NULL;
}

static void lint_index_drop(struct lint_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nindexes; i++) {
		if (strcmp(ctx->indexes[i].name, name) == 0) {
			free(ctx->indexes[i].name);
			free(ctx->indexes[i].table);
			ctx->indexes[i] = ctx->indexes[--ctx->nindexes];
			return;
		}
	}
}

static void lint_index_rename(struct lint_ctx *ctx, const char *from, const char *to)
{
	for (size_t i = 0; i < ctx->nindexes; i++) {
		if (strcmp(ctx->indexes[i].name, from) == 0) {
			free(ctx->indexes[i].name);
			ctx->indexes[i].name = xstrdup(to);
			return;
		}
	}
}

/* ------------------------------------------------------------ the reader */

/* A cursor over the tokens [i, end) of one statement. */
struct lint_cur {
	const struct sql_token *t;
	size_t i;
	size_t end;
};

static const struct sql_token *lint_at(const struct lint_cur *c)
{
	return c->i < c->end ? &c->t[c->i] : NULL;
}

static int lint_is_k(const struct lint_cur *c, size_t k, const char *kw)
{
	return c->i + k < c->end && sql_tok_is(&c->t[c->i + k], kw);
}

static int lint_is(const struct lint_cur *c, const char *kw)
{
	return lint_is_k(c, 0, kw);
}

static int lint_is_punct(const struct lint_cur *c, char ch)
{
	return c->i < c->end && sql_tok_is_punct(&c->t[c->i], ch);
}

static int lint_accept(struct lint_cur *c, const char *kw)
{
	if (!lint_is(c, kw))
		return 0;
	c->i++;
	return 1;
}

static int lint_accept2(struct lint_cur *c, const char *a, const char *b)
{
	if (!lint_is_k(c, 0, a) || !lint_is_k(c, 1, b))
		return 0;
	c->i += 2;
	return 1;
}

static int lint_accept_if_exists(struct lint_cur *c)
{
	return lint_accept2(c, "if", "exists");
}

static int lint_accept_if_not_exists(struct lint_cur *c)
{
	if (!lint_is_k(c, 0, "if") || !lint_is_k(c, 1, "not") || !lint_is_k(c, 2, "exists"))
		return 0;
	c->i += 3;
	return 1;
}

/* Step over one token, or over a whole parenthesised group. */
static void lint_skip(struct lint_cur *c)
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
static size_t lint_find_top(const struct lint_cur *c, const char *kw)
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
static int lint_has_not_valid(const struct lint_cur *c)
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
static void lint_fmt(char *out, size_t size, const char *fmt, ...) ZDM_PRINTF(3, 4);

static void lint_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

/* Normalise one identifier token: unquoted words fold to lower case,
 * quoted ones lose their quotes and keep their case. */
static int lint_ident_tok(const struct sql_token *t, char *out, size_t size)
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
			p += 2;   /* U&"..." */
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

static int lint_ident(struct lint_cur *c, char *out, size_t size)
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
static int lint_qname(struct lint_cur *c, char *out, size_t size)
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
static const char *lint_basename(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot ? dot + 1 : name;
}

/* Qualify an unqualified object name with the schema of `like`. */
static void lint_qualify_like(const char *name, const char *like, char *out, size_t size)
{
	const char *dot = strrchr(like, '.');

	if (strchr(name, '.') || !dot)
		lint_fmt(out, size, "%s", name);
	else
		lint_fmt(out, size, "%.*s.%s", (int)(dot - like), like, name);
}

/* ----------------------------------------------------------------- types */

static int lint_word_in(const char *w, const char *const *list)
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
static void lint_type_parse(const struct sql_token *t, size_t a, size_t b,
			    struct lint_type *ty)
{
	static const struct { const char *from, *to; } alias[] = {
		{ "character varying", "varchar" }, { "char varying", "varchar" },
		{ "character", "bpchar" }, { "char", "bpchar" },
		{ "int", "int4" }, { "integer", "int4" }, { "bigint", "int8" },
		{ "smallint", "int2" }, { "decimal", "numeric" }, { "dec", "numeric" },
		{ "double precision", "float8" }, { "real", "float4" }, { "float", "float8" },
		{ "timestamp without time zone", "timestamp" },
		{ "timestamp with time zone", "timestamptz" },
		{ "time without time zone", "time" }, { "time with time zone", "timetz" },
		{ "boolean", "bool" }, { "bit varying", "varbit" },
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
	       (x->nmod < 1 || x->mod[0] == y->mod[0]) &&
	       (x->nmod < 2 || x->mod[1] == y->mod[1]);
}

/* Does changing `from` to `to` keep every value and skip the rewrite? The
 * documented list: the same type; varchar(n) to varchar(m >= n), to
 * unconstrained varchar or to text; text to unconstrained varchar;
 * numeric(p,s) to numeric(q >= p, s) or to unconstrained numeric. */
static int lint_type_widens(const struct lint_type *from, const struct lint_type *to)
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

static int lint_type_is_serial(const struct lint_type *ty)
{
	static const char *const serial[] = { "serial", "serial4", "serial8", "bigserial",
					      "smallserial", "serial2", NULL };
	return lint_word_in(ty->base, serial);
}

/* --------------------------------------------------------------- the run */

/* What a statement means for the transaction=off mixing rule. */
enum lint_kind {
	LINT_KIND_TX = 0,    /* should run in a transaction */
	LINT_KIND_CIC,       /* the CONCURRENTLY family */
	LINT_KIND_NOTX,      /* cannot run in a transaction (VACUUM, ...) */
	LINT_KIND_HARMLESS,  /* SET, SELECT, ANALYZE: fine either way */
	LINT_KIND_NEUTRAL,   /* transaction control */
};

struct lint_run {
	struct lint_ctx *ctx;
	const struct lint_file *f;
	struct lint_report *out;
	size_t first;              /* out->n when the file started */
	long file;                 /* this file's index in the context */
	size_t stmt;
	const struct sql_stmt *st;
	enum lint_kind kind;
	int explicit_tx;           /* line of a BEGIN in a transaction=off file */
	/* for the mixing rule: the first CONCURRENTLY and transactional ones */
	int cic_line;
	char cic_what[64];
	int has_tx;
	size_t tx_stmt;
	const struct sql_token *tx_tok;
	/* objects this file creates: "v:" views, "f:" functions, "t:" types,
	 * "g:" triggers, "n:" constraints added NOT VALID ("table/name"),
	 * followed by the normalised name */
	char **made;
	size_t nmade, capmade;
	/* a small ring of buffers for names quoted as SQL (lint_q) */
	char qbuf[8][2 * LINT_NAME + 8];
	unsigned qnext;
};

static int lint_made(const struct lint_run *r, char kind, const char *name)
{
	for (size_t i = 0; i < r->nmade; i++)
		if (r->made[i][0] == kind && strcmp(r->made[i] + 2, name) == 0)
			return 1;
	return 0;
}

/* Remember an object of this file (see struct lint_run.made). */
static void lint_remember(struct lint_run *r, char kind, const char *name)
{
	r->made = lint_grow(r->made, &r->capmade, r->nmade, sizeof(*r->made));
	r->made[r->nmade++] = xasprintf("%c:%s", kind, name);
}

/* Was this table created earlier in the file being linted? */
static int lint_here(const struct lint_run *r, const char *table)
{
	const struct lint_table *t = lint_table_find(r->ctx, table);
	return t && t->created == r->file;
}

/* A normalised name written back as SQL for the examples in hints:
 * "schema.name" parts that are not plain lower-case identifiers get
 * double quotes. */
static void lint_sqlname(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	const char *part = name;

	for (;;) {
		const char *dot = strchr(part, '.');
		size_t len = dot ? (size_t)(dot - part) : strlen(part);
		int plain = len > 0 && (islower((unsigned char)part[0]) || part[0] == '_');
		for (size_t i = 0; i < len && plain; i++)
			plain = islower((unsigned char)part[i]) || isdigit((unsigned char)part[i]) ||
				part[i] == '_' || part[i] == '$';
		if (!plain && n + 1 < cap)
			out[n++] = '"';
		for (size_t i = 0; i < len && n + 2 < cap; i++) {
			if (!plain && part[i] == '"')
				out[n++] = '"';
			out[n++] = part[i];
		}
		if (!plain && n + 1 < cap)
			out[n++] = '"';
		if (!dot || n + 1 >= cap)
			break;
		out[n++] = '.';
		part = dot + 1;
	}
	out[n] = '\0';
}

/* lint_sqlname into the next buffer of the ring: valid for the few calls
 * that build one message. */
static const char *lint_q(struct lint_run *r, const char *name)
{
	char *out = r->qbuf[r->qnext++ % ZDM_ARRAY_LEN(r->qbuf)];

	lint_sqlname(name, out, sizeof(r->qbuf[0]));
	return out;
}

/* lint_q of a name made from a format, e.g. "<table>_<column>_fkey". */
static const char *lint_qf(struct lint_run *r, const char *fmt, ...) ZDM_PRINTF(2, 3);

static const char *lint_qf(struct lint_run *r, const char *fmt, ...)
{
	char name[2 * LINT_NAME];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return lint_q(r, name);
}

/* Was this table created, or this view made, in the file being linted? */
static int lint_here_rel(const struct lint_run *r, const char *name)
{
	return lint_here(r, name) || lint_made(r, 'v', name);
}

/* Copy source text from byte offset a to b with whitespace runs squeezed,
 * cut with "..." beyond max bytes. Caller frees. */
static char *lint_snippet(const struct lint_run *r, size_t a, size_t b, size_t max)
{
	struct sb s;
	int space = 0;

	sb_init(&s);
	if (b > r->f->len)
		b = r->f->len;
	for (size_t i = a; i < b; i++) {
		char ch = r->f->src[i];
		if (isspace((unsigned char)ch)) {
			space = 1;
			continue;
		}
		if (space && s.len > 0)
			sb_addc(&s, ' ');
		space = 0;
		if (s.len >= max) {
			sb_adds(&s, "...");
			break;
		}
		sb_addc(&s, ch);
	}
	return sb_steal(&s);
}

/* The statement's text from token k to its end, squeezed. */
static char *lint_rest(const struct lint_run *r, size_t k)
{
	const struct sql_stmt *st = r->st;
	if (k >= st->ntoks)
		return xstrdup("");
	return lint_snippet(r, st->toks[k].off, st->off + st->len, 120);
}

/* The text of tokens [a, b), squeezed. */
static char *lint_text(const struct lint_run *r, size_t a, size_t b)
{
	const struct sql_stmt *st = r->st;
	if (a >= b || a >= st->ntoks)
		return xstrdup("");
	return lint_snippet(r, st->toks[a].off, st->toks[b - 1].off + st->toks[b - 1].len, 80);
}

static void lint_add_at(struct lint_run *r, enum lint_rid id, size_t stmt, int line, int col,
			char *hint, const char *fmt, ...) ZDM_PRINTF(7, 8);

/* Append a finding; takes ownership of hint. */
static void lint_add_at(struct lint_run *r, enum lint_rid id, size_t stmt, int line, int col,
			char *hint, const char *fmt, ...)
{
	struct lint_report *out = r->out;
	struct lint_finding *f;
	struct sb msg;
	va_list ap;

	if (r->f->learn_only) {
		free(hint);
		return;
	}
	sb_init(&msg);
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	out->v = lint_grow(out->v, &out->cap, out->n, sizeof(*out->v));
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(r->f->path ? r->f->path : "");
	f->stmt = stmt;
	f->line = line;
	f->col = col > 0 ? col : 1;
	f->cls = lint_rules[id].cls;
	f->rule = lint_rules[id].id;
	f->message = sb_steal(&msg);
	f->hint = hint ? hint : xstrdup("");
	switch (f->cls) {
	case LINT_CONTRACT:
		if (r->f->guarded_contract) {
			f->allowed = LINT_ALLOWED_BY_PHASE;
			f->allow_reason = xstrdup("guarded contract (phase=contract with requires-app)");
		} else {
			f->refusing = 1;
		}
		break;
	case LINT_BLOCKING:
	case LINT_TXMISUSE:
	case LINT_DIRECTIVE:
		f->refusing = 1;
		break;
	case LINT_EXPAND:
	case LINT_UNKNOWN:
		break;
	}
}

#define lint_add(r, id, tok, hint, ...)                                        \
	lint_add_at((r), (id), (r)->stmt, (tok)->line, (tok)->col, (hint), __VA_ARGS__)

static const char lint_contract_hint[] =
	"do it in a guarded contract migration (\"-- zdm: phase=contract "
	"requires-app=<first version that no longer uses it>\")";

/* Report a statement zdm does not recognise. */
static void lint_unknown(struct lint_run *r, const struct sql_token *at, const char *what)
{
	char head[64];

	if (!what) {
		sql_stmt_head(r->st, 3, head, sizeof(head));
		what = head;
	}
	lint_add(r, R_UNKNOWN, at,
		 xstrdup("check it by hand; when it is safe, put -- zdm: allow=unknown-statement "
			 "reason=\"<why>\" on the line before it"),
		 "zdm does not recognise \"%s\" and cannot tell whether it is safe", what);
}

/* A statement that cannot run inside a transaction block. */
static void lint_need_no_tx(struct lint_run *r, const struct sql_token *at, const char *what)
{
	if (r->f->transactional)
		lint_add(r, R_NEEDS_TX_OFF, at,
			 xasprintf("move it to its own file that starts with \"-- zdm: "
				   "transaction=off\", e.g. a file holding only \"%s ...;\"", what),
			 "\"%s\" cannot run inside a transaction block, and zdm runs this "
			 "file in one", what);
	else if (r->explicit_tx)
		lint_add(r, R_NEEDS_TX_OFF, at,
			 xstrdup("run it outside BEGIN ... COMMIT: a transaction=off file "
				 "runs each statement on its own"),
			 "\"%s\" cannot run inside the transaction opened at line %d", what,
			 r->explicit_tx);
}

/* Mark the statement as one of the CONCURRENTLY family. */
static void lint_cic(struct lint_run *r, const struct sql_token *at, const char *what)
{
	r->kind = LINT_KIND_CIC;
	if (!r->cic_line) {
		r->cic_line = at->line;
		lint_fmt(r->cic_what, sizeof(r->cic_what), "%s", what);
	}
	lint_need_no_tx(r, at, what);
}

/* ------------------------------------------------------------ column defs */

static const char *const lint_colcons_kw[] = {
	"constraint", "not", "null", "default", "check", "unique", "primary", "references",
	"generated", "collate", "deferrable", "initially", "compression", "storage", NULL
};

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
		"random", "random_normal", "gen_random_uuid", "gen_random_bytes", "uuidv4",
		"uuidv7", "clock_timestamp", "timeofday", "nextval", "setseed", NULL
	};
	return lint_word_in(name, fns) || strncmp(name, "uuid_generate_", 14) == 0;
}

/* If tokens [a, b) (inside a CHECK's parentheses) read "col IS NOT NULL",
 * put col in out and return 1. */
static int lint_notnull_expr(const struct sql_token *t, size_t a, size_t b, char *out,
			     size_t size)
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
static size_t lint_group_end(const struct lint_cur *c)
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
	size_t default_a, default_b;             /* the default expression */
	int default_null;                        /* DEFAULT NULL */
	const struct sql_token *volatile_tok;    /* the volatile function called */
	const struct sql_token *check_tok;
	int check_notnull;                       /* CHECK (name IS NOT NULL) */
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
			lint_skip(c);   /* the first token is always the expression */
			while (c->i < c->end && !lint_at_colcons(c))
				lint_skip(c);
			d->default_null = c->i == a + 1 && sql_tok_is(&c->t[a], "null");
			d->default_a = a;
			d->default_b = c->i;
			for (size_t k = a; k + 1 < c->i; k++) {
				if (c->t[k].type == SQL_TOK_WORD && sql_tok_is_punct(&c->t[k + 1], '(')) {
					lint_ident_tok(&c->t[k], tmp, sizeof(tmp));
					if (lint_volatile_fn(tmp) && !d->volatile_tok)
						d->volatile_tok = &c->t[k];
				}
			}
		} else if (lint_accept(c, "check")) {
			d->check_tok = t;
			if (lint_is_punct(c, '(')) {
				size_t e = lint_group_end(c);
				d->check_notnull = lint_notnull_expr(c->t, c->i, e, tmp, sizeof(tmp)) &&
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
				if (lint_is(c, "on") && (lint_is_k(c, 1, "delete") || lint_is_k(c, 1, "update"))) {
					c->i += 2;
					if (!lint_accept(c, "set"))
						lint_accept(c, "no");
					c->i++;   /* NULL, DEFAULT, ACTION, CASCADE, RESTRICT */
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
			lint_skip(c);   /* NULL, DEFERRABLE, NULLS NOT DISTINCT, WITH (...) */
		}
	}
	return 0;
}

/* ------------------------------------------------------- table constraints */

enum lint_tc_kind { LINT_TC_OTHER, LINT_TC_CHECK, LINT_TC_UNIQUE, LINT_TC_PK, LINT_TC_FK,
		    LINT_TC_EXCLUDE };

struct lint_tcons {
	enum lint_tc_kind kind;
	const struct sql_token *kind_tok;
	char name[LINT_NAME];
	int not_valid;
	int using_index;
	int notnull;                 /* CHECK (col IS NOT NULL) */
	char col[LINT_NAME];
	char ref[LINT_NAME];         /* the referenced table */
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
static void lint_check_name(const struct lint_tcons *k, const char *table, char *out,
			    size_t size)
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
		return;   /* a no-op when it exists: it is not new */
	t = lint_table_get(r->ctx, name);
	lint_table_clear(t);
	t->created = r->file;
	for (size_t i = r->ctx->nchecks; i-- > 0;)
		if (strcmp(r->ctx->checks[i].table, name) == 0)
			lint_check_remove_at(r->ctx, i);
	if (!lint_is_punct(c, '('))
		return;   /* AS, OF, PARTITION OF */
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
						lint_check_add(r->ctx, name, tc.col, cn, !tc.not_valid);
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
		lint_cic(r, conc, unique ? "CREATE UNIQUE INDEX CONCURRENTLY" :
					   "CREATE INDEX CONCURRENTLY");
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
static void lint_prescan(struct lint_run *r)
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
static void lint_create(struct lint_run *r, struct lint_cur *c)
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
			"view", "function", "procedure", "trigger", "sequence", "type",
			"extension", "schema", "domain", "role", "user", "group", "policy",
			"aggregate", "cast", "collation", "operator", "rule", "statistics",
			"text", "language", "conversion", "event", "publication", "foreign",
			"server", "access", "transform", NULL
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
	int here;      /* created earlier in this file */
	const char *what;   /* "table", "view", "materialized view" */
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
				   strstr(d.type.base, "big") || strcmp(d.type.base, "serial8") == 0 ?
				   "bigint" : "integer", qt, qc, qt),
			 "adding %s column \"%s\".\"%s\" fills every row from a sequence and "
			 "rewrites the table under an ACCESS EXCLUSIVE lock", type, a->table, d.name);
	if (d.identity_tok)
		lint_add(r, R_VOLATILE_DEFAULT, d.identity_tok,
			 xasprintf("add the column nullable without identity, backfill it in batches "
				   "(\"-- zdm: backfill table=%s\"), then ALTER TABLE %s ALTER COLUMN "
				   "%s ADD GENERATED BY DEFAULT AS IDENTITY;", qt, qt, qc),
			 "adding identity column \"%s\".\"%s\" numbers every row and rewrites the "
			 "table under an ACCESS EXCLUSIVE lock", a->table, d.name);
	if (d.stored_tok)
		lint_add(r, R_STORED_GENERATED, d.stored_tok,
			 xasprintf("add a plain column, keep it filled with a trigger, and backfill "
				   "existing rows in batches (\"-- zdm: backfill table=%s\")", qt),
			 "adding stored generated column \"%s\".\"%s\" computes every row and "
			 "rewrites the table under an ACCESS EXCLUSIVE lock", a->table, d.name);
	if (d.volatile_tok) {
		char fn[LINT_NAME];
		lint_ident_tok(d.volatile_tok, fn, sizeof(fn));
		def = lint_text(r, d.default_a, d.default_b);
		lint_add(r, R_VOLATILE_DEFAULT, d.volatile_tok,
			 xasprintf("add the column without the default, then set it for new rows "
				   "and backfill old ones in batches, e.g. ALTER TABLE %s ADD COLUMN "
				   "%s %s; ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s; and "
				   "\"-- zdm: backfill table=%s\"", qt, qc, type, qt, qc, def, qt),
			 "adding column \"%s\".\"%s\" with volatile default %s() rewrites table "
			 "\"%s\" under an ACCESS EXCLUSIVE lock", a->table, d.name, fn, a->table);
	}
	if (d.notnull_tok && (!d.default_tok || d.default_null) && !d.identity_tok &&
	    !d.stored_tok && !lint_type_is_serial(&d.type))
		lint_add(r, R_ADD_REQUIRED_COLUMN, d.notnull_tok,
			 xasprintf("give it a constant default, e.g. ALTER TABLE %s ADD COLUMN %s %s "
				   "NOT NULL DEFAULT <value>; or add it nullable, backfill, and set "
				   "NOT NULL in a guarded contract migration", qt, qc, type),
			 "adding NOT NULL column \"%s\".\"%s\" without a default makes inserts "
			 "from old code fail", a->table, d.name);
	if (d.fk_tok)
		lint_add(r, R_CONSTRAINT_NOT_VALID, d.fk_tok,
			 xasprintf("add the column first, then the key NOT VALID and validate it in "
				   "a later file: ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) "
				   "REFERENCES %s NOT VALID; then ALTER TABLE %s VALIDATE CONSTRAINT %s;",
				   qt, lint_qf(r, "%s_%s_fkey", tb, d.name), qc, lint_q(r, d.fk_table), qt,
				   lint_qf(r, "%s_%s_fkey", tb, d.name)),
			 "adding column \"%s\".\"%s\" with a foreign key scans the table and blocks "
			 "writes to \"%s\" and \"%s\"", a->table, d.name, a->table, d.fk_table);
	if (d.check_tok)
		lint_add(r, R_CONSTRAINT_NOT_VALID, d.check_tok,
			 xasprintf("add the column first, then the check NOT VALID and validate it "
				   "in a later file: ALTER TABLE %s ADD CONSTRAINT %s CHECK (...) NOT "
				   "VALID;", qt, lint_qf(r, "%s_%s_check", tb, d.name)),
			 "adding column \"%s\".\"%s\" with a CHECK scans the whole table under an "
			 "ACCESS EXCLUSIVE lock", a->table, d.name);
	if (d.unique_tok || d.pk_tok) {
		const char *kw = d.pk_tok ? "PRIMARY KEY" : "UNIQUE";
		const char *idx = lint_qf(r, "%s_%s_%s", tb, d.name, d.pk_tok ? "pkey" : "key");
		lint_add(r, R_CONSTRAINT_BUILDS_INDEX, d.unique_tok ? d.unique_tok : d.pk_tok,
			 xasprintf("add the column, build the index with CREATE UNIQUE INDEX "
				   "CONCURRENTLY %s ON %s (%s); in a transaction=off file, then ALTER "
				   "TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;", idx, qt, qc, qt, idx,
				   kw, idx),
			 "adding column \"%s\".\"%s\" with %s builds its index under an ACCESS "
			 "EXCLUSIVE lock", a->table, d.name, kw);
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
				   "VALIDATE CONSTRAINT %s;", lint_q(r, a->table),
				   k.name[0] ? lint_q(r, k.name) : "<name>", lint_q(r, a->table),
				   k.name[0] ? lint_q(r, k.name) : "<name>"),
			 "adding check constraint%s%s%s on \"%s\" without NOT VALID scans the whole "
			 "table under an ACCESS EXCLUSIVE lock", k.name[0] ? " \"" : "", k.name,
			 k.name[0] ? "\"" : "", a->table);
		lint_add(r, R_ADD_CHECK_CONSTRAINT, k.kind_tok,
			 xasprintf("add it NOT VALID once every running version writes values that "
				   "pass it, then VALIDATE it in a later file, or %s", lint_contract_hint),
			 "adding check constraint%s%s%s on \"%s\" makes writes from old code that "
			 "violate it fail", k.name[0] ? " \"" : "", k.name, k.name[0] ? "\"" : "",
			 a->table);
		break;
	case LINT_TC_FK:
		if (k.not_valid)
			break;
		lint_add(r, R_CONSTRAINT_NOT_VALID, k.kind_tok,
			 xasprintf("add it NOT VALID, then validate it in a later file: ALTER TABLE "
				   "%s ADD CONSTRAINT %s FOREIGN KEY (...) REFERENCES %s NOT VALID; "
				   "then ALTER TABLE %s VALIDATE CONSTRAINT %s;", lint_q(r, a->table),
				   k.name[0] ? lint_q(r, k.name) : "<name>", lint_q(r, k.ref),
				   lint_q(r, a->table), k.name[0] ? lint_q(r, k.name) : "<name>"),
			 "adding foreign key%s%s%s on \"%s\" without NOT VALID scans the table and "
			 "blocks writes to \"%s\" and \"%s\"", k.name[0] ? " \"" : "", k.name,
			 k.name[0] ? "\"" : "", a->table, a->table, k.ref);
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
					   "%s ADD CONSTRAINT %s %s USING INDEX %s;", idx, qt, qt, idx, kw,
					   idx),
				 "adding %s constraint%s%s%s to \"%s\" builds its index under an ACCESS "
				 "EXCLUSIVE lock", kw, k.name[0] ? " \"" : "", k.name,
				 k.name[0] ? "\"" : "", a->table);
		}
		if (k.kind == LINT_TC_UNIQUE)
			lint_add(r, R_ADD_UNIQUE_CONSTRAINT, k.kind_tok,
				 xasprintf("build a unique index CONCURRENTLY once no running version "
					   "writes duplicates, then attach it with ADD CONSTRAINT ... "
					   "UNIQUE USING INDEX, or %s", lint_contract_hint),
				 "adding unique constraint%s%s%s on \"%s\" makes writes from old code "
				 "that duplicate values fail", k.name[0] ? " \"" : "", k.name,
				 k.name[0] ? "\"" : "", a->table);
		break;
	case LINT_TC_EXCLUDE:
		lint_add(r, R_CONSTRAINT_BUILDS_INDEX, k.kind_tok,
			 xstrdup("an exclusion constraint has no concurrent form: add it while the "
				 "table is small, or allow it explicitly for a maintenance window"),
			 "adding exclusion constraint%s%s%s to \"%s\" builds its index under an "
			 "ACCESS EXCLUSIVE lock", k.name[0] ? " \"" : "", k.name,
			 k.name[0] ? "\"" : "", a->table);
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
			c->i += 3;   /* SET DATA TYPE */
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
			 "that reads or writes the old type", a->table, col, newtype);
		lint_add(r, R_COLUMN_TYPE_REWRITE, t,
			 xasprintf("only widening varchar(n) to a larger n or to text, or numeric "
				   "precision at the same scale, avoids the rewrite; otherwise add "
				   "a new column and backfill it in batches (\"-- zdm: backfill "
				   "table=%s\")", lint_q(r, a->table)),
			 "changing column \"%s\".\"%s\" %s%s%sto type \"%s\" rewrites table \"%s\" under an "
			 "ACCESS EXCLUSIVE lock%s", a->table, col,
			 oldtype ? "from \"" : "", oldtype ? oldtype : "", oldtype ? "\" " : "",
			 newtype, a->table,
			 using ? " (USING always rewrites)" :
			 oldtype ? "" : " (zdm does not know its old type)");
		free(newtype);
		free(oldtype);
		return;
	}
	if (lint_is(c, "set") && lint_is_k(c, 1, "not") && lint_is_k(c, 2, "null")) {
		if (a->here)
			return;
		lint_add(r, R_SET_NOT_NULL_WRITERS, t,
			 xasprintf("ship code that always writes \"%s\" and backfill the NULLs first, "
				   "then %s", col, lint_contract_hint),
			 "setting NOT NULL on \"%s\".\"%s\" makes inserts and updates from old code "
			 "that send NULL fail", a->table, col);
		if (!lint_check_valid(r->ctx, a->table, col))
			lint_add(r, R_SET_NOT_NULL, t,
				 xasprintf("first ALTER TABLE %s ADD CONSTRAINT %s CHECK "
					   "(%s IS NOT NULL) NOT VALID; then ALTER TABLE %s VALIDATE "
					   "CONSTRAINT %s; SET NOT NULL then uses the "
					   "constraint and skips the scan", lint_q(r, a->table),
					   lint_qf(r, "%s_%s_not_null", lint_basename(a->table), col),
					   lint_q(r, col), lint_q(r, a->table),
					   lint_qf(r, "%s_%s_not_null", lint_basename(a->table), col)),
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
				   "then %s", identity ? "identity" : "default", col, lint_contract_hint),
			 "dropping the %s of \"%s\".\"%s\" makes inserts from old code that omit "
			 "the column fail or store NULL", identity ? "identity" : "default",
			 a->table, col);
		return;
	}
	if (lint_is(c, "set") && lint_is_k(c, 1, "expression")) {
		if (!a->here)
			lint_add(r, R_TABLE_REWRITE, t,
				 xasprintf("add a new generated column or a trigger-filled column and "
					   "backfill it in batches (\"-- zdm: backfill table=%s\")",
					   lint_q(r, a->table)),
				 "changing the expression of \"%s\".\"%s\" recomputes every row and rewrites the "
				 "table under an ACCESS EXCLUSIVE lock", a->table, col);
		return;
	}
	if (lint_is(c, "set") || lint_is(c, "drop") || lint_is(c, "reset") ||
	    lint_is(c, "add") || lint_is(c, "restart"))
		return;   /* SET DEFAULT, DROP NOT NULL, SET STATISTICS, ADD GENERATED... */
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
				   strcmp(a->what, "table") == 0 ? "TABLE" :
				   strcmp(a->what, "view") == 0 ? "VIEW" : "MATERIALIZED VIEW",
				   lint_q(r, a->table), moving ? "SET SCHEMA" : "RENAME TO",
				   moving ? lint_q(r, schema) : lint_q(r, lint_basename(to)),
				   lint_q(r, a->table), lint_q(r, to)),
			 "%s %s \"%s\" to \"%s\" breaks old code that still uses the old name",
			 how, a->what, a->table, to);
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
					   lint_contract_hint, lint_q(r, a->table), lint_q(r, name)),
				 "dropping column \"%s\".\"%s\" breaks old code that still selects or "
				 "inserts it", a->table, name);
		return;
	}
	if (lint_is(c, "alter")) {
		c->i++;
		if (lint_accept(c, "constraint"))
			return;   /* ALTER CONSTRAINT ... DEFERRABLE */
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
				 "uses the old name", a->table, name, to);
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
					   "VALIDATE CONSTRAINT %s;", lint_q(r, a->table), lint_q(r, name)),
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
				 "\"%s\" rewrites %s \"%s\" under an ACCESS EXCLUSIVE lock", what, a->what,
				 a->table);
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
				   "with \"-- zdm: transaction=off\"", lint_q(r, a->table), lint_q(r, name)),
			 "detaching partition \"%s\" from \"%s\" without CONCURRENTLY takes an ACCESS "
			 "EXCLUSIVE lock on the parent", name, a->table);
		return;
	}
	if (lint_is(c, "attach")) {
		if (!a->here)
			lint_unknown(r, t, "ATTACH PARTITION");
		return;
	}
	{
		static const char *const harmless[] = {
			"set", "reset", "owner", "enable", "disable", "force", "no", "inherit",
			"replica", "cluster", "of", "not", NULL
		};
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
		lint_skip(c);   /* a function's argument list */
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
			 "or compares the old label", from, name, label);
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
				 xasprintf("create the new schema, move objects and code over, and drop "
					   "the old one in a guarded contract migration"),
				 "renaming schema \"%s\" to \"%s\" breaks old code that qualifies names "
				 "with it", name, to);
		else if (!(is_type && lint_made(r, 't', name)))
			lint_add(r, R_RENAME_OBJECT, t,
				 xasprintf("create the object under the new name alongside the old one, "
					   "move the app to it, and drop the old one in a guarded "
					   "contract migration"),
				 "%s %s \"%s\" to %s\"%s\" breaks old code that still uses the old "
				 "name", moving ? "moving" : "renaming", kind, name,
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
				   "domain %s can pause", lint_q(r, name)),
			 "validating a constraint of domain \"%s\" holds a SHARE lock on every "
			 "table that uses it, blocking their writes for the whole scan", name);
		return;
	}
	if (is_domain && lint_is(c, "add") && !lint_has_not_valid(c)) {
		lint_add(r, R_CONSTRAINT_NOT_VALID, t,
			 xasprintf("add it NOT VALID, then ALTER DOMAIN %s VALIDATE CONSTRAINT "
				   "<name>; in a later file", lint_q(r, name)),
			 "adding a constraint to domain \"%s\" without NOT VALID scans every column "
			 "of that type", name);
		return;
	}
	if (is_domain && lint_is(c, "set") && lint_is_k(c, 1, "not")) {
		lint_add(r, R_SET_NOT_NULL, t,
			 xasprintf("add a CHECK (VALUE IS NOT NULL) NOT VALID to domain %s and "
				   "validate it in a later file", lint_q(r, name)),
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
static void lint_alter(struct lint_run *r, struct lint_cur *c)
{
	static const char *const other[] = {
		"type", "schema", "sequence", "function", "procedure", "routine",
		"aggregate", "domain", "trigger", "policy", "extension", "role", "user",
		"group", "database", "statistics", "publication", "collation", "operator",
		"server", "language", "conversion", "event", "text", "default", "large", NULL
	};
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
		return;   /* metadata, privileges and settings */
	if (strcmp(kind, "procedure") == 0 || strcmp(kind, "routine") == 0)
		lint_fmt(kind, sizeof(kind), "function");
	lint_alter_other(r, c, kind);
}

/* ------------------------------------------------------------------- DROP */

/* DROP ...: contract for anything old code may use, unless this file made it
 * (or, in one transaction, makes it again); DROP INDEX is about the lock. */
static void lint_drop(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *drop = &c->t[0], *conc = NULL;
	enum lint_rid rid;
	const char *what;
	char kind = 0;     /* the lint_made kind that makes a DROP a replacement */
	char name[LINT_NAME];
	struct sb unsafe;
	size_t nunsafe = 0, nnames = 0;
	int index = 0, table = 0, trigger = 0, schema = 0;
	char w[32] = "";

	if (lint_accept(c, "table") || lint_accept2(c, "foreign", "table")) {
		rid = R_DROP_TABLE; what = "table"; table = 1;
	} else if (lint_accept(c, "index")) {
		rid = R_DROP_INDEX_NOT_CONCURRENT; what = "index"; index = 1;
	} else if (lint_accept(c, "view")) {
		rid = R_DROP_VIEW; what = "view"; kind = 'v';
	} else if (lint_accept2(c, "materialized", "view")) {
		rid = R_DROP_VIEW; what = "materialized view"; kind = 'v';
	} else if (lint_accept(c, "schema")) {
		rid = R_DROP_SCHEMA; what = "schema"; schema = 1;
	} else if (lint_accept(c, "function") || lint_accept(c, "procedure") ||
		   lint_accept(c, "routine") || lint_accept(c, "aggregate")) {
		rid = R_DROP_FUNCTION; what = "function"; kind = 'f';
	} else if (lint_accept(c, "type")) {
		rid = R_DROP_TYPE; what = "type"; kind = 't';
	} else if (lint_accept(c, "domain")) {
		rid = R_DROP_TYPE; what = "domain"; kind = 't';
	} else if (lint_accept(c, "database")) {
		r->kind = LINT_KIND_NOTX;
		lint_need_no_tx(r, drop, "DROP DATABASE");
		rid = R_DROP_DATABASE; what = "database";
	} else if (lint_accept(c, "trigger")) {
		rid = R_DROP_OBJECT; what = "trigger"; trigger = 1; kind = 'g';
	} else if (lint_accept(c, "statistics")) {
		return;   /* planner statistics: nothing breaks */
	} else {
		static const char *const objects[] = {
			"sequence", "extension", "rule", "policy", "cast", "operator", "collation",
			"language", "server", "publication", "conversion", "transform", "event",
			"text", "foreign", "access", NULL
		};
		static const char *const more[] = {
			"trigger", "search", "configuration", "dictionary", "parser", "template",
			"data", "wrapper", "method", NULL
		};
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
			lint_skip(c);   /* function arguments */
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
			safe = 1;   /* dropped and created again in one transaction */
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
				   "transaction=off\" (one index per statement)", lint_q(r, name)),
			 "dropping index %s without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on "
			 "its table and waits behind every query", unsafe.buf);
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
	static const char *const clocks[] = { "now", "current_date", "current_timestamp",
					      "localtimestamp", "statement_timestamp",
					      "transaction_timestamp", "clock_timestamp", "interval",
					      "date", "timestamp", "timestamptz" };

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
		while (k > where + 1 && (sql_tok_is_punct(&c->t[k - 1], '(') ||
					  sql_tok_is_punct(&c->t[k - 1], '-') ||
					  sql_tok_is_punct(&c->t[k - 1], ',')))
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
		return;   /* zdm runs it in batches / a new table has no rows */
	where = lint_find_top(c, "where");
	if (lint_where_bounds(c, where))
		return;
	lint_add(r, R_UNBATCHED_BACKFILL, verb,
		 xasprintf("run it as a batched backfill with \"-- zdm: backfill table=%s\" "
			   "(primary-key batches, each its own short transaction), or give it a "
			   "WHERE clause that limits the rows", lint_q(r, name)),
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
				   "backfill, or %s", lint_contract_hint),
			 "truncating %s deletes data old code still reads%s", unsafe.buf,
			 lint_find_top(c, "cascade") != (size_t)-1 ?
			 " (CASCADE also empties every table that references it)" : "");
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
			 "query on the table queues behind it", first);
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
			    !(k + 1 < e && (sql_tok_is(&c->t[k + 1], "false") ||
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
			 "write it meanwhile", any ? "the table" : "every table");
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
		lint_fmt(name, sizeof(name), "%s", on);   /* CLUSTER index ON table */
	if (name[0] && lint_here(r, name))
		return;
	lint_add(r, R_CLUSTER, verb,
		 xstrdup("use pg_repack --order-by, which reorders the table online"),
		 "clustering %s%s%s rewrites it under an ACCESS EXCLUSIVE lock", name[0] ? "\"" : "",
		 name[0] ? name : "every clustered table", name[0] ? "\"" : "");
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
			   "transaction=off\"", what[0] ? upper : "INDEX",
			   name[0] ? lint_q(r, name) : "<name>"),
		 "reindexing %s%s%s%s without CONCURRENTLY blocks writes to the table while it "
		 "rebuilds", what[0] ? what : "index", name[0] ? " \"" : "", name, name[0] ? "\"" : "");
}

/* REFRESH MATERIALIZED VIEW: CONCURRENTLY or readers wait. */
static void lint_refresh(struct lint_run *r, struct lint_cur *c)
{
	const struct sql_token *verb = &c->t[0];
	char name[LINT_NAME];

	if (!lint_accept2(c, "materialized", "view"))
		return lint_unknown(r, verb, NULL);
	if (lint_accept(c, "concurrently"))
		return;   /* allowed in a transaction; needs a unique index */
	if (lint_qname(c, name, sizeof(name)) < 0)
		return lint_unknown(r, verb, NULL);
	if (lint_made(r, 'v', name))
		return;
	lint_add(r, R_REFRESH_NOT_CONCURRENT, verb,
		 xasprintf("give the view a unique index and use REFRESH MATERIALIZED VIEW "
			   "CONCURRENTLY %s;", lint_q(r, name)),
		 "refreshing materialized view \"%s\" without CONCURRENTLY blocks every reader "
		 "until it finishes", name);
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
static void lint_statement(struct lint_run *r)
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
			 "%d, and nothing after that is checked", r->st->end_line);
		return;
	}
	if (t->type != SQL_TOK_WORD) {
		if (sql_tok_is_punct(t, '('))
			r->kind = LINT_KIND_HARMLESS;   /* (SELECT ...) */
		else
			lint_unknown(r, t, NULL);
		return;
	}
	c.i++;
	if (sql_tok_is(t, "with")) {
		/* skip the CTEs to the main verb */
		while (c.i < c.end && !(lint_is(&c, "select") || lint_is(&c, "insert") ||
					 lint_is(&c, "update") || lint_is(&c, "delete") ||
					 lint_is(&c, "merge")))
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
		return;   /* expand */
	if (sql_tok_is(t, "do"))
		return lint_unknown(r, t, "DO block");
	lint_unknown(r, t, NULL);
}

/* ---------------------------------------------------------------- a file */

static int lint_finding_cmp(const struct lint_finding *x, const struct lint_finding *y)
{
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

/* Stable insertion sort of the file's findings by position. */
static void lint_sort(struct lint_finding *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct lint_finding key = v[i];
		size_t k = i;
		while (k > 0 && lint_finding_cmp(&v[k - 1], &key) > 0) {
			v[k] = v[k - 1];
			k--;
		}
		v[k] = key;
	}
}

/* Match the caller's allows against this file's findings. */
static void lint_apply_allows(struct lint_run *r)
{
	const struct lint_file *f = r->f;

	for (size_t a = 0; a < f->nallows; a++) {
		const struct lint_allow *al = &f->allows[a];
		int used = 0;

		for (size_t k = r->first; k < r->out->n; k++) {
			struct lint_finding *fd = &r->out->v[k];
			if (fd->stmt != al->stmt || !al->rule || strcmp(fd->rule, al->rule) != 0 ||
			    fd->cls == LINT_DIRECTIVE)
				continue;
			used = 1;
			fd->refusing = 0;
			fd->allowed = LINT_ALLOWED_BY_COMMENT;
			free(fd->allow_reason);
			fd->allow_reason = xstrdup(al->reason ? al->reason : "");
		}
		if (used)
			continue;
		if (!al->rule || !lint_rule_find(al->rule))
			lint_add_at(r, R_UNUSED_ALLOW, al->stmt, al->line, al->col,
				    xstrdup("use the rule id printed with the finding you mean to allow"),
				    "allow names unknown rule \"%s\"", al->rule ? al->rule : "");
		else
			lint_add_at(r, R_UNUSED_ALLOW, al->stmt, al->line, al->col,
				    xstrdup("remove the stale allow: escape hatches that suppress "
					    "nothing hide the next real finding"),
				    "allow=%s matches no finding of the statement after it", al->rule);
	}
}

void lint_file(struct lint_ctx *ctx, const struct lint_file *f, struct lint_report *out)
{
	struct lint_run r = { .ctx = ctx, .f = f, .out = out, .first = out->n,
			      .file = ctx->nfiles++ };
	const struct sql_script *s = f->script;

	lint_prescan(&r);
	for (size_t i = 0; s && i < s->n; i++) {
		r.stmt = i;
		r.st = &s->v[i];
		lint_statement(&r);
		if (r.kind == LINT_KIND_TX && !r.has_tx) {
			r.has_tx = 1;
			r.tx_stmt = i;
			r.tx_tok = &s->v[i].toks[0];
		}
	}
	if (!f->transactional && r.cic_line && r.has_tx) {
		char head[64];
		r.stmt = r.tx_stmt;
		r.st = &s->v[r.tx_stmt];
		sql_stmt_head(r.st, 2, head, sizeof(head));
		lint_add(&r, R_MIXED_TX_OFF, r.tx_tok,
			 xstrdup("split the file: keep only the CONCURRENTLY statements (and VACUUM, "
				 "ANALYZE, SET) in the transaction=off file and move the rest to a "
				 "normal file, so a failure cannot leave it half applied"),
			 "transaction=off file mixes %s (line %d) with \"%s\", which should run in a "
			 "transaction", r.cic_what, r.cic_line, head);
	}
	if (!f->learn_only)
		lint_apply_allows(&r);
	if (out->n > r.first) /* out->v is NULL while the report is empty */
		lint_sort(out->v + r.first, out->n - r.first);
	for (size_t i = 0; i < r.nmade; i++)
		free(r.made[i]);
	free(r.made);
}

/* ------------------------------------------------------------ the report */

void lint_report_release(struct lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].message);
		free(r->v[i].hint);
		free(r->v[i].allow_reason);
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

const char *lint_class_name(enum lint_class cls)
{
	switch (cls) {
	case LINT_EXPAND: return "expand";
	case LINT_CONTRACT: return "contract";
	case LINT_BLOCKING: return "blocking";
	case LINT_TXMISUSE: return "txmisuse";
	case LINT_UNKNOWN: return "unknown";
	case LINT_DIRECTIVE: return "directive";
	}
	return "unknown";
}

const char *lint_finding_status(const struct lint_finding *f)
{
	if (f->refusing)
		return "refusing";
	if (f->allowed)
		return "allowed";
	return "warning";
}

size_t lint_report_refusing(const struct lint_report *r, size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < r->n; i++)
		n += r->v[i].refusing != 0;
	return n;
}

static int lint_class_rank(enum lint_class cls)
{
	switch (cls) {
	case LINT_TXMISUSE: return 4;
	case LINT_BLOCKING: return 3;
	case LINT_CONTRACT: return 2;
	case LINT_UNKNOWN: return 1;
	case LINT_EXPAND:
	case LINT_DIRECTIVE: return 0;
	}
	return 0;
}

enum lint_class lint_stmt_class(const struct lint_report *r, size_t from, size_t stmt)
{
	enum lint_class best = LINT_EXPAND;

	for (size_t i = from; i < r->n; i++)
		if (r->v[i].stmt == stmt && lint_class_rank(r->v[i].cls) > lint_class_rank(best))
			best = r->v[i].cls;
	return best;
}

const struct lint_rule *lint_rule_find(const char *id)
{
	for (size_t i = 0; i < lint_nrules; i++)
		if (strcmp(lint_rules[i].id, id) == 0)
			return &lint_rules[i];
	return NULL;
}
