/*
 * cmd-lint — `helm zdm lint CHART_DIR`: everything CI can check about a
 * chart's migrations without a cluster or a database.
 *
 *   1. the migrations (srclint, every file: the classifier zdm-hook
 *      migrate enforces at run time)
 *   2. the values files: no literal password or credentials under zdm:
 *      (--check-values all: anywhere) (wiring.c)
 *   3. the wiring: the chart rendered with `helm template` and its
 *      values, passed through the render filter exactly as the Helm
 *      post-renderer or the Argo CD plugin would (so a chart that relies
 *      on them is checked too), then the zdm Jobs' hooks, backoffLimit,
 *      ttlSecondsAfterFinished and deadline against --timeout (wiring.c)
 *
 * Findings: "file:line:col: rule: message" and a "hint:" line (text), one
 * JSON object (json), or GitHub workflow annotations (github); the summary
 * counts the chart's problems by rule. A finding accepted in the chart's
 * .zdm.yaml (zdm.lint.accept) is printed as allowed, with its reason, and
 * does not fail the lint. Exit 6 on an unsafe migration, else 1 on any
 * wiring or values problem, 2 on bad input, 0 when clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "chart.h"
#include "helmrun.h"
#include "lintfmt.h"
#include "log.h"
#include "plugin.h"
#include "render.h"
#include "source.h"
#include "srclint.h"
#include "wiring.h"

static const struct opt_def cmd_lint_opt_output = {
	.name = "output",
	.env = "ZDM_OUTPUT",
	.kind = OPT_CHOICE,
	.metavar = "FORMAT",
	.def = "text",
	.choices = "text|json|github",
	.help = "findings as text, one JSON object, or GitHub annotations",
};

static const struct opt_def cmd_lint_opt_timeout = {
	.name = "timeout",
	.kind = OPT_STRING,
	.metavar = "DURATION",
	.def = "5m",
	.help = "the helm --timeout the chart is deployed with",
};

static const struct opt_def cmd_lint_opt_check_values = {
	.name = "check-values",
	.kind = OPT_CHOICE,
	.metavar = "SCOPE",
	.def = "zdm",
	.choices = "zdm|all",
	.help = "scan the zdm: values for credentials, or all the values",
};

static const char *const cmd_lint_kinds[] = {
	[WF_MIGRATION] = "migration",
	[WF_WIRING] = "wiring",
	[WF_VALUES] = "values",
};
static const char *const cmd_lint_sevs[] = {
	[WF_ERROR] = "error",
	[WF_WARNING] = "warning",
	[WF_ALLOWED] = "allowed",
};

/* A release name helm accepts, for rendering the chart. */
static char *cmd_lint_release(const char *chart)
{
	size_t n = strlen(chart);
	int ok = n > 0 && n <= 53 && chart[0] >= 'a' && chart[0] <= 'z';

	for (size_t i = 0; ok && i < n; i++)
		ok = (chart[i] >= 'a' && chart[i] <= 'z') || (chart[i] >= '0' && chart[i] <= '9') ||
		     chart[i] == '-';
	return xstrdup(ok && chart[n - 1] != '-' ? chart : "release");
}

static int cmd_lint_migrations(const char *dir, int required, struct wreport *out, size_t *nfiles,
			       struct zerr *e)
{
	struct lint_report rep = { 0 };
	struct src_set src;
	struct stat st;
	int rc = -1;

	*nfiles = 0;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (required)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"migrations directory \"%s\" does not exist", dir);
		fprintf(stderr, "note: no migrations directory \"%s\": no migrations to lint\n",
			dir);
		return 0;
	}
	memset(&src, 0, sizeof(src));
	if (source_load(dir, &src, e) < 0 || srclint_run(&src, NULL, &rep, e) < 0)
		goto cleanup;
	*nfiles = src.n;
	for (size_t i = 0; i < rep.n; i++) {
		const struct lint_finding *f = &rep.v[i];
		struct sb msg;
		sb_init(&msg);
		sb_adds(&msg, f->message);
		if (f->allow_reason)
			sb_addf(&msg, " (allowed: %s)", f->allow_reason);
		wreport_add(out, WF_MIGRATION,
			    f->refusing  ? WF_ERROR
			    : f->allowed ? WF_ALLOWED
					 : WF_WARNING,
			    f->path, f->line, f->col, f->rule, f->hint, "%s", msg.buf);
		sb_release(&msg);
	}
	rc = 0;
cleanup:
	lint_report_release(&rep);
	source_release(&src);
	return rc;
}

