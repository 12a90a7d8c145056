/*
 * assert — load and check schema assertions (format in assert.h).
 *
 * Loading turns the YAML tree into a flat list of checks, one per
 * property (a column's type, its nullability, ...), each remembering the
 * line and column of the YAML node it came from. Every mapping level has
 * a table of the keys it accepts; anything else is an error naming the
 * known keys. Running asks the catalog once per table and compares.
 *
 * Types are compared as format_type() spells them; an index is valid
 * when indisvalid and indisready; a constraint is validated when
 * convalidated. Custom checks run in a READ ONLY transaction with a
 * statement_timeout and must return exactly one row holding true.
 */
#include "assert.h"

#include <stdlib.h>
#include <string.h>

/* the size ydoc_load_file accepts */
#define ASSERT_MAX_FILE (16u * 1024 * 1024)

enum assert_kind {
	A_TABLE, /* exists (want = 1) or absent (want = 0) */
	A_COLUMN, /* exists / absent */
	A_COLUMN_TYPE,
	A_COLUMN_NULLABLE,
	A_COLUMN_DEFAULT, /* want: 0 none, 1 some; or text */
	A_INDEX,
	A_INDEX_COLUMNS,
	A_INDEX_UNIQUE,
	A_INDEX_PRIMARY,
	A_INDEX_VALID,
	A_CONSTRAINT,
	A_CONSTRAINT_VALIDATED,
	A_CONSTRAINT_TYPE,
	A_NO_INVALID_INDEXES,
	A_SQL,
};

struct assert_check {
	enum assert_kind kind;
	int line, col;
	char *table; /* as written */
	char *name; /* column, index, constraint, or check name */
	int want; /* booleans */
	char *text; /* type, default expression, constraint type, sql */
	char **list; /* index columns */
	size_t nlist;
};

/* --- loading -------------------------------------------------------- */

struct assert_loader {
	struct assert_spec *spec;
	size_t cap;
	const char *path;
	struct zerr *e;
};

static struct assert_check *assert_add(struct assert_loader *ld, enum assert_kind kind,
				       const struct ynode *at, const char *table, const char *name)
{
	struct assert_check *c;

	if (ld->spec->n == ld->cap) {
		ld->cap = ld->cap ? ld->cap * 2 : 16;
		ld->spec->v = xrealloc(ld->spec->v, ld->cap * sizeof(*ld->spec->v));
	}
	c = &ld->spec->v[ld->spec->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->line = at->line;
	c->col = at->col;
	c->table = table ? xstrdup(table) : NULL;
	c->name = name ? xstrdup(name) : NULL;
	return c;
}

static int assert_fail(struct assert_loader *ld, const struct ynode *at, const char *fmt, ...)
	ZDM_PRINTF(3, 4);

static int assert_fail(struct assert_loader *ld, const struct ynode *at, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return zerr_set(ld->e, ZDM_EXIT_USAGE, "%s:%d:%d: %s", ld->path, at->line, at->col, msg);
}

/* Check that every key of map m is one of keys (NULL-terminated). */
static int assert_keys(struct assert_loader *ld, const struct ynode *m, const char *what,
		       const char *const *keys)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->items[i];
		int known = 0;
		struct sb list;

		if (k->type != Y_SCALAR)
			return assert_fail(ld, k, "keys of %s must be plain names", what);
		for (const char *const *p = keys; *p; p++)
			if (!strcmp(*p, k->value))
				known = 1;
		if (known)
			continue;
		sb_init(&list);
		for (const char *const *p = keys; *p; p++)
			sb_addf(&list, "%s%s", p == keys ? "" : ", ", *p);
		assert_fail(ld, k, "unknown key \"%s\" in %s", k->value, what);
		zerr_hint(ld->e, "known keys: %s", list.buf);
		sb_release(&list);
		return -1;
	}
	return 0;
}

static int assert_want_map(struct assert_loader *ld, const struct ynode *n, const char *what)
{
	if (n && n->type == Y_MAP)
		return 0;
	return assert_fail(ld, n, "%s must be a mapping, not %s", what, ynode_type_name(n));
}

