/*
 * lint — the migration-safety classifier.
 *
 * Classifies each statement of a migration file, without a server, from the
 * tokens sql_split made, into one of:
 *
 *   expand       safe while old code runs (CREATE TABLE, nullable column,
 *                CREATE INDEX CONCURRENTLY, constraint NOT VALID, ...)
 *   contract     breaks code that is still running (drops, renames, SET NOT
 *                NULL, type changes, TRUNCATE, ...)
 *   blocking     takes a long lock or one that queues every query behind it
 *                (non-concurrent index, constraint without NOT VALID, table
 *                rewrite, unbatched backfill, ...)
 *   txmisuse     a statement that cannot run the way zdm will run the file
 *                (CONCURRENTLY inside the transaction zdm wraps the file in,
 *                BEGIN/COMMIT inside it, a transaction=off file that mixes)
 *   unknown      not recognised: a warning, never silently safe
 *   directive    a zdm directive that is wrong (an allow that matched nothing)
 *
 * An expand statement produces no finding; every other statement produces
 * one finding per unsafe thing it does (an ALTER TABLE with three actions
 * can give three), each with a stable rule id, a one-line message and a hint
 * that shows the safe alternative.
 *
 * Severity: a finding is refusing (zdm-hook migrate exits 6) when its class
 * is blocking, txmisuse or directive, or contract in a file that is not a
 * guarded contract (phase=contract with requires-app); contract findings in
 * a guarded contract file are "allowed by phase". Unknown statements are
 * warnings. A finding the caller allows (-- zdm: allow=RULE reason="...")
 * is kept, marked allowed, and is not refusing; an allow that matched no
 * finding of its statement is itself a refusing finding (unused-allow).
 *
 * Context: lint_file is called once per migration file, in version order,
 * over ALL files (applied ones too, with learn_only set, so the context
 * knows which tables migrations created and which NOT NULL checks were
 * validated). Tables no migration created are existing tables with live
 * rows. Statements on a table created earlier in the same file are safe,
 * and so, with run_scope, are those on a table an earlier pending file of
 * the same run created.
 *
 * Ownership: lint_ctx_new returns a context the caller frees with
 * lint_ctx_free. lint_file only reads the lint_file it is given (the source,
 * script and allows may be freed right after the call) and appends to the
 * caller's report; every string in a finding is owned by the report except
 * `rule`, which points into the static rule table. lint_report_release
 * frees the findings and leaves an empty report. The library never prints.
 */
#ifndef ZDM_LINT_H
#define ZDM_LINT_H

#include <stddef.h>

#include "sql.h"

enum lint_class {
	LINT_EXPAND = 0,
	LINT_CONTRACT,
	LINT_BLOCKING,
	LINT_TXMISUSE,
	LINT_UNKNOWN,
	LINT_DIRECTIVE,
};

/* Why a finding does not refuse (struct lint_finding.allowed). */
enum lint_allowed {
	LINT_NOT_ALLOWED = 0,
	LINT_ALLOWED_BY_COMMENT, /* an allow=RULE directive before the statement */
	LINT_ALLOWED_BY_PHASE, /* contract finding in a guarded contract file */
	LINT_ALLOWED_BY_EMPTY_DB, /* blocking/contract, run on an empty database */
	LINT_ALLOWED_BY_SETTING, /* mixed-transaction-off in a file the project's
				  * Flyway settings run that way (mixed) */
};

/* One rule: its stable id (kebab-case), its class, squawk's rule names for
 * the same check (space-separated, "" when squawk has none) and a one-line
 * summary for --help and the docs. */
struct lint_rule {
	const char *id;
	enum lint_class cls;
	const char *squawk;
	const char *summary;
};

extern const struct lint_rule lint_rules[];
extern const size_t lint_nrules;

/* The rule with this id, or NULL (e.g. to reject allow=NO-SUCH-RULE). */
const struct lint_rule *lint_rule_find(const char *id);

/* A parsed "-- zdm: allow=RULE reason=..." before statement `stmt` (an
 * index into the file's script; nstmts or more when the comment is
 * followed by no statement). line/col locate the comment (col 0 = 1). */
struct lint_allow {
	size_t stmt;
	int line;
	int col;
	const char *rule;
	const char *reason;
};

/* One migration file as the caller loaded and split it. */
struct lint_file {
	const char *path; /* as findings should name it */
	const char *src; /* the text script was split from */
	size_t len;
	const struct sql_script *script;
	int transactional; /* 0 for "-- zdm: transaction=off" */
	int guarded_contract; /* phase=contract with requires-app */
	const struct lint_allow *allows;
	size_t nallows;
	int learn_only; /* update the context, report nothing */
	int batched; /* a "-- zdm: backfill" file: its UPDATE
					   * runs in key batches */
	/* migrate's view of one run: every file not learn_only is applied
	 * by the same run, so a table an earlier such file created did not
	 * exist before the run and no application uses it yet: statements
	 * on it are judged as on a table created earlier in the same file */
	int run_scope;
	/* the run starts from an empty database (no applied versions, no
	 * user relations): blocking and contract findings are information
	 * (allowed, LINT_ALLOWED_BY_EMPTY_DB), nothing can be hurt */
	int empty_db;
	/* the file mixes statements on purpose: Flyway's mixed=true or its
	 * script configuration's executeInTransaction=false runs it without a
	 * transaction, statement by statement, as Flyway does; the mixing
	 * rule reports it as information (LINT_ALLOWED_BY_SETTING) */
	const char *mixed_setting; /* which setting, or NULL */
};

struct lint_finding {
	char *path; /* copy of lint_file.path */
	size_t stmt; /* index of the statement in the script */
	int line, col; /* the offending token (1-based) */
	enum lint_class cls;
	const char *rule; /* lint_rules[...].id: static, not owned */
	char *message; /* lowercase, subject in quotes */
	char *hint; /* the safe alternative, with an example */
	int refusing; /* would make migrate exit 6 */
	int allowed; /* enum lint_allowed */
	char *allow_reason; /* NULL unless allowed */
};

/* Zero-initialised ({ 0 }) is an empty report. */
struct lint_report {
	struct lint_finding *v;
	size_t n;
	size_t cap;
};

struct lint_ctx;

struct lint_ctx *lint_ctx_new(void);
void lint_ctx_free(struct lint_ctx *ctx);

/* Classify every statement of f, appending its findings to out (sorted by
 * position within the file), and learn what the file creates, renames,
 * drops and validates. */
void lint_file(struct lint_ctx *ctx, const struct lint_file *f, struct lint_report *out);

void lint_report_release(struct lint_report *r);

/* "expand", "contract", "blocking", "txmisuse", "unknown", "directive". */
const char *lint_class_name(enum lint_class cls);

/* "refusing", "allowed" or "warning". */
const char *lint_finding_status(const struct lint_finding *f);

/* How many of r->v[from..n) refuse. */
size_t lint_report_refusing(const struct lint_report *r, size_t from);

/* The class of statement `stmt`, judged from the findings r->v[from..n)
 * of one lint_file call (from = r->n before the call): the most severe
 * class among its findings (txmisuse, blocking, contract, unknown), expand
 * when it has none. Directive findings do not count. */
enum lint_class lint_stmt_class(const struct lint_report *r, size_t from, size_t stmt);

#endif