/* helm template the chart, then the render filter: what gets deployed. */
static int cmd_lint_wiring(struct plugin_ctx *ctx, const struct chart_info *c,
			   const struct strv *values, const struct strv *sets, long long timeout_ms,
			   struct wreport *out, struct zerr *e)
{
	const char *helm = plugin_opt(ctx, &plugin_opt_helm)->str
				   ? plugin_opt(ctx, &plugin_opt_helm)->str
				   : "helm";
	struct strv argv = { 0 };
	struct helmrun_out h = { 0 };
	struct render_opts o = { 0 };
	struct render_result r = { 0 };
	struct zerr re = { 0 };
	char *release = cmd_lint_release(c->name);
	char *chart_yaml = xasprintf("%s/Chart.yaml", c->dir);
	int rc = -1;

	strv_push(&argv, helm);
	strv_push(&argv, "template");
	strv_push(&argv, release);
	strv_push(&argv, c->dir);
	strv_push(&argv, "--namespace");
	strv_push(&argv, ctx->namespace);
	for (size_t i = 0; i < values->n; i++) {
		strv_push(&argv, "--values");
		strv_push(&argv, values->v[i]);
	}
	for (size_t i = 0; i < sets->n; i++) {
		strv_push(&argv, "--set");
		strv_push(&argv, sets->v[i]);
	}
	if (helmrun(&argv, 1, 64u * 1024 * 1024, &h, e) < 0) {
		zerr_hint(e,
			  "lint renders the chart with helm: put helm on PATH or pass --helm PATH");
		goto cleanup;
	}
	if (h.status != 0) {
		size_t len = h.err.len;
		while (len && (h.err.buf[len - 1] == '\n' || h.err.buf[len - 1] == ' '))
			len--;
		wreport_add(out, WF_WIRING, WF_ERROR, chart_yaml, 1, 1, "chart-render",
			    "fix what helm reports; lint renders with the chart's values.yaml, "
			    ".zdm.yaml, --values and --set",
			    "helm template fails: %.*s", (int)len, h.err.buf ? h.err.buf : "");
		rc = 0;
		goto cleanup;
	}
	o.chart = c;
	o.values = values;
	o.sets = sets;
	o.release = release;
	o.namespace = ctx->namespace;
	o.helm = helm;
	if (render_run(&o, h.out.buf ? h.out.buf : "", h.out.len, &r, &re) < 0) {
		wreport_add(out, WF_WIRING, WF_ERROR, chart_yaml, 1, 1, "chart-render",
			    re.hint[0] ? re.hint : NULL, "%s%s%s", re.msg, re.detail[0] ? ": " : "",
			    re.detail);
		rc = 0;
		goto cleanup;
	}
	plugin_debug(ctx, "lint: chart rendered, zdm objects %s",
		     r.added ? "added by render (chart not injected)" : "from the chart");
	rc = wiring_check_render(c, values, r.out.buf ? r.out.buf : "", r.out.len, timeout_ms, out,
				 e);
cleanup:
	render_result_release(&r);
	helmrun_out_release(&h);
	strv_release(&argv);
	free(release);
	free(chart_yaml);
	return rc;
}

/* The printer's view of a chart finding (the allow reason of a migration
 * finding, and the reason of an accepted one, are in its message
 * already). */
static void cmd_lint_view(struct lintfmt_item *it, const struct wfinding *f)
{
	memset(it, 0, sizeof(*it));
	it->file = f->file;
	it->line = f->line;
	it->col = f->col;
	it->rule = f->rule;
	it->message = f->message;
	it->hint = f->hint;
	it->level = f->sev == WF_ERROR ? "error" : f->sev == WF_WARNING ? "warning" : "notice";
}

static int cmd_lint_cmp_rule(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The chart's problems counted by rule, "2 job-backoff-limit, 1
 * values-password" (sorted), into s; into counts as a JSON object. */
static void cmd_lint_problems(const struct wreport *r, struct sb *s, json_t *counts)
{
	struct strv rules = { 0 };

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].sev == WF_ERROR && r->v[i].kind != WF_MIGRATION)
			strv_push(&rules, r->v[i].rule);
	util_sort(rules.v, rules.n, sizeof(*rules.v), cmd_lint_cmp_rule);
	for (size_t i = 0, k; i < rules.n; i = k) {
		for (k = i; k < rules.n && !strcmp(rules.v[k], rules.v[i]); k++)
			;
		sb_addf(s, "%s%zu %s", s->len ? ", " : "", k - i, rules.v[i]);
		if (counts)
			json_object_set_new(counts, rules.v[i], json_integer((json_int_t)(k - i)));
	}
	strv_release(&rules);
}

