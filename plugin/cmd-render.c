/*
 * cmd-render — `helm zdm render`: the manifest filter (stdin -> stdout,
 * logs on stderr) behind the Helm post-renderers and the Argo CD
 * plugin's generate step. The filtering is render.c's; this file gathers
 * the settings (flags and ZDM_* environment; under --argocd also the
 * Application's parameters and env, see argocd.h), reads stdin, prints
 * the notes and lint findings on stderr and the stream on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argocd.h"
#include "chart.h"
#include "lintfmt.h"
#include "log.h"
#include "plugin.h"
#include "render.h"

static const struct opt_def cmd_render_opt_chart = {
	.name = "chart",
	.env = "ZDM_CHART",
	.kind = OPT_STRING,
	.metavar = "DIR",
	.def = ".",
	.help = "the chart the stream was rendered from (name, version, values)",
};

static const struct opt_def cmd_render_opt_release = {
	.name = "release",
	.env = "ZDM_RELEASE",
	.kind = OPT_STRING,
	.metavar = "NAME",
	.help = "the release name (default: the stream's app.kubernetes.io/instance)",
};

static const struct opt_def cmd_render_opt_namespace = {
	.name = "namespace",
	.env = "ZDM_NAMESPACE",
	.kind = OPT_STRING,
	.metavar = "NS",
	.help = "the release namespace (default: HELM_NAMESPACE, or the stream's)",
};

static const struct opt_def cmd_render_opt_mode = {
	.name = "mode",
	.env = "ZDM_MODE",
	.kind = OPT_CHOICE,
	.metavar = "MODE",
	.def = "hook",
	.choices = "hook|wave",
	.help = "hook: Helm/Argo CD hooks; wave: Argo CD sync waves",
};

static const struct opt_def cmd_render_opt_argocd = {
	.name = "argocd",
	.kind = OPT_BOOL,
	.help = "run as Argo CD's CMP generate step (ARGOCD_APP_* environment)",
};

static const struct opt_def cmd_render_opt_app_name = {
	.name = "app-name",
	.env = "ZDM_APP_NAME",
	.kind = OPT_BOOL,
	.help = "add PGAPPNAME=<release>/<app version> to the workloads' containers",
};

static const struct opt_def cmd_render_opt_helm3_apply = {
	.name = "helm3-apply",
	.kind = OPT_BOOL,
	.help = "the stream is Helm 3's install/upgrade post-renderer input",
};

#define CMD_RENDER_MAX_INPUT (64u * 1024 * 1024)

static int cmd_render_read_stdin(char **buf, size_t *len, struct zerr *e)
{
	struct sb s;
	char chunk[65536];
	size_t n;

	sb_init(&s);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (s.len + n > CMD_RENDER_MAX_INPUT) {
			sb_release(&s);
			return zerr_set(e, ZDM_EXIT_USAGE, "stdin is larger than %u MiB",
					CMD_RENDER_MAX_INPUT / 1024 / 1024);
		}
		sb_add(&s, chunk, n);
	}
	if (ferror(stdin)) {
		sb_release(&s);
		return zerr_set(e, ZDM_EXIT_FAILED, "cannot read stdin: %s", strerror(errno));
	}
	*len = s.len;
	*buf = s.buf ? sb_steal(&s) : xstrdup("");
	return 0;
}

/* Lint findings on stderr: "file:line:col: rule: message (status)";
 * the allowed ones (guarded contracts, allow= comments) only with
 * HELM_DEBUG. */
static void cmd_render_print_findings(const struct plugin_ctx *ctx, const struct lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct lintfmt_item it;
		struct sb s;

		if (r->v[i].allowed && !ctx->debug)
			continue;
		lintfmt_view(&it, &r->v[i]);
		sb_init(&s);
		lintfmt_text(&s, &it, LINTFMT_STATUS);
		fprintf(stderr, "%s\n", s.buf);
		sb_release(&s);
	}
}

