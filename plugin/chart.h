/*
 * chart — what render and lint need to know about a chart directory:
 * its Chart.yaml identity (the zdm objects carry the chart's name and
 * version in their labels), whether `helm zdm inject` already put the
 * zdm templates in it, the values files that configure zdm, and a zdm
 * setting looked up in them.
 *
 * The values files, in the order Helm applies them: the chart's
 * values.yaml, then .zdm.yaml (zdm settings kept beside a chart that is
 * not injected; its presence is also what the Argo CD plugin discovers),
 * then the caller's own files.
 *
 * Ownership: struct chart_info owns its strings (chart_release).
 */
#ifndef ZDM_CHART_H
#define ZDM_CHART_H

#include <stddef.h>

#include "helmrun.h"
#include "util.h"

#define CHART_ZDM_FILE ".zdm.yaml"
#define CHART_MIGRATE_TEMPLATE "templates/zdm-migrate-job.yaml"

struct chart_info {
	char *dir;
	char *name;
	char *version;
	char *app_version; /* "" when Chart.yaml has none */
	int injected; /* templates/zdm-migrate-job.yaml exists */
};

/* Read dir/Chart.yaml. -1 with e set (exit 2) when dir is not a chart. */
int chart_load(const char *dir, struct chart_info *c, struct zerr *e);
void chart_release(struct chart_info *c);

/* Append the values files of chart c that exist (values.yaml, .zdm.yaml)
 * to files, as paths. */
void chart_values_files(const struct chart_info *c, struct strv *files);

/* The scalar at dotted path (e.g. "zdm.migrations.path") in the last of
 * files that sets it: *out is a copy (caller frees) or NULL. -1 with e
 * set (exit 2) when a file is missing or not YAML. */
int chart_values_get(const struct strv *files, const char *path, char **out, struct zerr *e);

/* The migrations directory of chart c: CHART/<zdm.migrations.path of
 * the values files> (default CHART/migrations). Caller frees. */
int chart_migrations_dir(const struct chart_info *c, const struct strv *values, char **out,
			 struct zerr *e);

/* Split a comma-separated list (empty items dropped) onto out. */
void chart_split_list(const char *list, struct strv *out);

#endif
