/*
 * lint-int — what the parts of the classifier share (hook/lib/lint*.c;
 * see lint.c for the design): the rule indexes, the catalog's and one
 * run's structures, the token cursor with its one-token primitives
 * (inline: they run for every token), and the functions one part calls in
 * another. Private to lint: nothing outside hook/lib/lint*.c includes it.
 */
#ifndef ZDM_LINT_INT_H
#define ZDM_LINT_INT_H

#include <stddef.h>

#include "lint.h"
#include "sql.h"
#include "util.h"

#define LINT_NAME 256 /* a normalised, possibly qualified, name */

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

struct lint_type {
	char base[64]; /* canonical name: "varchar", "int4", "numeric", ... */
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
	char *name; /* normalised */
	long created; /* index of the file that created it, -1 if it existed */
	int in_run; /* created by a file of this run (lint_file.run_scope) */
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

/* A cursor over the tokens [i, end) of one statement. */
struct lint_cur {
	const struct sql_token *t;
	size_t i;
	size_t end;
};

static inline const struct sql_token *lint_at(const struct lint_cur *c)
{
	return c->i < c->end ? &c->t[c->i] : NULL;
}

static inline int lint_is_k(const struct lint_cur *c, size_t k, const char *kw)
{
	return c->i + k < c->end && sql_tok_is(&c->t[c->i + k], kw);
}

static inline int lint_is(const struct lint_cur *c, const char *kw)
{
	return lint_is_k(c, 0, kw);
}

static inline int lint_is_punct(const struct lint_cur *c, char ch)
{
	return c->i < c->end && sql_tok_is_punct(&c->t[c->i], ch);
}

static inline int lint_accept(struct lint_cur *c, const char *kw)
{
	if (!lint_is(c, kw))
		return 0;
	c->i++;
	return 1;
}

static inline int lint_accept2(struct lint_cur *c, const char *a, const char *b)
{
	if (!lint_is_k(c, 0, a) || !lint_is_k(c, 1, b))
		return 0;
	c->i += 2;
	return 1;
}

static inline int lint_accept_if_exists(struct lint_cur *c)
{
	return lint_accept2(c, "if", "exists");
}

static inline int lint_accept_if_not_exists(struct lint_cur *c)
{
	if (!lint_is_k(c, 0, "if") || !lint_is_k(c, 1, "not") || !lint_is_k(c, 2, "exists"))
		return 0;
	c->i += 3;
	return 1;
}

/* What a statement means for the transaction=off mixing rule. */
enum lint_kind {
	LINT_KIND_TX = 0, /* should run in a transaction */
	LINT_KIND_CIC, /* the CONCURRENTLY family */
	LINT_KIND_NOTX, /* cannot run in a transaction (VACUUM, ...) */
	LINT_KIND_HARMLESS, /* SET, SELECT, ANALYZE: fine either way */
	LINT_KIND_NEUTRAL, /* transaction control */
};

struct lint_run {
	struct lint_ctx *ctx;
	const struct lint_file *f;
	struct lint_report *out;
	size_t first; /* out->n when the file started */
	long file; /* this file's index in the context */
	size_t stmt;
	const struct sql_stmt *st;
	enum lint_kind kind;
	int explicit_tx; /* line of a BEGIN in a transaction=off file */
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

#define lint_add(r, id, tok, hint, ...)                                                            \
	lint_add_at((r), (id), (r)->stmt, (tok)->line, (tok)->col, (hint), __VA_ARGS__)

/* Shared between the parts of lint (each defined in the part named). */

/* lint-catalog.c */
void *lint_grow(void *v, size_t *cap, size_t n, size_t size);
void lint_table_clear(struct lint_table *t);
struct lint_table *lint_table_find(struct lint_ctx *ctx, const char *name);
struct lint_table *lint_table_get(struct lint_ctx *ctx, const char *name);
struct lint_col *lint_col_find(struct lint_ctx *ctx, const char *table, const char *col);
void lint_col_set(struct lint_ctx *ctx, const char *table, const char *col,
		  const struct lint_type *type);
void lint_check_remove_at(struct lint_ctx *ctx, size_t i);
void lint_col_drop(struct lint_ctx *ctx, const char *table, const char *col);
void lint_col_rename(struct lint_ctx *ctx, const char *table, const char *from, const char *to);
void lint_table_drop(struct lint_ctx *ctx, const char *name);
void lint_table_rename(struct lint_ctx *ctx, const char *from, const char *to);
void lint_check_add(struct lint_ctx *ctx, const char *table, const char *col, const char *name,
		    int validated);
void lint_check_validate(struct lint_ctx *ctx, const char *table, const char *name);
void lint_check_drop(struct lint_ctx *ctx, const char *table, const char *name);
void lint_check_rename(struct lint_ctx *ctx, const char *table, const char *from, const char *to);
int lint_check_valid(struct lint_ctx *ctx, const char *table, const char *col);
void lint_index_add(struct lint_ctx *ctx, const char *name, const char *table);
const char *lint_index_table(struct lint_ctx *ctx, const char *name);
void lint_index_drop(struct lint_ctx *ctx, const char *name);
void lint_index_rename(struct lint_ctx *ctx, const char *from, const char *to);

/* lint-reader.c */
void lint_skip(struct lint_cur *c);
size_t lint_find_top(const struct lint_cur *c, const char *kw);
int lint_has_not_valid(const struct lint_cur *c);
void lint_fmt(char *out, size_t size, const char *fmt, ...) ZDM_PRINTF(3, 4);
int lint_ident_tok(const struct sql_token *t, char *out, size_t size);
int lint_ident(struct lint_cur *c, char *out, size_t size);
int lint_qname(struct lint_cur *c, char *out, size_t size);
const char *lint_basename(const char *name);
void lint_qualify_like(const char *name, const char *like, char *out, size_t size);
int lint_word_in(const char *w, const char *const *list);
void lint_type_parse(const struct sql_token *t, size_t a, size_t b, struct lint_type *ty);
int lint_type_widens(const struct lint_type *from, const struct lint_type *to);
int lint_type_is_serial(const struct lint_type *ty);

/* lint-finding.c */
int lint_made(const struct lint_run *r, char kind, const char *name);
void lint_remember(struct lint_run *r, char kind, const char *name);
int lint_here(const struct lint_run *r, const char *table);
void lint_sqlname(const char *name, char *out, size_t cap);
const char *lint_q(struct lint_run *r, const char *name);
const char *lint_qf(struct lint_run *r, const char *fmt, ...) ZDM_PRINTF(2, 3);
int lint_here_rel(const struct lint_run *r, const char *name);
char *lint_rest(const struct lint_run *r, size_t k);
char *lint_text(const struct lint_run *r, size_t a, size_t b);
void lint_add_at(struct lint_run *r, enum lint_rid id, size_t stmt, int line, int col, char *hint,
		 const char *fmt, ...) ZDM_PRINTF(7, 8);
void lint_unknown(struct lint_run *r, const struct sql_token *at, const char *what);
void lint_need_no_tx(struct lint_run *r, const struct sql_token *at, const char *what);
void lint_cic(struct lint_run *r, const struct sql_token *at, const char *what);
extern const char lint_contract_hint[];

/* lint-ddl.c */
size_t lint_group_end(const struct lint_cur *c);
void lint_prescan(struct lint_run *r);
void lint_create(struct lint_run *r, struct lint_cur *c);
void lint_alter(struct lint_run *r, struct lint_cur *c);

/* lint-stmt.c */
void lint_statement(struct lint_run *r);

#endif