static int assert_bool(struct assert_loader *ld, const struct ynode *n, const char *what, int *out)
{
	int b = ynode_bool(n);

	if (b < 0)
		return assert_fail(ld, n, "%s must be true or false, not %s%s%s", what,
				   n->type == Y_SCALAR ? "\"" : "",
				   n->type == Y_SCALAR ? n->value : ynode_type_name(n),
				   n->type == Y_SCALAR ? "\"" : "");
	*out = b;
	return 0;
}

static int assert_string(struct assert_loader *ld, const struct ynode *n, const char *what)
{
	if (n->type == Y_SCALAR && !ynode_is_null(n) && n->len > 0)
		return 0;
	return assert_fail(ld, n, "%s must be a non-empty string", what);
}

/* "absent: true" excludes every other key; returns 1 when absent. */
static int assert_absent(struct assert_loader *ld, const struct ynode *m, const char *what,
			 int *absent)
{
	const struct ynode *a = ynode_get(m, "absent");

	*absent = 0;
	if (!a)
		return 0;
	if (assert_bool(ld, a, "absent", absent) < 0)
		return -1;
	if (*absent && m->n > 2)
		return assert_fail(ld, m, "%s: absent: true cannot be combined with other keys",
				   what);
	return 0;
}

static int assert_load_column(struct assert_loader *ld, const char *table, const struct ynode *k,
			      const struct ynode *v)
{
	static const char *const keys[] = { "type", "nullable", "default", "absent", NULL };
	char what[300];
	const struct ynode *n;
	int absent, b = 0;

	snprintf(what, sizeof(what), "column \"%s\" of table \"%s\"", k->value, table);
	if (assert_want_map(ld, v, what) < 0 || assert_keys(ld, v, what, keys) < 0 ||
	    assert_absent(ld, v, what, &absent) < 0)
		return -1;
	assert_add(ld, A_COLUMN, k, table, k->value)->want = !absent;
	if (absent)
		return 0;
	if ((n = ynode_get(v, "type")) != NULL) {
		if (assert_string(ld, n, "type") < 0)
			return -1;
		assert_add(ld, A_COLUMN_TYPE, n, table, k->value)->text = xstrdup(n->value);
	}
	if ((n = ynode_get(v, "nullable")) != NULL) {
		if (assert_bool(ld, n, "nullable", &b) < 0)
			return -1;
		assert_add(ld, A_COLUMN_NULLABLE, n, table, k->value)->want = b;
	}
	if ((n = ynode_get(v, "default")) != NULL) {
		struct assert_check *c;
		if (n->type != Y_SCALAR)
			return assert_fail(ld, n,
					   "default must be false, true, or the default expression");
		c = assert_add(ld, A_COLUMN_DEFAULT, n, table, k->value);
		b = ynode_bool(n);
		if (b >= 0)
			c->want = b;
		else
			c->text = xstrdup(n->value);
	}
	return 0;
}

static int assert_load_index(struct assert_loader *ld, const char *table, const struct ynode *k,
			     const struct ynode *v)
{
	static const char *const keys[] = {
		"columns", "unique", "primary", "valid", "absent", NULL
	};
	static const struct {
		const char *key;
		enum assert_kind kind;
	} bools[] = { { "unique", A_INDEX_UNIQUE },
		      { "primary", A_INDEX_PRIMARY },
		      { "valid", A_INDEX_VALID } };
	char what[300];
	const struct ynode *n;
	int absent, b = 0;

	snprintf(what, sizeof(what), "index \"%s\" of table \"%s\"", k->value, table);
	if (assert_want_map(ld, v, what) < 0 || assert_keys(ld, v, what, keys) < 0 ||
	    assert_absent(ld, v, what, &absent) < 0)
		return -1;
	assert_add(ld, A_INDEX, k, table, k->value)->want = !absent;
	if (absent)
		return 0;
	if ((n = ynode_get(v, "columns")) != NULL) {
		struct assert_check *c;
		if (n->type != Y_SEQ || n->n == 0)
			return assert_fail(ld, n, "columns must be a non-empty list, e.g. [email]");
		for (size_t i = 0; i < n->n; i++)
			if (assert_string(ld, n->items[i], "each of columns") < 0)
				return -1;
		c = assert_add(ld, A_INDEX_COLUMNS, n, table, k->value);
		c->nlist = n->n;
		c->list = xcalloc(n->n, sizeof(*c->list));
		for (size_t i = 0; i < n->n; i++)
			c->list[i] = xstrdup(n->items[i]->value);
	}
	for (size_t i = 0; i < ZDM_ARRAY_LEN(bools); i++) {
		if ((n = ynode_get(v, bools[i].key)) == NULL)
			continue;
		if (assert_bool(ld, n, bools[i].key, &b) < 0)
			return -1;
		assert_add(ld, bools[i].kind, n, table, k->value)->want = b;
	}
	return 0;
}

