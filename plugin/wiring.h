/*
 * wiring — the checks of `helm zdm lint CHART` beyond the migrations:
 * is the chart wired so that a migration can neither hang a release nor
 * leak a password?
 *
 *   values     no password-looking key (password, passwd, passphrase,
 *              pwd) with a literal value, no connection URL or conninfo
 *              string with a password, in the chart's values files: the
 *              Jobs take credentials only from an existing Secret. Only
 *              the zdm: block is zdm's business (WSCOPE_ZDM); the rest of
 *              the chart's values on request (WSCOPE_ALL). Placeholders
 *              (None, changeme, <password>, ${VAR}, xxx...) are not
 *              passwords. Files are read as Helm reads them.
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
 * Accepting a finding: wiring_accept_load reads zdm.lint.accept of the
 * chart's .zdm.yaml (entries {kind: RULE, key: VALUES.PATH or
 * FILE:LINE, reason: TEXT}; a missing reason is exit 2 at its line), and
 * wiring_accept_apply turns the findings they match into WF_ALLOWED with
 * the reason in the message.
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
	char *key; /* values findings: the dotted values path; else NULL */
	char *accepted; /* the reason of the acceptance that matched, or NULL */
};

enum wscope { WSCOPE_ZDM, WSCOPE_ALL };

/* One entry of zdm.lint.accept. */
struct waccept {
	char *kind, *key, *reason;
	char *file; /* where it is written */
	int line;
	int used;
};

struct waccepts {
	struct waccept *v;
	size_t n;
};

struct wreport {
	struct wfinding *v;
	size_t n;
};

void wreport_add(struct wreport *r, enum wf_kind kind, enum wf_severity sev, const char *file,
		 int line, int col, const char *rule, const char *hint, const char *fmt, ...)
	ZDM_PRINTF(9, 10);
void wreport_release(struct wreport *r);

/* Scan the values files (the zdm: block, or everything with WSCOPE_ALL)
 * for literal passwords and credentials. -1 with e set (exit 2) when a
 * file is not YAML. */
int wiring_check_values(const struct strv *files, enum wscope scope, struct wreport *out,
			struct zerr *e);

/* Read zdm.lint.accept from file (absent file or key: none). -1 with e
 * set (exit 2, file:line) on an entry without kind, key or reason. */
int wiring_accept_load(const char *file, struct waccepts *out, struct zerr *e);
/* Mark the findings (not the migrations') that an entry matches as
 * accepted; chart_dir makes "FILE:LINE" keys relative to the chart. */
void wiring_accept_apply(struct waccepts *a, const char *chart_dir, struct wreport *r);
void waccepts_release(struct waccepts *a);

/* Check the zdm objects of a rendered stream; timeout_ms is helm's
 * --timeout. -1 with e set when the stream is not YAML. */
int wiring_check_render(const struct chart_info *c, const struct strv *values, const char *buf,
			size_t len, long long timeout_ms, struct wreport *out, struct zerr *e);

/* Parse a Go duration as helm's --timeout takes it ("5m", "300s",
 * "1m30s", "1h"); -1 when malformed. */
int wiring_parse_timeout(const char *s, long long *ms);

#endif
