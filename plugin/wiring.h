/*
 * wiring — the checks of `helm zdm lint CHART` beyond the migrations:
 * is the chart wired so that a migration can neither hang a release nor
 * leak a password?
 *
 *   values     no password-looking key (password, passwd, passphrase,
 *              pwd) with a literal value, no connection URL or conninfo
 *              string with a password, in the chart's values files: the
 *              Jobs take credentials only from an existing Secret
 *   rendered   (the chart rendered the way it is deployed) the migration
 *              Job exists and is a pre-install,pre-upgrade hook, its
 *              ConfigMap comes before it, and every zdm Job has
 *              backoffLimit 0, ttlSecondsAfterFinished, and an
 *              activeDeadlineSeconds below helm's --timeout
 *
 * Each finding names the file, line and column where it is fixed: the
 * values key that sets it when one does, else the chart template that
 * writes it, else the template the object was rendered from.
 *
 * Ownership: struct wreport owns its findings (wreport_release).
 */
#ifndef ZDM_WIRING_H
#define ZDM_WIRING_H

#include "chart.h"
#include "helmrun.h"
#include "util.h"

enum wf_kind { WF_MIGRATION, WF_WIRING, WF_VALUES };
enum wf_severity { WF_ERROR, WF_WARNING, WF_ALLOWED };

struct wfinding {
	enum wf_kind kind;
	enum wf_severity sev;
	char *file;
	int line, col;
	char *rule;
	char *message;
	char *hint;
};

struct wreport {
	struct wfinding *v;
	size_t n;
};

void wreport_add(struct wreport *r, enum wf_kind kind, enum wf_severity sev, const char *file,
		 int line, int col, const char *rule, const char *hint, const char *fmt, ...)
	ZDM_PRINTF(9, 10);
void wreport_release(struct wreport *r);

/* Scan the values files for literal passwords and credentials. -1 with
 * e set (exit 2) when a file is not YAML. */
int wiring_check_values(const struct strv *files, struct wreport *out, struct zerr *e);

/* Check the zdm objects of a rendered stream; timeout_ms is helm's
 * --timeout. -1 with e set when the stream is not YAML. */
int wiring_check_render(const struct chart_info *c, const struct strv *values, const char *buf,
			size_t len, long long timeout_ms, struct wreport *out, struct zerr *e);

/* Parse a Go duration as helm's --timeout takes it ("5m", "300s",
 * "1m30s", "1h"); -1 when malformed. */
int wiring_parse_timeout(const char *s, long long *ms);

#endif