static const char *const assert_contypes[][2] = {
	{ "check", "c" },       { "foreign_key", "f" }, { "unique", "u" },
	{ "primary_key", "p" }, { "exclusion", "x" },
};

static int assert_load_constraint(struct assert_loader *ld, const char *table,
				  const struct ynode *k, const struct ynode *v)
{
	static const char *const keys[] = { "validated", "type", "absent", NULL };
	char what[300];
	const struct ynode *n;
	int absent, b = 0;

	snprintf(what, sizeof(what), "constraint \"%s\" of table \"%s\"", k->value, table);
	if (assert_want_map(ld, v, what) < 0 || assert_keys(ld, v, what, keys) < 0 ||
	    assert_absent(ld, v, what, &absent) < 0)
		return -1;
	assert_add(ld, A_CONSTRAINT, k, table, k->value)->want = !absent;
	if (absent)
		return 0;
	if ((n = ynode_get(v, "validated")) != NULL) {
		if (assert_bool(ld, n, "validated", &b) < 0)
			return -1;
		assert_add(ld, A_CONSTRAINT_VALIDATED, n, table, k->value)->want = b;
	}
	if ((n = ynode_get(v, "type")) != NULL) {
		size_t i;
		if (assert_string(ld, n, "type") < 0)
			return -1;
		for (i = 0; i < ZDM_ARRAY_LEN(assert_contypes); i++)
			if (!strcmp(n->value, assert_contypes[i][0]))
				break;
		if (i == ZDM_ARRAY_LEN(assert_contypes))
			return assert_fail(ld, n,
					   "constraint type \"%s\" is not one of check, "
					   "foreign_key, unique, primary_key, exclusion",
					   n->value);
		assert_add(ld, A_CONSTRAINT_TYPE, n, table, k->value)->text = xstrdup(n->value);
	}
	return 0;
}

typedef int (*assert_member_fn)(struct assert_loader *, const char *, const struct ynode *,
				const struct ynode *);

static int assert_load_members(struct assert_loader *ld, const char *table, const struct ynode *m,
			       const char *what, assert_member_fn fn)
{
	char desc[300];

	snprintf(desc, sizeof(desc), "%s of table \"%s\"", what, table);
	if (assert_want_map(ld, m, desc) < 0)
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		if (m->items[i]->type != Y_SCALAR)
			return assert_fail(ld, m->items[i], "names in %s must be plain strings",
					   desc);
		if (fn(ld, table, m->items[i], m->items[i + 1]) < 0)
			return -1;
	}
	return 0;
}

static int assert_load_table(struct assert_loader *ld, const struct ynode *k, const struct ynode *v)
{
	static const char *const keys[] = { "columns", "indexes", "constraints", "absent", NULL };
	char what[300];
	const struct ynode *n;
	int absent;

	if (k->type != Y_SCALAR || k->len == 0)
		return assert_fail(ld, k, "table names must be plain strings");
	snprintf(what, sizeof(what), "table \"%s\"", k->value);
	if (assert_want_map(ld, v, what) < 0 || assert_keys(ld, v, what, keys) < 0 ||
	    assert_absent(ld, v, what, &absent) < 0)
		return -1;
	assert_add(ld, A_TABLE, k, k->value, NULL)->want = !absent;
	if (absent)
		return 0;
	if ((n = ynode_get(v, "columns")) &&
	    assert_load_members(ld, k->value, n, "columns", assert_load_column) < 0)
		return -1;
	if ((n = ynode_get(v, "indexes")) &&
	    assert_load_members(ld, k->value, n, "indexes", assert_load_index) < 0)
		return -1;
	if ((n = ynode_get(v, "constraints")) &&
	    assert_load_members(ld, k->value, n, "constraints", assert_load_constraint) < 0)
		return -1;
	return 0;
}

