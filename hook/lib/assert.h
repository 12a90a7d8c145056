/*
 * assert — declarative schema assertions checked against the live catalog.
 *
 *   tables:
 *     users:                                  # may be schema-qualified
 *       columns:
 *         id: {type: bigint, nullable: false}
 *         display_name: {type: text, nullable: true, default: false}
 *         full_name: {absent: true}
 *       indexes:
 *         users_display_name_idx: {columns: [display_name], unique: false, valid: true}
 *       constraints:
 *         users_display_name_not_null: {validated: true, type: check}
 *     legacy_users: {absent: true}
 *   no_invalid_indexes: true
 *   checks:
 *     - name: every user has a display name
 *       sql: select count(*) = 0 from users where display_name is null
 *
 * Loading validates the whole file first (unknown keys, wrong types,
 * aliases: exit 2 with file:line:col); running reports every result, each
 * naming the file:line of its assertion. Ownership: assert_spec_release
 * frees a loaded spec; results are a JSON array the caller owns.
 */
#ifndef ZDM_ASSERT_H
#define ZDM_ASSERT_H

#include <jansson.h>

#include "db.h"
#include "ydoc.h"

struct assert_check;

struct assert_spec {
	char *path;
	struct assert_check *v;
	size_t n;
};

int assert_load(const char *path, struct assert_spec *spec, struct zerr *e);
/* The same for the file's contents already in memory (path names it in
 * messages). */
int assert_load_buf(const char *path, const char *buf, size_t len, struct assert_spec *spec,
		    struct zerr *e);
void assert_spec_release(struct assert_spec *spec);

struct assert_result {
	int passed;
	int failed;
	json_t *results; /* [{file, line, col, subject, ok, message}] */
};

/* Check every assertion on db. Returns 0 when it could check them all
 * (whatever their outcome), -1 with e set when the database failed. */
int assert_run(const struct assert_spec *spec, struct db *db, long long check_timeout_ms,
	       struct assert_result *out, struct zerr *e);
void assert_result_release(struct assert_result *r);

#endif
