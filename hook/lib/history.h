/*
 * history — the schema history table (Flyway's column layout plus zdm's
 * columns, which are added as nullable when continuing a Flyway table).
 *
 * The table name is user-given ("zdm_schema_history", "app.flyway_schema_
 * history"); it is validated, case-folded like an unquoted identifier and
 * always quoted in SQL.
 */
#ifndef ZDM_HISTORY_H
#define ZDM_HISTORY_H

#include <stdint.h>

#include "db.h"
#include "util.h"

struct hist_row {
	int rank;
	char *version; /* NULL for repeatables */
	char *description;
	char *type; /* "SQL", "BASELINE", ... */
	char *script;
	int has_checksum;
	int32_t checksum;
	int success;
	int applied_stmts; /* -1 when NULL (Flyway rows) */
	int total_stmts;
	char *error;
	char *backfill_key; /* a backfill's resume point, or NULL */
	char *installed_on;
	int execution_time;
};

struct history {
	struct db_table t; /* the resolved table */
	char *schema; /* = t.schema, t.table, t.qname, t.display */
	char *table;
	char *qname;
	char *display;
	int exists;
	int has_zdm_columns; /* our extra columns exist (not a bare Flyway table) */
	struct hist_row *v; /* ordered by installed_rank */
	size_t n;
	int32_t lock_key; /* second key of the advisory lock */
};

/* Validate a --history-table value (no database needed). */
int history_check_name(const char *name, struct zerr *e);
/* Resolve the name on db (schema via current_schema() when unqualified),
 * and whether the table exists. */
int history_init(struct history *h, struct db *db, const char *name, struct zerr *e);
void history_release(struct history *h);
/* Create the table if absent and add any missing zdm columns. Call only
 * while holding the lock. */
int history_ensure(struct history *h, struct db *db, struct zerr *e);
/* (Re)load all rows. A missing table loads as empty. */
int history_load(struct history *h, struct db *db, struct zerr *e);

/* The highest applied version (successful versioned rows and Flyway
 * baselines), or NULL; points into h's rows. */
const char *history_current(const struct history *h);

/* Read the current version of the history table name on db (NULL in
 * *out when the table is missing or empty; caller frees). */
int history_read_current(struct db *db, const char *name, char **out, struct zerr *e);

/* Row helpers, all plain SQL on db (inside or outside a transaction). */
struct hist_write {
	const char *version;
	const char *description;
	const char *script;
	int32_t checksum;
	int execution_ms;
	int success;
	int applied_stmts;
	int total_stmts;
	const char *error;
	const char *error_stmt;
	const char *allowed; /* lint findings allowed, with reasons */
	const char *backfill_key; /* a backfill's last key done (NULL: keep) */
	const char *type; /* insert only: NULL for "SQL", or "SQL_BASELINE" */
	int commit; /* COMMIT in the same round trip */
	int tx_time; /* execution_ms + how long the transaction ran */
};
/* Insert a row; returns its installed_rank or -1. */
int history_insert(struct history *h, struct db *db, const struct hist_write *w, struct zerr *e);
int history_update(struct history *h, struct db *db, int rank, const struct hist_write *w,
		   struct zerr *e);
int history_delete(struct history *h, struct db *db, int rank, struct zerr *e);

/* The same writes as commands for a pipeline (db_pipeline), to send with
 * a migration's statements; the SQL and parameters live in the struct
 * until history_cmd_release. */
struct hist_cmd {
	struct db_cmd cmd;
	char *sql;
	char buf[5][16];
	const char *params[13];
};
void history_insert_cmd(const struct history *h, const struct hist_write *w, struct hist_cmd *hc);
void history_update_cmd(const struct history *h, int rank, const struct hist_write *w,
			struct hist_cmd *hc);
void history_delete_cmd(const struct history *h, int rank, struct hist_cmd *hc);
void history_cmd_release(struct hist_cmd *hc);

#endif