static int cmd_render_exec(struct plugin_ctx *ctx)
{
	struct argocd_params ap = { 0 };
	struct render_argocd argo = { 0 };
	struct render_opts o = { 0 };
	struct render_result r = { 0 };
	struct chart_info chart = { 0 };
	struct strv values = { 0 }, sets = { 0 };
	struct zerr e = { 0 };
	char *in = NULL, *migrations = NULL, *release = NULL;
	const char *mode = plugin_opt(ctx, &cmd_render_opt_mode)->str,
		   *helm_ns = getenv("HELM_NAMESPACE");
	size_t len = 0;
	int argocd = (int)plugin_opt(ctx, &cmd_render_opt_argocd)->num, rc = ZDM_EXIT_OK;

	if (ctx->nargs > 0) {
		zerr_set(&e, ZDM_EXIT_USAGE,
			 "render takes no arguments (got \"%s\"): it reads the manifests on stdin",
			 ctx->args[0]);
		zerr_hint(&e, "helm template NAME CHART | helm zdm render --chart CHART");
		return plugin_fail(&e);
	}
	if (argocd && argocd_params_load(&ap, &e) < 0)
		goto fail;
	if (chart_load(plugin_opt(ctx, &cmd_render_opt_chart)->str, &chart, &e) < 0)
		goto fail;
	chart_values_files(&chart, &values);
	if (ap.values_set)
		for (size_t i = 0; i < ap.values.n; i++)
			strv_push(&values, ap.values.v[i]);
	else
		chart_split_list(plugin_opt(ctx, &plugin_opt_values)->str, &values);
	if (ap.sets_set)
		for (size_t i = 0; i < ap.sets.n; i++)
			strv_push(&sets, ap.sets.v[i]);
	else if (plugin_opt(ctx, &plugin_opt_set)->str && *plugin_opt(ctx, &plugin_opt_set)->str)
		strv_push(&sets, plugin_opt(ctx, &plugin_opt_set)->str);
	if (ap.migrations)
		migrations = xstrdup(ap.migrations);
	else if (plugin_opt(ctx, &plugin_opt_migrations)->str)
		migrations = xstrdup(plugin_opt(ctx, &plugin_opt_migrations)->str);
	else if (chart_migrations_dir(&chart, &values, &migrations, &e) < 0)
		goto fail;
	if (ap.mode)
		mode = ap.mode;
	o.chart = &chart;
	o.migrations = migrations;
	o.migrations_required = ap.migrations || plugin_opt(ctx, &plugin_opt_migrations)->str;
	o.values = &values;
	o.sets = &sets;
	o.release = plugin_opt(ctx, &cmd_render_opt_release)->str;
	o.namespace = plugin_opt(ctx, &cmd_render_opt_namespace)->str
			      ? plugin_opt(ctx, &cmd_render_opt_namespace)->str
		      : helm_ns && *helm_ns ? helm_ns
					    : NULL;
	o.mode = !strcmp(mode, "wave") ? RENDER_WAVE : RENDER_HOOK;
	o.helm = plugin_opt(ctx, &plugin_opt_helm)->str ? plugin_opt(ctx, &plugin_opt_helm)->str
							: "helm";
	o.helm3_apply = (int)plugin_opt(ctx, &cmd_render_opt_helm3_apply)->num;
	o.lint = 1;
	o.app_name = argocd && ap.app_name >= 0
			     ? ap.app_name
			     : (int)plugin_opt(ctx, &cmd_render_opt_app_name)->num;
	if (argocd) {
		if (argocd_release(&release, &e) < 0)
			goto fail;
		argo.app = getenv("ARGOCD_APP_NAME");
		argo.namespace = getenv("ARGOCD_APP_NAMESPACE");
		argo.revision = getenv("ARGOCD_APP_REVISION");
		o.argocd = &argo;
		if (!plugin_opt(ctx, &cmd_render_opt_release)->str)
			o.release = release;
		if (!plugin_opt(ctx, &cmd_render_opt_namespace)->str && argo.namespace &&
		    *argo.namespace)
			o.namespace = argo.namespace;
		o.refuse_empty = 1;
		o.namespace_optional =
			1; /* no destination namespace: helm's default, as helm-args */
	}
	plugin_debug(ctx, "render: chart %s (%s), migrations %s, mode %s%s", chart.dir,
		     chart.injected ? "injected" : "not injected", migrations, mode,
		     argocd ? ", Argo CD" : "");
	if (cmd_render_read_stdin(&in, &len, &e) < 0)
		goto fail;
	if (render_run(&o, in, len, &r, &e) < 0) {
		cmd_render_print_findings(ctx, &r.lint);
		for (size_t i = 0; i < r.notes.n; i++)
			fprintf(stderr, "note: %s\n", r.notes.v[i]);
		goto fail;
	}
	cmd_render_print_findings(ctx, &r.lint);
	for (size_t i = 0; i < r.notes.n; i++)
		fprintf(stderr, "note: %s\n", r.notes.v[i]);
	plugin_debug(ctx, "render: %zu migrations linted, zdm objects %s, %zu documents re-emitted",
		     r.nmigrations, r.added ? "added" : "already there", r.changed);
	if (fwrite(r.out.buf ? r.out.buf : "", 1, r.out.len, stdout) != r.out.len ||
	    fflush(stdout) != 0) {
		zerr_set(&e, ZDM_EXIT_FAILED, "cannot write stdout: %s", strerror(errno));
		goto fail;
	}
	goto cleanup;
fail:
	rc = plugin_fail(&e);
cleanup:
	render_result_release(&r);
	argocd_params_release(&ap);
	chart_release(&chart);
	strv_release(&values);
	strv_release(&sets);
	free(in);
	free(migrations);
	free(release);
	return rc;
}

