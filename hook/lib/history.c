/*
 * history — create, extend, read and write the schema history table.
 *
 * Compatibility: the first ten columns are exactly Flyway's, so zdm can
 * continue a database Flyway managed (--history-table flyway_schema_
 * history). zdm's own columns are nullable and added with ADD COLUMN when
 * missing; Flyway ignores columns it does not know.
 */
#include "history.h"

#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	const char *type;
} history_extra[] = {
	{ "applied_stmts", "integer" },
	{ "total_stmts", "integer" },
	{ "error", "text" },
	{ "error_stmt", "text" },
	{ "tool_version", "text" },
	{ "allowed", "text" }, /* lint findings allowed by -- zdm: allow=, with reasons */
	{ "backfill_key", "text" }, /* a backfill's last key done (resume point) */
};

int history_check_name(const char *name, struct zerr *e)
{
	return db_check_table_name(name, "history table", e);
}

int history_init(struct history *h, struct db *db, const char *name, struct zerr *e)
{
	char *key;
	PGresult *r;
	const char *params[1];
	struct sb sql;

	memset(h, 0, sizeof(*h));
	if (db_table_init(&h->t, db, name, "history table", e) < 0)
		return -1;
	h->schema = h->t.schema;
	h->table = h->t.table;
	h->qname = h->t.qname;
	h->display = h->t.display;
	h->exists = h->t.exists;
	key = xasprintf("%s/%s", PQdb(db->conn), h->display);
	h->lock_key = (int32_t)util_crc32(0, key, strlen(key));
	free(key);
	if (!h->exists)
		return 0;
	params[0] = h->qname;
	/* all of zdm's columns there? (an older zdm's or a Flyway table may
	 * lack some until history_ensure adds them under the lock) */
	sb_init(&sql);
	sb_addf(&sql,
		"SELECT count(*) = %zu FROM pg_catalog.pg_attribute a"
		" WHERE a.attrelid = pg_catalog.to_regclass($1) AND NOT a.attisdropped"
		" AND a.attname IN (",
		ZDM_ARRAY_LEN(history_extra));
	for (size_t i = 0; i < ZDM_ARRAY_LEN(history_extra); i++)
		sb_addf(&sql, "%s'%s'", i ? ", " : "", history_extra[i].name);
	sb_adds(&sql, ")");
	r = db_query(db, sql.buf, 1, params, e);
	sb_release(&sql);
	if (!r)
		return -1;
	h->has_zdm_columns = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return 0;
}