static int assert_load_checks(struct assert_loader *ld, const struct ynode *list)
{
	static const char *const keys[] = { "name", "sql", NULL };

	if (list->type != Y_SEQ)
		return assert_fail(ld, list, "checks must be a list of {name, sql}");
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *c = list->items[i], *name, *sql;
		struct assert_check *a;

		if (assert_want_map(ld, c, "each check") < 0 ||
		    assert_keys(ld, c, "a check", keys) < 0)
			return -1;
		name = ynode_get(c, "name");
		sql = ynode_get(c, "sql");
		if (!name || !sql)
			return assert_fail(ld, c, "a check needs both name and sql");
		if (assert_string(ld, name, "name") < 0 || assert_string(ld, sql, "sql") < 0)
			return -1;
		a = assert_add(ld, A_SQL, c, NULL, name->value);
		a->text = xstrdup(sql->value);
	}
	return 0;
}

int assert_load(const char *path, struct assert_spec *spec, struct zerr *e)
{
	char *buf;
	size_t len;
	int rc;

	memset(spec, 0, sizeof(*spec));
	if (util_read_file(path, ASSERT_MAX_FILE, &buf, &len, e) < 0)
		return -1;
	rc = assert_load_buf(path, buf, len, spec, e);
	free(buf);
	return rc;
}

int assert_load_buf(const char *path, const char *buf, size_t len, struct assert_spec *spec,
		    struct zerr *e)
{
	static const char *const keys[] = { "tables", "no_invalid_indexes", "checks", NULL };
	struct assert_loader ld = { .spec = spec, .path = path, .e = e };
	struct ystream ys;
	const struct ynode *root, *n;
	int rc = -1;

	memset(spec, 0, sizeof(*spec));
	spec->path = xstrdup(path);
	if (ydoc_load_buf(buf, len, path, &ys, e) < 0) {
		assert_spec_release(spec);
		return -1;
	}
	if (ys.n > 1) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: only one YAML document is allowed", path,
			 ys.docs[1].line);
		goto cleanup;
	}
	root = ys.n ? ys.docs[0].root : NULL;
	if (!root || ynode_is_null(root)) {
		rc = 0; /* an empty file asserts nothing */
		goto cleanup;
	}
	if (assert_want_map(&ld, root, "the assertions file") < 0 ||
	    assert_keys(&ld, root, "the assertions file", keys) < 0)
		goto cleanup;
	if ((n = ynode_get(root, "tables")) != NULL) {
		if (assert_want_map(&ld, n, "tables") < 0)
			goto cleanup;
		for (size_t i = 0; i + 1 < n->n; i += 2)
			if (assert_load_table(&ld, n->items[i], n->items[i + 1]) < 0)
				goto cleanup;
	}
	if ((n = ynode_get(root, "no_invalid_indexes")) != NULL) {
		int b = 0;
		if (assert_bool(&ld, n, "no_invalid_indexes", &b) < 0)
			goto cleanup;
		if (b)
			assert_add(&ld, A_NO_INVALID_INDEXES, n, NULL, NULL)->want = 1;
	}
	if ((n = ynode_get(root, "checks")) != NULL && assert_load_checks(&ld, n) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	ystream_release(&ys);
	if (rc < 0)
		assert_spec_release(spec);
	return rc;
}

void assert_spec_release(struct assert_spec *spec)
{
	for (size_t i = 0; i < spec->n; i++) {
		struct assert_check *c = &spec->v[i];
		free(c->table);
		free(c->name);
		free(c->text);
		for (size_t k = 0; k < c->nlist; k++)
			free(c->list[k]);
		free(c->list);
	}
	free(spec->v);
	free(spec->path);
	memset(spec, 0, sizeof(*spec));
}

/* --- checking ------------------------------------------------------- */