static void cmd_lint_print(const char *format, const char *chart, const struct wreport *r,
			   size_t nfiles, int code)
{
	size_t nerr = 0, nwarn = 0, nwire = 0, nunsafe = 0, naccepted = 0;
	struct sb probs;

	for (size_t i = 0; i < r->n; i++) {
		const struct wfinding *f = &r->v[i];
		nerr += f->sev == WF_ERROR;
		nwarn += f->sev == WF_WARNING;
		nwire += f->sev == WF_ERROR && f->kind != WF_MIGRATION;
		nunsafe += f->sev == WF_ERROR && f->kind == WF_MIGRATION;
		naccepted += f->accepted != NULL;
	}
	sb_init(&probs);
	if (!strcmp(format, "json")) {
		json_t *a = json_array(), *counts = json_object();
		cmd_lint_problems(r, &probs, counts);
		for (size_t i = 0; a && i < r->n; i++) {
			struct lintfmt_item it;
			json_t *o;

			cmd_lint_view(&it, &r->v[i]);
			o = lintfmt_json(&it);
			if (o &&
			    (json_object_set_new(o, "kind",
						 json_string(cmd_lint_kinds[r->v[i].kind])) < 0 ||
			     json_object_set_new(o, "severity",
						 json_string(cmd_lint_sevs[r->v[i].sev])) < 0 ||
			     json_object_set_new(o, "accepted",
						 r->v[i].accepted ? json_string(r->v[i].accepted)
								  : json_null()) < 0)) {
				json_decref(o);
				o = NULL;
			}
			json_array_append_new(a, o);
		}
		log_result_json(json_pack("{s:s, s:i, s:i, s:i, s:i, s:o, s:i, s:i, s:o}", "chart",
					  chart, "migration_files", (int)nfiles, "unsafe",
					  (int)nunsafe, "wiring", (int)nwire, "warnings",
					  (int)nwarn, "problems", counts, "accepted",
					  (int)naccepted, "exit", code, "findings", a));
		sb_release(&probs);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct lintfmt_item it;
		struct sb s;

		cmd_lint_view(&it, &r->v[i]);
		sb_init(&s);
		if (!strcmp(format, "github"))
			lintfmt_github(&s, &it, 1);
		else
			lintfmt_text(&s, &it, LINTFMT_BRIEF);
		log_result("%s", s.buf);
		sb_release(&s);
	}
	cmd_lint_problems(r, &probs, NULL);
	if (!probs.len)
		sb_adds(&probs, "no chart problems");
	if (naccepted)
		sb_addf(&probs, "; %zu accepted", naccepted);
	log_result("%s%s: %zu migration file%s, %zu unsafe, %zu warning%s; %s",
		   !strcmp(format, "github") ? "zdm lint " : "", chart, nfiles,
		   nfiles == 1 ? "" : "s", nunsafe, nwarn, nwarn == 1 ? "" : "s", probs.buf);
	sb_release(&probs);
}

