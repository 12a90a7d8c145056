/*
 * cmd-inject — `helm zdm inject CHART_DIR [--dry-run] [--force]`: add
 * zdm's migration hook to a chart. The work is in inject.c (the plan)
 * and tmpl.c (the templates); this file checks the arguments, prints the
 * plan as a summary or, with --dry-run, as a unified diff on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject.h"
#include "log.h"
#include "plugin.h"
#include "tmpl.h"
#include "udiff.h"

static const struct opt_def cmd_inject_opt_dry_run = {
	.name = "dry-run",
	.kind = OPT_BOOL,
	.help = "print the changes as a unified diff; write nothing",
};

static const struct opt_def cmd_inject_opt_force = {
	.name = "force",
	.kind = OPT_BOOL,
	.help = "overwrite zdm templates that were edited in the chart",
};

static const char *const cmd_inject_verbs[] = {
	[INJ_CREATE] = "created",
	[INJ_UPDATE] = "updated",
	[INJ_REMOVE] = "removed",
	[INJ_APPEND] = "appended the zdm: block to",
};

/* Print the plan as one unified diff (a/ and b/ prefixes, patch -p1). */
static void cmd_inject_diff(const struct inject_plan *p)
{
	struct sb s;

	sb_init(&s);
	for (size_t i = 0; i < p->n; i++) {
		const struct inject_change *c = &p->v[i];
		char *a = c->kind == INJ_CREATE ? xstrdup("/dev/null") : xasprintf("a/%s", c->rel);
		char *b = c->kind == INJ_REMOVE ? xstrdup("/dev/null") : xasprintf("b/%s", c->rel);
		udiff_write(&s, a, c->old, c->old_len, b, c->new_, c->new_len);
		free(a);
		free(b);
	}
	fwrite(s.buf, 1, s.len, stdout);
	sb_release(&s);
}

static int cmd_inject_exec(struct plugin_ctx *ctx)
{
	struct tmpl_set t = { 0 };
	struct inject_plan p = { 0 };
	struct zerr e = { 0 };
	char *dir = NULL;
	int dry = (int)plugin_opt(ctx, &cmd_inject_opt_dry_run)->num,
	    force = (int)plugin_opt(ctx, &cmd_inject_opt_force)->num;
	int rc = ZDM_EXIT_OK;

	if (ctx->nargs != 1) {
		if (ctx->nargs)
			zerr_set(&e, ZDM_EXIT_USAGE, "inject takes one chart directory, got %d",
				 ctx->nargs);
		else
			zerr_set(&e, ZDM_EXIT_USAGE, "inject needs the chart directory");
		zerr_hint(&e, "usage: helm zdm inject CHART_DIR [--dry-run] [--force]");
		return plugin_fail(&e);
	}
	if (tmpl_locate(&dir, &e) < 0 || tmpl_load(dir, &t, &e) < 0) {
		rc = plugin_fail(&e);
		goto cleanup;
	}
	plugin_debug(ctx, "templates from %s (%zu chart templates)", t.dir, t.n);
	if (inject_plan_build(ctx->args[0], &t, force, &p, &e) < 0) {
		rc = plugin_fail(&e);
		goto cleanup;
	}
	for (size_t i = 0; i < p.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", p.warnings[i]);
	if (dry) {
		cmd_inject_diff(&p);
		for (size_t i = 0; i < p.nnotes; i++)
			fprintf(stderr, "note: %s\n", p.notes[i]);
		if (p.n == 0)
			fprintf(stderr, "chart \"%s\" already has zdm %s: nothing to change\n",
				p.name, ZDM_VERSION);
		goto cleanup;
	}
	if (inject_plan_apply(&p, &e) < 0) {
		rc = plugin_fail(&e);
		goto cleanup;
	}
	for (size_t i = 0; i < p.n; i++)
		printf("%s %s%s\n", cmd_inject_verbs[p.v[i].kind], p.v[i].rel,
		       p.v[i].forced ? " (your edits were overwritten: --force)" : "");
	for (size_t i = 0; i < p.nnotes; i++)
		printf("note: %s\n", p.notes[i]);
	if (p.n == 0)
		printf("chart \"%s\" already has zdm %s: nothing to change\n", p.name, ZDM_VERSION);
	else
		printf("chart \"%s\" now has zdm %s; next: name the database Secret in "
		       "zdm.database.existingSecret and add migrations/V1__<description>.sql\n"
		       "then: add {{- include \"zdm.appEnv\" . | nindent 12 }} to the env of your "
		       "workloads' containers (PGAPPNAME=<release>/<app version>), so contracts "
		       "wait while an older app version is connected\n",
		       p.name, ZDM_VERSION);
cleanup:
	inject_plan_release(&p);
	tmpl_release(&t);
	free(dir);
	return rc;
}

static const struct opt_def *const cmd_inject_opts[] = {
	&cmd_inject_opt_dry_run,
	&cmd_inject_opt_force,
	NULL,
};

const struct plugin_cmd plugin_cmd_inject = {
	.name = "inject",
	.usage = "CHART_DIR [--dry-run] [--force]",
	.summary = "add the zdm migration hook Jobs, values and migrations/ to a chart",
	.description =
		"Copy zdm's templates into CHART_DIR/templates/ (zdm-*.yaml and _zdm.tpl), append\n"
		"the documented zdm: block to values.yaml (as text: every byte of the file is kept;\n"
		"nothing is added when it already has a top-level zdm: key) and create\n"
		"migrations/ with a README when the chart has none. Prints what it changed,\n"
		"which of the chart's pod settings (pull secrets, scheduling, service account)\n"
		"the Jobs inherit, and the chart's own pre-install/pre-upgrade or PreSync hook\n"
		"Jobs with the order they and zdm's Job run in. values.yaml is read as Helm\n"
		"reads it: a duplicate key is a warning (the last one wins), not an error.\n"
		"\n"
		"Running it again changes nothing; a newer zdm updates only its own templates.\n"
		"A zdm template edited in the chart is refused (exit 2) unless --force.\n"
		"Refused with exit 2: a path without Chart.yaml, a library chart, a chart\n"
		"that cannot be written. --dry-run prints a unified diff (apply it with\n"
		"patch -p1 in the chart) and writes nothing.",
	.opts = cmd_inject_opts,
	.exec = cmd_inject_exec,
};
