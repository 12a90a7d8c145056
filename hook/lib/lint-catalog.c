/*
 * lint-catalog — the cross-file schema catalog of the classifier
 * (struct lint_ctx): the tables migrations created and the file that
 * created them, the columns and types they learned, the indexes they named
 * and the CHECK (col IS NOT NULL) constraints with whether they were
 * validated. Names arrive normalised (see lint-reader.c); renames and drops
 * keep the catalog in step with what the migrations did. Everything here
 * is owned by the context and freed by lint_ctx_free.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint-int.h"

/* ---------------------------------------------------------------- context */

/* Make room for one more element in a growable array. */
void *lint_grow(void *v, size_t *cap, size_t n, size_t size)
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

void lint_table_clear(struct lint_table *t)
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

struct lint_table *lint_table_find(struct lint_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->ntables; i++)
		if (strcmp(ctx->tables[i].name, name) == 0)
			return &ctx->tables[i];
	return NULL;
}

/* The table's entry, made (as a pre-existing table) when there is none.
 * The pointer is valid until the next lint_table_get or lint_table_drop. */
struct lint_table *lint_table_get(struct lint_ctx *ctx, const char *name)
{
	struct lint_table *t = lint_table_find(ctx, name);

	if (t)
		return t;
	ctx->tables = lint_grow(ctx->tables, &ctx->captables, ctx->ntables, sizeof(*ctx->tables));
	t = &ctx->tables[ctx->ntables++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->created = -1;
	return t;
}

struct lint_col *lint_col_find(struct lint_ctx *ctx, const char *table, const char *col)
{
	struct lint_table *t = lint_table_find(ctx, table);

	if (!t)
		return NULL;
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, col) == 0)
			return &t->cols[i];
	return NULL;
}

void lint_col_set(struct lint_ctx *ctx, const char *table, const char *col,
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

void lint_check_remove_at(struct lint_ctx *ctx, size_t i)
{
	free(ctx->checks[i].table);
	free(ctx->checks[i].column);
	free(ctx->checks[i].name);
	ctx->checks[i] = ctx->checks[--ctx->nchecks];
}

void lint_col_drop(struct lint_ctx *ctx, const char *table, const char *col)
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

void lint_col_rename(struct lint_ctx *ctx, const char *table, const char *from, const char *to)
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
void lint_table_drop(struct lint_ctx *ctx, const char *name)
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

void lint_table_rename(struct lint_ctx *ctx, const char *from, const char *to)
{
	struct lint_table *t;

	lint_table_drop(ctx, to); /* whatever had the name is gone */
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

void lint_check_add(struct lint_ctx *ctx, const char *table, const char *col, const char *name,
		    int validated)
{
	struct lint_check *k;

	for (size_t i = ctx->nchecks; i-- > 0;)
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].name, name) == 0)
			lint_check_remove_at(ctx, i);
	ctx->checks = lint_grow(ctx->checks, &ctx->capchecks, ctx->nchecks, sizeof(*ctx->checks));
	k = &ctx->checks[ctx->nchecks++];
	k->table = xstrdup(table);
	k->column = xstrdup(col);
	k->name = xstrdup(name);
	k->validated = validated;
}

void lint_check_validate(struct lint_ctx *ctx, const char *table, const char *name)
{
	for (size_t i = 0; i < ctx->nchecks; i++)
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].name, name) == 0)
			ctx->checks[i].validated = 1;
}

void lint_check_drop(struct lint_ctx *ctx, const char *table, const char *name)
{
	for (size_t i = ctx->nchecks; i-- > 0;)
		if (strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].name, name) == 0)
			lint_check_remove_at(ctx, i);
}

void lint_check_rename(struct lint_ctx *ctx, const char *table, const char *from, const char *to)
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
int lint_check_valid(struct lint_ctx *ctx, const char *table, const char *col)
{
	for (size_t i = 0; i < ctx->nchecks; i++)
		if (ctx->checks[i].validated && strcmp(ctx->checks[i].table, table) == 0 &&
		    strcmp(ctx->checks[i].column, col) == 0)
			return 1;
	return 0;
}

void lint_index_add(struct lint_ctx *ctx, const char *name, const char *table)
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

const char *lint_index_table(struct lint_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nindexes; i++)
		if (strcmp(ctx->indexes[i].name, name) == 0)
			return ctx->indexes[i].table;
	return NULL;
}

void lint_index_drop(struct lint_ctx *ctx, const char *name)
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

void lint_index_rename(struct lint_ctx *ctx, const char *from, const char *to)
{
	for (size_t i = 0; i < ctx->nindexes; i++) {
		if (strcmp(ctx->indexes[i].name, from) == 0) {
			free(ctx->indexes[i].name);
			ctx->indexes[i].name = xstrdup(to);
			return;
		}
	}
}
