/*
 * tmpl — the zdm templates that `helm zdm inject` copies into a chart.
 *
 * They live as plain files in a templates directory shipped with the
 * plugin (the repository's templates/): every `_zdm*.tpl` and `zdm-*`
 * file is a chart template; values-zdm.yaml is the documented `zdm:`
 * values block; migrations-README.md is the README of a new migrations/
 * directory. "@ZDM_VERSION@" in any of them becomes the plugin version.
 *
 * A copy in a chart starts with one header line, a Go-template comment
 * that renders to nothing:
 *
 *   {{- /+ zdm 0.1.0 template zdm-migrate-job.yaml crc32:89abcdef: ... +/ -}}
 *
 * (with "*" for "+"). The CRC-32 covers everything after that line, so
 * inject can tell an untouched copy (safe to update) from one the user
 * edited (refused without --force) without any state outside the file.
 *
 * Ownership: tmpl_load fills a struct tmpl_set that owns every string in
 * it; tmpl_release frees them all.
 */
#ifndef ZDM_TMPL_H
#define ZDM_TMPL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TMPL_VALUES_FILE "values-zdm.yaml"
#define TMPL_README_FILE "migrations-README.md"

struct tmpl_file {
	char *name; /* base name, the same in templates/ and CHART/templates/ */
	char *body; /* contents, version substituted */
	size_t len;
};

struct tmpl_set {
	char *dir; /* where they were read from */
	struct tmpl_file *v; /* chart templates, sorted by name */
	size_t n;
	char *values_block; /* values-zdm.yaml */
	size_t values_len;
	char *readme; /* migrations-README.md */
	size_t readme_len;
};

/* What a file in CHART/templates is, judged by its header. */
enum tmpl_state {
	TMPL_FOREIGN = 0, /* no zdm header: not written by zdm */
	TMPL_PRISTINE, /* header checksum matches the body */
	TMPL_MODIFIED, /* header present, body edited since */
};

/* Find the templates directory: $ZDM_TEMPLATES_DIR, else
 * $HELM_PLUGIN_DIR/templates, else ../templates beside the running
 * binary. *dir is set (caller frees) or -1 returned with e set. */
int tmpl_locate(char **dir, struct zerr *e);

/* Read every template of dir. -1 with e set when the directory, a
 * chart template, values-zdm.yaml or migrations-README.md is missing. */
int tmpl_load(const char *dir, struct tmpl_set *out, struct zerr *e);
void tmpl_release(struct tmpl_set *s);

/* Is name one of zdm's chart templates ("_zdm*.tpl", "zdm-*")? */
int tmpl_is_zdm_name(const char *name);

/* The file inject writes for t: header line + body (caller frees). */
char *tmpl_render(const struct tmpl_file *t, size_t *len);

/* Judge a chart's copy buf[0..len) by its header. */
enum tmpl_state tmpl_check(const char *buf, size_t len);

#endif