static int cmd_lint_exec(struct plugin_ctx *ctx)
{
	struct chart_info c = { 0 };
	struct strv values = { 0 }, sets = { 0 };
	struct wreport rep = { 0 };
	struct waccepts accepts = { 0 };
	struct zerr e = { 0 };
	char *migrations = NULL, *accept_file = NULL;
	long long timeout_ms;
	size_t nfiles = 0;
	int rc = ZDM_EXIT_OK;

	if (ctx->nargs != 1) {
		if (ctx->nargs)
			zerr_set(&e, ZDM_EXIT_USAGE, "lint takes one chart directory, got %d",
				 ctx->nargs);
		else
			zerr_set(&e, ZDM_EXIT_USAGE, "lint needs the chart directory");
		zerr_hint(&e, "usage: helm zdm lint CHART_DIR [--output text|json|github]");
		return plugin_fail(&e);
	}
	if (wiring_parse_timeout(plugin_opt(ctx, &cmd_lint_opt_timeout)->str, &timeout_ms) < 0 ||
	    timeout_ms <= 0) {
		zerr_set(&e, ZDM_EXIT_USAGE, "--timeout: \"%s\" is not a duration",
			 plugin_opt(ctx, &cmd_lint_opt_timeout)->str);
		zerr_hint(&e, "give helm's --timeout as helm takes it: 300s, 5m, 1m30s, 1h");
		return plugin_fail(&e);
	}
	if (chart_load(ctx->args[0], &c, &e) < 0)
		goto fail;
	chart_values_files(&c, &values);
	chart_split_list(plugin_opt(ctx, &plugin_opt_values)->str, &values);
	if (plugin_opt(ctx, &plugin_opt_set)->str && *plugin_opt(ctx, &plugin_opt_set)->str)
		strv_push(&sets, plugin_opt(ctx, &plugin_opt_set)->str);
	if (plugin_opt(ctx, &plugin_opt_migrations)->str)
		migrations = xstrdup(plugin_opt(ctx, &plugin_opt_migrations)->str);
	else if (chart_migrations_dir(&c, &values, &migrations, &e) < 0)
		goto fail;
	accept_file = xasprintf("%s/%s", c.dir, CHART_ZDM_FILE);
	if (wiring_accept_load(accept_file, &accepts, &e) < 0)
		goto fail;
	if (cmd_lint_migrations(migrations, plugin_opt(ctx, &plugin_opt_migrations)->str != NULL,
				&rep, &nfiles, &e) < 0 ||
	    wiring_check_values(&values,
				strcmp(plugin_opt(ctx, &cmd_lint_opt_check_values)->str, "all")
					? WSCOPE_ZDM
					: WSCOPE_ALL,
				&rep, &e) < 0 ||
	    cmd_lint_wiring(ctx, &c, &values, &sets, timeout_ms, &rep, &e) < 0)
		goto fail;
	wiring_accept_apply(&accepts, c.dir, &rep);
	for (size_t i = 0; i < accepts.n; i++)
		if (!accepts.v[i].used)
			fprintf(stderr,
				"note: %s:%d: zdm.lint.accept entry (kind %s, key %s) matches no "
				"finding\n",
				accepts.v[i].file, accepts.v[i].line, accepts.v[i].kind,
				accepts.v[i].key);
	for (size_t i = 0; i < rep.n; i++) {
		if (rep.v[i].sev != WF_ERROR)
			continue;
		if (rep.v[i].kind == WF_MIGRATION)
			rc = ZDM_EXIT_UNSAFE;
		else if (rc == ZDM_EXIT_OK)
			rc = ZDM_EXIT_FAILED;
	}
	cmd_lint_print(plugin_opt(ctx, &cmd_lint_opt_output)->str, c.dir, &rep, nfiles, rc);
	goto cleanup;
fail:
	rc = plugin_fail(&e);
cleanup:
	wreport_release(&rep);
	waccepts_release(&accepts);
	free(accept_file);
	chart_release(&c);
	strv_release(&values);
	strv_release(&sets);
	free(migrations);
	return rc;
}

static const struct opt_def *const cmd_lint_opts[] = {
	&plugin_opt_migrations,
	&plugin_opt_values,
	&plugin_opt_set,
	&plugin_opt_helm,
	&cmd_lint_opt_output,
	&cmd_lint_opt_timeout,
	&cmd_lint_opt_check_values,
	NULL,
};

const struct plugin_cmd plugin_cmd_lint = {
	.name = "lint",
	.usage = "CHART_DIR [--output text|json|github] [--timeout DURATION] [--check-values "
		 "zdm|all] [OPTIONS]",
	.summary = "lint a chart's migrations and its zdm wiring, for CI (no cluster, no database)",
	.description =
		"Lint every migration of the chart (the classifier zdm-hook migrate\n"
		"enforces), scan the zdm: block of its values files (values.yaml, .zdm.yaml,\n"
		"--values) for literal passwords and credentials (--check-values all: every\n"
		"key; placeholders such as changeme, None, <password> or ${VAR} are not\n"
		"passwords), and render the chart (helm template with its values and --set,\n"
		"then the render filter, as it is deployed) to check the wiring: the\n"
		"migration Job is there and is a pre-install,pre-upgrade hook after its\n"
		"ConfigMap, and every zdm Job has backoffLimit 0, ttlSecondsAfterFinished and\n"
		"an activeDeadlineSeconds below helm's --timeout (pass the --timeout you\n"
		"deploy with; default 5m).\n"
		"\n"
		"Findings: \"file:line:col: rule: message\" and a hint line; the last line\n"
		"counts the chart's problems by rule. --output json gives one JSON object,\n"
		"--output github workflow annotations. A chart finding is accepted by an\n"
		"entry {kind: RULE, key: VALUES.PATH or FILE:LINE, reason: WHY} in the list\n"
		"zdm.lint.accept of CHART_DIR/.zdm.yaml: it is still printed, with the\n"
		"reason, and no longer fails the lint (an entry without a reason is exit 2).\n"
		"Exit codes: 0 clean, 1 a wiring or values problem, 2 usage or input error,\n"
		"6 an unsafe migration.",
	.opts = cmd_lint_opts,
	.exec = cmd_lint_exec,
};
