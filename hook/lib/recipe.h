/*
 * recipe — declarative expand/contract migrations (docs/recipes.md).
 *
 * A recipe is a versioned migration file whose first directive names a
 * schema change by what it means:
 *
 *   -- zdm: recipe=rename-column table=users column=full_name to=display_name contract-after=2.0.0
 *
 * with, for some recipes, SQL expressions in labelled blocks
 * ("-- zdm: up", "-- zdm: down", "-- zdm: fill"). The file keeps its
 * version and its Flyway checksum; its body is not SQL to run. zdm
 * compiles it, against the catalog at apply time, into
 *   - expand statements (the version's run, in the pre phase; the last
 *     one records the recipe in <history>_recipes),
 *   - a batched backfill (backfill.h) for recipes that add a column,
 *   - contract statements, run one by one (each with its progress in
 *     <history>_recipes) when the contract guard (guard.h) allows: a
 *     pending contract does not hold back later versions.
 * Plain tables and triggers only: one BEFORE trigger per table
 * ("zdm_sync", function zdm_sync_<table>) keeps every column pair of the
 * recipes in flight on that table in step, rebuilt at each expand and
 * contract from <history>_recipes.
 */
#ifndef ZDM_RECIPE_H
#define ZDM_RECIPE_H

#include <libpq-fe.h>

#include "db.h"
#include "util.h"

enum recipe_kind {
	RECIPE_RENAME_COLUMN,
	RECIPE_CHANGE_TYPE,
	RECIPE_SET_NOT_NULL,
	RECIPE_ADD_UNIQUE,
	RECIPE_ADD_FOREIGN_KEY,
	RECIPE_ADD_COLUMN,
	RECIPE_DROP_COLUMN,
	RECIPE_RENAME_TABLE,
};

struct recipe {
	enum recipe_kind kind;
	const char *name; /* "rename-column", ... */
	int line; /* of the recipe= directive */
	char *version; /* the file's version (borrowed copy) */
	char *table; /* as written: "users" or "app.users" */
	char *column, *to, *type, *cname, *columns, *references, *on_delete, *dflt;
	int not_null; /* add-column not-null=true */
	char *up, *down, *fill; /* blocks (trimmed), or NULL */
	char *contract_after; /* NULL: the contract runs right after the expand */
	char *bf_keys; /* key= batch-size= batch-time= delay=, as written */
};

/* Does the file's first `-- zdm:` directive (in the leading comment
 * block) name a recipe? */
int recipe_detect(const char *sql, size_t len);
/* Parse and check a recipe file (path for messages). NULL with e set
 * (exit 2, path:line) when it is malformed. */
struct recipe *recipe_parse(const char *path, const char *version, const char *sql, size_t len,
			    struct zerr *e);
void recipe_free(struct recipe *r);
/* Does the recipe have a backfill (a column to fill)? */
int recipe_backfills(const struct recipe *r);

/* What a recipe compiles to. Every string is one SQL statement. */
struct recipe_sql {
	struct sb expand; /* a migration file's text: directive header and
			   * statements, loaded with source_load_texts */
	char **contract;
	size_t ncontract;
	char *table; /* the resolved "schema"."table" */
	char **notes; /* warnings for the log (indexes that the contract drops) */
	size_t nnotes;
	char *validate; /* expand only: the VALIDATE of the recipe's NOT NULL
			 * check that its backfill makes true, run right
			 * after the backfill (recipe_validate_sql), or NULL */
};
void recipe_sql_release(struct recipe_sql *s);

/* The table zdm keeps recipe state in, for a history table "s"."t":
 * "s"."t_recipes" (caller frees). */
char *recipe_state_table(const char *history_schema, const char *history_table);
/* Does it exist? (It is made by the first recipe's expand.) */
int recipe_state_exists(struct db *db, const char *state_table, int *yes, struct zerr *e);
/* Create it when missing (under the migration lock). */
int recipe_state_ensure(struct db *db, const char *state_table, struct zerr *e);

/* Compile the expands of rs[0..n) against the catalog on db into
 * out[0..n) (state_table names <history>_recipes). n > 1: a group that
 * recipe_backfill_joins made, none expanded yet, whose expands run in one
 * transaction, out[0]'s text first: the table's sync function, made once
 * for them all, is in out[0], its trigger at the end of out[n - 1]. -1
 * with e set, and *bad the index of the recipe, when the catalog does not
 * fit (no such table or column, a generated column, ...; exit 2). With db
 * NULL, the SQL shows <...> where it needs the catalog (zdm-hook plan
 * without a database). */
int recipe_compile_expand(const struct recipe *const *rs, size_t n, struct db *db,
			  const char *state_table, struct recipe_sql *out, size_t *bad,
			  struct zerr *e);
/* The backfill migration's text (a "-- zdm: backfill" file, loaded with
 * source_load_texts) of recipes rs[0..n), one UPDATE that fills the
 * columns of all of them in one pass over the table (n > 1: recipes that
 * recipe_backfill_joins grouped), or NULL when none has a backfill;
 * needs no catalog. */
char *recipe_backfill_sql(const struct recipe *const *rs, size_t n);
/* Can next's backfill join the one pass of g[0..n) (consecutive pending
 * recipes, expanded in version order before that pass runs)? Yes when it
 * fills a column on the same table, batched the same way, writes no
 * column of the group's and reads none (the UPDATE sees the row as it
 * was), and the group's last recipe has a contract-after. */
int recipe_backfill_joins(const struct recipe *const *g, size_t n, const struct recipe *next);
/* The statement that validates r's NOT NULL check ("zdm_<version>_nn")
 * when r has a backfill and its table has the check NOT VALID (*sql NULL
 * otherwise; caller frees).
 * Run once r's backfill is done: the backfill made the check true for
 * every row, and VALIDATE takes a SHARE UPDATE EXCLUSIVE lock, which no
 * app read or write waits for, so the contract's own VALIDATE step finds
 * nothing left to scan. */
int recipe_validate_sql(const struct recipe *r, struct db *db, char **sql, struct zerr *e);
/* Is a contract step a VALIDATE (a scan, under a lock no app waits for,
 * that must not run in the transaction of a step that takes ACCESS
 * EXCLUSIVE)? */
int recipe_step_is_validate(const char *step);
/* Compile r's contract steps. planned: r is not expanded yet (--dry-run),
 * compile them as they will be once it is. before[0..nbefore): the
 * versions whose contracts run just before r's, in its transaction (their
 * steps compiled against the same catalog): the table's sync trigger
 * keeps none of their pairs either. */
int recipe_compile_contract(const struct recipe *r, struct db *db, const char *state_table,
			    int planned, const char *const *before, size_t nbefore,
			    struct recipe_sql *out, struct zerr *e);
/* Can r's contract run in one transaction with the contracts of the
 * recipes before it on its table (their steps compiled before any runs)?
 * Yes for the recipes that change columns (not rename-table, add-unique,
 * add-foreign-key) whose contract scans nothing: a NOT NULL check that
 * is NOT VALID would make its VALIDATE scan the table under the lock the
 * others' steps take. */
int recipe_contract_joins(const struct recipe *r, struct db *db, int *yes, struct zerr *e);

#endif