/* What the catalog says about one table. */
struct assert_table {
	char *name;
	int exists;
	PGresult *columns; /* attname, type, nullable, default */
	PGresult *indexes; /* relname, unique, valid, primary, columns (text[]) */
	PGresult *constraints; /* conname, contype, convalidated */
};

static void assert_table_release(struct assert_table *t)
{
	free(t->name);
	PQclear(t->columns);
	PQclear(t->indexes);
	PQclear(t->constraints);
}

static int assert_fetch_table(struct db *db, const char *name, struct assert_table *t,
			      struct zerr *e)
{
	const char *params[1] = { name };
	PGresult *r;
	char oid[16];
	const char *oparams[1] = { oid };

	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	r = db_query(db,
		     "SELECT c.oid FROM pg_catalog.pg_class c"
		     " WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
		     1, params, e);
	if (!r)
		return -1;
	t->exists = PQntuples(r) == 1;
	if (t->exists)
		snprintf(oid, sizeof(oid), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!t->exists)
		return 0;
	t->columns = db_query(db,
			      "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
			      " NOT a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
			      " FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d"
			      "  ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
			      " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
			      1, oparams, e);
	if (!t->columns)
		return -1;
	t->indexes = db_query(
		db,
		"SELECT c.relname, i.indisunique, i.indisvalid AND i.indisready, i.indisprimary,"
		" array_to_string(ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)"
		"  FROM generate_series(1, i.indnkeyatts) k), ', ')"
		" FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
		" WHERE i.indrelid = $1::oid",
		1, oparams, e);
	if (!t->indexes)
		return -1;
	t->constraints =
		db_query(db,
			 "SELECT conname, contype::text, convalidated FROM pg_catalog.pg_constraint"
			 " WHERE conrelid = $1::oid",
			 1, oparams, e);
	return t->constraints ? 0 : -1;
}

static int assert_find_row(PGresult *r, const char *name)
{
	for (int i = 0; r && i < PQntuples(r); i++)
		if (!strcmp(PQgetvalue(r, i, 0), name))
			return i;
	return -1;
}

static void assert_record(struct assert_result *out, const char *path, const struct assert_check *c,
			  const char *subject, int ok, const char *fmt, ...) ZDM_PRINTF(6, 7);

static void assert_record(struct assert_result *out, const char *path, const struct assert_check *c,
			  const char *subject, int ok, const char *fmt, ...)
{
	struct sb msg;
	va_list ap;

	sb_init(&msg);
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	json_array_append_new(out->results,
			      json_pack("{s:s, s:i, s:i, s:s, s:b, s:s}", "file", path, "line",
					c->line, "col", c->col, "subject", subject, "ok", ok,
					"message", msg.buf));
	if (ok)
		out->passed++;
	else
		out->failed++;
	sb_release(&msg);
}

/* The verdict of an exists / absent: true assertion. */
static void assert_record_exists(struct assert_result *out, const char *path,
				 const struct assert_check *c, const char *subject, int found)
{
	assert_record(out, path, c, subject, found == c->want, "%s",
		      c->want ? (found ? "exists" : "does not exist")
			      : (found ? "exists but should be absent" : "is absent"));
}

static const char *assert_yesno(int b)
{
	return b ? "true" : "false";
}