static void history_free_rows(struct history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		struct hist_row *r = &h->v[i];
		free(r->version);
		free(r->description);
		free(r->type);
		free(r->script);
		free(r->error);
		free(r->backfill_key);
		free(r->installed_on);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

void history_release(struct history *h)
{
	history_free_rows(h);
	db_table_release(&h->t);
	memset(h, 0, sizeof(*h));
}

int history_ensure(struct history *h, struct db *db, struct zerr *e)
{
	struct sb sql;
	PGresult *r;
	const char *params[2] = { h->schema, h->table };
	int rc = -1;

	sb_init(&sql);
	if (!h->exists) {
		char *idx = db_quote_ident(h->table);
		char *idxname;
		if (db_schema_sql(db, &h->t, &sql, e) < 0)
			goto cleanup;
		sb_addf(&sql,
			"CREATE TABLE IF NOT EXISTS %s ("
			" installed_rank integer NOT NULL PRIMARY KEY,"
			" version varchar(50),"
			" description varchar(200) NOT NULL,"
			" type varchar(20) NOT NULL,"
			" script varchar(1000) NOT NULL,"
			" checksum integer,"
			" installed_by varchar(100) NOT NULL,"
			" installed_on timestamp NOT NULL DEFAULT now(),"
			" execution_time integer NOT NULL,"
			" success boolean NOT NULL",
			h->qname);
		for (size_t i = 0; i < ZDM_ARRAY_LEN(history_extra); i++)
			sb_addf(&sql, ", %s %s", history_extra[i].name, history_extra[i].type);
		sb_adds(&sql, ");");
		idxname = xasprintf("%s_s_idx", h->table);
		free(idx);
		idx = db_quote_ident(idxname);
		sb_addf(&sql, "CREATE INDEX IF NOT EXISTS %s ON %s (success);", idx, h->qname);
		free(idx);
		free(idxname);
		if (db_exec(db, sql.buf, e) < 0) {
			zerr_prefix(e, "cannot create the history table %s", h->display);
			goto cleanup;
		}
		h->exists = h->has_zdm_columns = 1;
		rc = 0;
		goto cleanup;
	}
	/* an existing table (ours from an older zdm, or Flyway's) */
	r = db_query(db,
		     "SELECT a.attname FROM pg_catalog.pg_attribute a"
		     " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
		     " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		     " WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0"
		     " AND NOT a.attisdropped",
		     2, params, e);
	if (!r)
		goto cleanup;
	for (size_t i = 0; i < ZDM_ARRAY_LEN(history_extra); i++) {
		int found = 0;
		for (int k = 0; k < PQntuples(r); k++)
			if (strcmp(PQgetvalue(r, k, 0), history_extra[i].name) == 0)
				found = 1;
		if (!found)
			sb_addf(&sql, "%sADD COLUMN IF NOT EXISTS %s %s", sql.len ? ", " : "",
				history_extra[i].name, history_extra[i].type);
	}
	PQclear(r);
	rc = 0;
	if (sql.len) {
		char *alter = xasprintf("ALTER TABLE %s %s", h->qname, sql.buf);
		rc = db_exec(db, alter, e);
		if (rc < 0)
			zerr_prefix(e, "cannot add zdm's columns to %s", h->display);
		free(alter);
	}
	if (rc == 0)
		h->has_zdm_columns = 1;
cleanup:
	sb_release(&sql);
	return rc;
}

int history_load(struct history *h, struct db *db, struct zerr *e)
{
	char *sql;
	PGresult *r;
	int i, n;

	history_free_rows(h);
	if (!h->exists)
		return 0;
	/* a Flyway table read before the lock holder extends it */
	sql = xasprintf("SELECT installed_rank, version, description, type, script, checksum,"
			" success, %s, to_char(installed_on, 'YYYY-MM-DD HH24:MI:SS'), execution_time"
			" FROM %s ORDER BY installed_rank",
			h->has_zdm_columns ? "applied_stmts, total_stmts, error, backfill_key"
					   : "NULL::int, NULL::int, NULL::text, NULL::text",
			h->qname);
	r = db_query(db, sql, 0, NULL, e);
	free(sql);
	if (!r) {
		zerr_prefix(e, "cannot read the history table %s", h->display);
		zerr_hint(e, "if it is not zdm's or Flyway's history table, choose another "
			     "with --history-table");
		return -1;
	}
	n = PQntuples(r);
	h->v = xcalloc((size_t)n, sizeof(*h->v));
	h->n = (size_t)n;
	for (i = 0; i < n; i++) {
		struct hist_row *row = &h->v[i];
		row->rank = (int)db_value_ll(r, i, 0, 0);
		row->version = db_value_dup(r, i, 1);
		row->description = xstrdup(PQgetvalue(r, i, 2));
		row->type = xstrdup(PQgetvalue(r, i, 3));
		row->script = xstrdup(PQgetvalue(r, i, 4));
		row->has_checksum = !PQgetisnull(r, i, 5);
		row->checksum = (int32_t)db_value_ll(r, i, 5, 0);
		row->success = PQgetvalue(r, i, 6)[0] == 't';
		row->applied_stmts = (int)db_value_ll(r, i, 7, -1);
		row->total_stmts = (int)db_value_ll(r, i, 8, -1);
		row->error = db_value_dup(r, i, 9);
		row->backfill_key = db_value_dup(r, i, 10);
		row->installed_on = xstrdup(PQgetvalue(r, i, 11));
		row->execution_time = (int)db_value_ll(r, i, 12, 0);
	}
	PQclear(r);
	return 0;
}

const char *history_current(const struct history *h)
{
	const char *best = NULL;

	for (size_t i = 0; i < h->n; i++) {
		const struct hist_row *r = &h->v[i];
		if (!r->version || !r->success || !strcmp(r->type, "SCHEMA"))
			continue;
		if (!best || source_version_cmp(r->version, best) > 0)
			best = r->version;
	}
	return best;
}

int history_read_current(struct db *db, const char *name, char **out, struct zerr *e)
{
	struct history h;
	const char *v;

	*out = NULL;
	if (history_init(&h, db, name, e) < 0 || history_load(&h, db, e) < 0) {
		history_release(&h);
		return -1;
	}
	v = history_current(&h);
	if (v)
		*out = xstrdup(v);
	history_release(&h);
	return 0;
}

/* execution_time: the caller's figure, plus, with tx_time, how long the
 * transaction the row is written in has run (the migration's statements,
 * sent in the same pipeline). */
static const char *history_ms_expr(const struct hist_write *w)
{
	return w->tx_time ? "$5::int + (extract(epoch from pg_catalog.clock_timestamp() -"
			    " pg_catalog.transaction_timestamp()) * 1000)::int"
			  : "$5";
}

/* The row's type, written as a literal: one of a fixed few. */
static const char *history_type(const struct hist_write *w)
{
	return w->type && strcmp(w->type, "SQL_BASELINE") == 0 ? "SQL_BASELINE" : "SQL";
}

/* The parameters shared by insert and update: $1..$12. */
static void history_params(struct hist_cmd *hc, const struct hist_write *w)
{
	snprintf(hc->buf[0], sizeof(hc->buf[0]), "%d", (int)w->checksum);
	snprintf(hc->buf[1], sizeof(hc->buf[1]), "%d", w->execution_ms);
	snprintf(hc->buf[2], sizeof(hc->buf[2]), "%d", w->applied_stmts);
	snprintf(hc->buf[3], sizeof(hc->buf[3]), "%d", w->total_stmts);
	hc->params[0] = w->version;
	hc->params[1] = w->description;
	hc->params[2] = w->script;
	hc->params[3] = hc->buf[0];
	hc->params[4] = hc->buf[1];
	hc->params[5] = w->success ? "true" : "false";
	hc->params[6] = hc->buf[2];
	hc->params[7] = hc->buf[3];
	hc->params[8] = w->error;
	hc->params[9] = w->error_stmt;
	hc->params[10] = w->allowed;
	hc->params[11] = w->backfill_key;
}

static void history_cmd_set(struct hist_cmd *hc, char *sql, int nparams)
{
	hc->sql = sql;
	hc->cmd.sql = sql;
	hc->cmd.nparams = nparams;
	hc->cmd.params = hc->params;
	hc->cmd.cache = 1;
}

void history_insert_cmd(const struct history *h, const struct hist_write *w, struct hist_cmd *hc)
{
	memset(hc, 0, sizeof(*hc));
	history_params(hc, w);
	history_cmd_set(hc,
			xasprintf("INSERT INTO %s (installed_rank, version, description, type,"
				  " script, checksum, installed_by, execution_time, success,"
				  " applied_stmts, total_stmts, error, error_stmt, tool_version,"
				  " allowed, backfill_key)"
				  " SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, '%s', $3,"
				  " $4, left(current_user, 100), %s, $6, $7, $8, $9, $10,"
				  " 'zdm-hook " ZDM_VERSION "', $11, $12 FROM %s"
				  " RETURNING installed_rank",
				  h->qname, history_type(w), history_ms_expr(w), h->qname),
			12);
}

void history_update_cmd(const struct history *h, int rank, const struct hist_write *w,
			struct hist_cmd *hc)
{
	memset(hc, 0, sizeof(*hc));
	history_params(hc, w);
	snprintf(hc->buf[4], sizeof(hc->buf[4]), "%d", rank);
	hc->params[12] = hc->buf[4];
	history_cmd_set(hc,
			xasprintf("UPDATE %s SET version = $1, description = $2, script = $3,"
				  " checksum = $4, execution_time = %s, success = $6,"
				  " applied_stmts = $7, total_stmts = $8, error = $9,"
				  " error_stmt = $10, installed_on = now(),"
				  " installed_by = left(current_user, 100),"
				  " tool_version = 'zdm-hook " ZDM_VERSION "', allowed = $11,"
				  " backfill_key = coalesce($12, backfill_key)"
				  " WHERE installed_rank = $13",
				  h->qname, history_ms_expr(w)),
			13);
}

void history_delete_cmd(const struct history *h, int rank, struct hist_cmd *hc)
{
	memset(hc, 0, sizeof(*hc));
	snprintf(hc->buf[4], sizeof(hc->buf[4]), "%d", rank);
	hc->params[0] = hc->buf[4];
	history_cmd_set(hc, xasprintf("DELETE FROM %s WHERE installed_rank = $1", h->qname), 1);
}

void history_cmd_release(struct hist_cmd *hc)
{
	free(hc->sql);
	hc->sql = NULL;
}

/* Run one history command (and COMMIT, with w->commit). */
static PGresult *history_run(struct history *h, struct db *db, struct hist_cmd *hc, int commit,
			     const char *script, struct zerr *e)
{
	PGresult *r = db_query_cached(db, hc->sql, hc->cmd.nparams, hc->params, commit, e);

	history_cmd_release(hc);
	if (!r && script)
		zerr_prefix(e, "cannot record %s in %s", script, h->display);
	return r;
}

int history_insert(struct history *h, struct db *db, const struct hist_write *w, struct zerr *e)
{
	struct hist_cmd hc;
	PGresult *r;
	int rank;

	history_insert_cmd(h, w, &hc);
	r = history_run(h, db, &hc, w->commit, w->script, e);
	if (!r)
		return -1;
	rank = (int)db_value_ll(r, 0, 0, 0);
	PQclear(r);
	return rank;
}

int history_update(struct history *h, struct db *db, int rank, const struct hist_write *w,
		   struct zerr *e)
{
	struct hist_cmd hc;
	PGresult *r;

	history_update_cmd(h, rank, w, &hc);
	r = history_run(h, db, &hc, w->commit, w->script, e);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int history_delete(struct history *h, struct db *db, int rank, struct zerr *e)
{
	struct hist_cmd hc;
	PGresult *r;

	history_delete_cmd(h, rank, &hc);
	r = history_run(h, db, &hc, 0, NULL, e);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
