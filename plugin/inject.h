/*
 * inject — what `helm zdm inject CHART_DIR` changes in a chart, computed
 * first as a plan and only then written.
 *
 * The plan lists every file to create, update, remove or append to, with
 * its old and new bytes, so the command layer can print it as a summary
 * or (--dry-run) as a unified diff, and nothing is written until every
 * check has passed. inject_plan_build refuses, with ZDM_EXIT_USAGE:
 * a path that is not a chart directory, a library chart, a values.yaml
 * that is not one YAML mapping, and (without force) a zdm template that
 * was edited in the chart or a file of the same name zdm did not write.
 * inject_plan_apply refuses a chart it cannot write (ZDM_EXIT_USAGE)
 * before changing anything, then writes each file atomically (a
 * temporary file renamed over the old one, keeping its mode).
 *
 * values.yaml is only ever appended to, as text, and only when its one
 * document has no top-level `zdm:` key: the user's bytes come first,
 * unchanged. It is read as Helm reads it: a duplicate key is a warning
 * (the last one wins), not a refusal. The notes say which of the chart's
 * pod settings the zdm Jobs inherit and where the chart's own
 * pre-install/pre-upgrade (Argo CD PreSync) Jobs run relative to zdm's. Templates that zdm wrote and nobody edited are brought up
 * to date; user files are never touched.
 *
 * Ownership: struct inject_plan owns all its strings and buffers;
 * inject_plan_release frees them.
 */
#ifndef ZDM_INJECT_H
#define ZDM_INJECT_H

#include <stddef.h>

#include "tmpl.h"
#include "util.h"

enum inject_kind {
	INJ_CREATE, /* a new file */
	INJ_UPDATE, /* a zdm template replaced by the current version */
	INJ_REMOVE, /* a zdm template the current version no longer ships */
	INJ_APPEND, /* the zdm: block added to values.yaml */
};

struct inject_change {
	enum inject_kind kind;
	char *rel; /* path inside the chart, e.g. "templates/_zdm.tpl" */
	char *path; /* the path to write (chart dir + "/" + rel) */
	char *old; /* current bytes; NULL for INJ_CREATE */
	size_t old_len;
	char *new_; /* bytes to write; NULL for INJ_REMOVE */
	size_t new_len;
	int forced; /* overwrites or removes an edited file (--force) */
};

struct inject_plan {
	char *chart; /* the chart directory as given */
	char *name; /* the chart's name from Chart.yaml */
	struct inject_change *v;
	size_t n;
	char **notes; /* things left alone on purpose, settings found, for the report */
	size_t nnotes;
	char **warnings; /* things the user should fix (duplicate values keys) */
	size_t nwarnings;
};

int inject_plan_build(const char *chart, const struct tmpl_set *t, int force,
		      struct inject_plan *out, struct zerr *e);
int inject_plan_apply(const struct inject_plan *p, struct zerr *e);
void inject_plan_release(struct inject_plan *p);

#endif
