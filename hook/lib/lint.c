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
 *
 * The parts, one job each, sharing lint-int.h (private to them): this file
 * holds the rule table, the run over one file (allows, sorting) and the
 * report helpers; lint-catalog.c the cross-file schema catalog;
 * lint-reader.c the token reader and type parser; lint-finding.c
 * per-file state and finding and snippet building; lint-ddl.c the
 * judgement of CREATE and ALTER; lint-stmt.c the other statements and
 * the dispatch of one statement.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint-int.h"

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
	[R_VALIDATE_SAME_TX] = { "validate-in-same-transaction", LINT_BLOCKING,
				 "constraint-missing-not-valid",
				 "VALIDATE CONSTRAINT in the transaction that added it NOT VALID scans under the ADD's lock" },
	[R_VALIDATE_DOMAIN] = { "validate-domain-constraint", LINT_BLOCKING,
				"ban-alter-domain-with-add-constraint",
				"ALTER DOMAIN ... VALIDATE CONSTRAINT blocks writes to every table using the domain" },
	[R_UNUSED_ALLOW] = { "unused-allow", LINT_DIRECTIVE, "unused-ignore",
			     "an allow=RULE directive that matched no finding of its statement" },
};

const size_t lint_nrules = ZDM_ARRAY_LEN(lint_rules);

_Static_assert(ZDM_ARRAY_LEN(lint_rules) == R_COUNT, "one lint_rules entry per rule");

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
			lint_add_at(
				r, R_UNUSED_ALLOW, al->stmt, al->line, al->col,
				xstrdup("use the rule id printed with the finding you mean to allow"),
				"allow names unknown rule \"%s\"", al->rule ? al->rule : "");
		else {
			lint_add_at(r, R_UNUSED_ALLOW, al->stmt, al->line, al->col,
				    xstrdup("remove the stale allow: escape hatches that suppress "
					    "nothing hide the next real finding"),
				    "allow=%s matches no finding of the statement after it",
				    al->rule);
			/* in one run the statement may be harmless only because
			 * its table is new (run_scope): the same file on a
			 * populated database needs the allow, so it is kept */
			if (f->run_scope && r->out->n > 0 && !f->learn_only)
				r->out->v[r->out->n - 1].refusing = 0;
		}
	}
}

void lint_file(struct lint_ctx *ctx, const struct lint_file *f, struct lint_report *out)
{
	struct lint_run r = {
		.ctx = ctx, .f = f, .out = out, .first = out->n, .file = ctx->nfiles++
	};
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
			 "transaction",
			 r.cic_what, r.cic_line, head);
		if (f->mixed_setting && out->n > r.first && !f->learn_only) {
			struct lint_finding *fd = &out->v[out->n - 1];
			fd->refusing = 0;
			fd->allowed = LINT_ALLOWED_BY_SETTING;
			fd->allow_reason = xasprintf("%s: the file runs without a transaction, "
						     "statement by statement, as Flyway runs it",
						     f->mixed_setting);
		}
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
	case LINT_EXPAND:
		return "expand";
	case LINT_CONTRACT:
		return "contract";
	case LINT_BLOCKING:
		return "blocking";
	case LINT_TXMISUSE:
		return "txmisuse";
	case LINT_UNKNOWN:
		return "unknown";
	case LINT_DIRECTIVE:
		return "directive";
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
	case LINT_TXMISUSE:
		return 4;
	case LINT_BLOCKING:
		return 3;
	case LINT_CONTRACT:
		return 2;
	case LINT_UNKNOWN:
		return 1;
	case LINT_EXPAND:
	case LINT_DIRECTIVE:
		return 0;
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