static const struct opt_def *const cmd_render_opts[] = {
	&cmd_render_opt_chart,  &plugin_opt_migrations,      &plugin_opt_values,
	&plugin_opt_set,        &cmd_render_opt_release,     &cmd_render_opt_namespace,
	&cmd_render_opt_mode,   &cmd_render_opt_app_name,    &plugin_opt_helm,
	&cmd_render_opt_argocd, &cmd_render_opt_helm3_apply, NULL,
};

const struct plugin_cmd plugin_cmd_render = {
	.name = "render",
	.usage = "[--chart DIR] [--mode hook|wave] [OPTIONS] < manifests.yaml",
	.summary = "add the zdm hook objects to a rendered manifest stream (post-renderer)",
	.description =
		"Read a rendered manifest stream (helm template's output) on stdin and write\n"
		"it on stdout with zdm's migrations ConfigMap, migration Job and rollout-\n"
		"complete Job added, rendered from zdm's templates by `helm template` with the\n"
		"chart's values (values.yaml, .zdm.yaml, --values, --set), exactly as an\n"
		"injected chart renders them; a stream that has them already gets none added.\n"
		"Every other document is kept byte for byte. The migrations are linted first:\n"
		"an unsafe one fails the render (exit 6), so it never reaches the cluster.\n"
		"\n"
		"--mode wave (Argo CD): the ConfigMaps and the migration Job become ordinary\n"
		"resources at negative sync waves, and every Deployment, StatefulSet,\n"
		"DaemonSet, CronJob and Rollout without a wave gets one after the Job.\n"
		"--app-name (off by default: it edits the chart's own workloads): every\n"
		"container and initContainer of the Deployments, StatefulSets, DaemonSets,\n"
		"Jobs, CronJobs and Rollouts (not zdm's Jobs) gets PGAPPNAME=<release>/<app\n"
		"version>, the release and app version the migration Job records, so the\n"
		"contract guard defers a contract while an older app version is connected;\n"
		"a container that sets PGAPPNAME already is left alone (noted on stderr).\n"
		"--argocd (the Argo CD plugin's generate step): settings also from\n"
		"ARGOCD_APP_PARAMETERS and ARGOCD_ENV_ZDM_*, the release and namespace from\n"
		"ARGOCD_APP_NAME and ARGOCD_APP_NAMESPACE, and the Jobs record\n"
		"ARGOCD_APP_REVISION and ZDM_DEPLOYED_BY=argocd.\n"
		"\n"
		"Exit codes: 0 ok, 1 failure, 2 usage or input error (not YAML, not a\n"
		"Kubernetes object, duplicate zdm objects, bad settings), 6 an unsafe\n"
		"migration.",
	.opts = cmd_render_opts,
	.exec = cmd_render_exec,
};