static void assert_check_member(const struct assert_check *c, struct assert_table *t,
				const char *path, struct assert_result *out)
{
	char subject[512];
	int row;

	switch (c->kind) {
	case A_COLUMN:
	case A_COLUMN_TYPE:
	case A_COLUMN_NULLABLE:
	case A_COLUMN_DEFAULT:
		snprintf(subject, sizeof(subject), "table \"%s\" column \"%s\"", c->table, c->name);
		row = assert_find_row(t->columns, c->name);
		if (c->kind == A_COLUMN) {
			assert_record_exists(out, path, c, subject, row >= 0);
			return;
		}
		if (row < 0)
			return; /* reported by A_COLUMN */
		if (c->kind == A_COLUMN_TYPE) {
			const char *type = PQgetvalue(t->columns, row, 1);
			int ok = !strcmp(type, c->text);
			assert_record(out, path, c, subject, ok,
				      ok ? "type is %s" : "type is %s, expected %s", type, c->text);
		} else if (c->kind == A_COLUMN_NULLABLE) {
			int nullable = PQgetvalue(t->columns, row, 2)[0] == 't';
			assert_record(out, path, c, subject, nullable == c->want,
				      "nullable is %s%s%s", assert_yesno(nullable),
				      nullable == c->want ? "" : ", expected ",
				      nullable == c->want ? "" : assert_yesno(c->want));
		} else {
			int has = !PQgetisnull(t->columns, row, 3);
			const char *def = has ? PQgetvalue(t->columns, row, 3) : "";
			if (c->text)
				assert_record(out, path, c, subject, has && !strcmp(def, c->text),
					      "default is %s%s%s%s", has ? def : "(none)",
					      has && !strcmp(def, c->text) ? "" : ", expected ",
					      has && !strcmp(def, c->text) ? "" : c->text, "");
			else
				assert_record(out, path, c, subject, has == c->want, "%s%s%s",
					      has ? "has the default " : "has no default", def,
					      has == c->want ? ""
					      : c->want      ? ", expected one"
							     : ", expected none");
		}
		return;
	case A_INDEX:
	case A_INDEX_COLUMNS:
	case A_INDEX_UNIQUE:
	case A_INDEX_PRIMARY:
	case A_INDEX_VALID:
		snprintf(subject, sizeof(subject), "table \"%s\" index \"%s\"", c->table, c->name);
		row = assert_find_row(t->indexes, c->name);
		if (c->kind == A_INDEX) {
			assert_record_exists(out, path, c, subject, row >= 0);
			return;
		}
		if (row < 0)
			return;
		if (c->kind == A_INDEX_COLUMNS) {
			struct sb want;
			const char *have = PQgetvalue(t->indexes, row, 4);
			sb_init(&want);
			for (size_t i = 0; i < c->nlist; i++)
				sb_addf(&want, "%s%s", i ? ", " : "", c->list[i]);
			assert_record(out, path, c, subject, !strcmp(have, want.buf),
				      "columns are (%s)%s%s%s", have,
				      strcmp(have, want.buf) ? ", expected (" : "",
				      strcmp(have, want.buf) ? want.buf : "",
				      strcmp(have, want.buf) ? ")" : "");
			sb_release(&want);
		} else {
			int col = c->kind == A_INDEX_UNIQUE ? 1 : c->kind == A_INDEX_VALID ? 2 : 3;
			const char *prop = col == 1 ? "unique" : col == 2 ? "valid" : "primary";
			int have = PQgetvalue(t->indexes, row, col)[0] == 't';
			assert_record(out, path, c, subject, have == c->want, "%s is %s%s%s%s",
				      prop, assert_yesno(have),
				      have == c->want ? "" : ", expected ",
				      have == c->want ? "" : assert_yesno(c->want),
				      col == 2 && !have
					      ? " (left INVALID by a failed CONCURRENTLY build?)"
					      : "");
		}
		return;
	case A_CONSTRAINT:
	case A_CONSTRAINT_VALIDATED:
	case A_CONSTRAINT_TYPE:
		snprintf(subject, sizeof(subject), "table \"%s\" constraint \"%s\"", c->table,
			 c->name);
		row = assert_find_row(t->constraints, c->name);
		if (c->kind == A_CONSTRAINT) {
			assert_record_exists(out, path, c, subject, row >= 0);
			return;
		}
		if (row < 0)
			return;
		if (c->kind == A_CONSTRAINT_VALIDATED) {
			int have = PQgetvalue(t->constraints, row, 2)[0] == 't';
			assert_record(out, path, c, subject, have == c->want,
				      "validated is %s%s%s%s", assert_yesno(have),
				      have == c->want ? "" : ", expected ",
				      have == c->want ? "" : assert_yesno(c->want),
				      !have ? " (added NOT VALID and never validated)" : "");
		} else {
			const char *have = PQgetvalue(t->constraints, row, 1), *name = have;
			for (size_t i = 0; i < ZDM_ARRAY_LEN(assert_contypes); i++)
				if (!strcmp(have, assert_contypes[i][1]))
					name = assert_contypes[i][0];
			assert_record(out, path, c, subject, !strcmp(name, c->text),
				      "type is %s%s%s", name,
				      strcmp(name, c->text) ? ", expected " : "",
				      strcmp(name, c->text) ? c->text : "");
		}
		return;
	default:
		return;
	}
}

static int assert_no_invalid(const struct assert_check *c, struct db *db, const char *path,
			     struct assert_result *out, struct zerr *e)
{
	PGresult *r =
		db_query(db,
			 "SELECT string_agg(format('%s (on %s)', i.indexrelid::regclass,"
			 " i.indrelid::regclass), ', ' ORDER BY 1), count(*)"
			 " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
			 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
			 " WHERE NOT (i.indisvalid AND i.indisready)"
			 " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
			 " AND n.nspname NOT LIKE 'pg_toast%'",
			 0, NULL, e);
	int n;

	if (!r)
		return -1;
	n = (int)db_value_ll(r, 0, 1, 0);
	assert_record(out, path, c, "database", n == 0,
		      n ? "%d INVALID index%s: %s" : "no INVALID indexes", n, n == 1 ? "" : "es",
		      PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int assert_sql(const struct assert_check *c, struct db *db, long long timeout_ms,
		      const char *path, struct assert_result *out, struct zerr *e)
{
	char subject[512], to[32];
	struct zerr qe = { 0 };
	PGresult *r;

	snprintf(subject, sizeof(subject), "check \"%s\"", c->name);
	snprintf(to, sizeof(to), "%lldms", timeout_ms);
	if (db_exec(db, "BEGIN READ ONLY", e) < 0 || db_set(db, "statement_timeout", to, 1, e) < 0)
		return -1;
	r = db_query(db, c->text, 0, NULL, &qe);
	if (!r)
		assert_record(out, path, c, subject, 0, "%s", qe.msg);
	else if (PQntuples(r) != 1 || PQnfields(r) != 1)
		assert_record(out, path, c, subject, 0,
			      "returned %d row%s of %d column%s; a check must return one boolean",
			      PQntuples(r), PQntuples(r) == 1 ? "" : "s", PQnfields(r),
			      PQnfields(r) == 1 ? "" : "s");
	else if (PQgetisnull(r, 0, 0) || strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		assert_record(out, path, c, subject, 0, "returned %s",
			      PQgetisnull(r, 0, 0)                ? "NULL"
			      : !strcmp(PQgetvalue(r, 0, 0), "f") ? "false"
								  : PQgetvalue(r, 0, 0));
	else
		assert_record(out, path, c, subject, 1, "returned true");
	PQclear(r);
	return db_exec(db, "ROLLBACK", e);
}

int assert_run(const struct assert_spec *spec, struct db *db, long long check_timeout_ms,
	       struct assert_result *out, struct zerr *e)
{
	struct assert_table t;
	int have_table = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	out->results = json_array();
	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < spec->n; i++) {
		const struct assert_check *c = &spec->v[i];
		char subject[300];

		if (c->kind == A_NO_INVALID_INDEXES) {
			if (assert_no_invalid(c, db, spec->path, out, e) < 0)
				goto cleanup;
			continue;
		}
		if (c->kind == A_SQL) {
			if (assert_sql(c, db, check_timeout_ms, spec->path, out, e) < 0)
				goto cleanup;
			continue;
		}
		if (!have_table || strcmp(t.name, c->table) != 0) {
			if (have_table)
				assert_table_release(&t);
			have_table = 1;
			if (assert_fetch_table(db, c->table, &t, e) < 0)
				goto cleanup;
		}
		if (c->kind == A_TABLE) {
			snprintf(subject, sizeof(subject), "table \"%s\"", c->table);
			assert_record_exists(out, spec->path, c, subject, t.exists);
			continue;
		}
		if (t.exists)
			assert_check_member(c, &t, spec->path, out);
	}
	rc = 0;
cleanup:
	if (have_table)
		assert_table_release(&t);
	return rc;
}

void assert_result_release(struct assert_result *r)
{
	json_decref(r->results);
	memset(r, 0, sizeof(*r));
}
