/*
 * cmd-argocd — `helm-zdm argocd init|helm-args`: the two steps of the
 * Argo CD config management plugin (plugin/argocd/plugin.yaml) that are
 * not the render filter itself. Both run in the application's source
 * directory, in the environment argocd.h describes.
 *
 *   init       `helm dependency build` when Chart.yaml declares
 *              dependencies that charts/ does not hold (helm repo add for
 *              their http(s) repositories first); helm's output goes to
 *              stderr
 *   helm-args  the arguments of `helm template` for this Application,
 *              NUL-terminated (for xargs -0): the release name, ".", the
 *              destination namespace, --include-crds, --kube-version and
 *              --api-versions of the target cluster, .zdm.yaml and the
 *              values-files parameter as --values, helm-parameters as
 *              --set. Parsing ARGOCD_APP_PARAMETERS here keeps quoting
 *              out of the shell.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "argocd.h"
#include "chart.h"
#include "helmrun.h"
#include "plugin.h"
#include "ydoc.h"

/* Does charts/ hold dependency name (a directory or name-*.tgz)? */
static int cmd_argocd_has_dep(const char *name)
{
	char *dir = xasprintf("charts/%s/Chart.yaml", name);
	struct stat st;
	DIR *d;
	struct dirent *de;
	int found = stat(dir, &st) == 0;
	size_t n = strlen(name);

	free(dir);
	if (found || !(d = opendir("charts")))
		return found;
	while (!found && (de = readdir(d)))
		found = !strncmp(de->d_name, name, n) && de->d_name[n] == '-' &&
			util_str_has_suffix(de->d_name, ".tgz");
	closedir(d);
	return found;
}

/* Run helm, its output (both streams) to our stderr. */
static int cmd_argocd_helm(struct strv *argv, struct zerr *e)
{
	struct helmrun_out out = { 0 };
	int rc = -1;

	if (helmrun(argv, 1, 16u * 1024 * 1024, &out, e) < 0)
		goto cleanup;
	fwrite(out.out.buf ? out.out.buf : "", 1, out.out.len, stderr);
	fwrite(out.err.buf ? out.err.buf : "", 1, out.err.len, stderr);
	if (out.status != 0) {
		zerr_set(e, ZDM_EXIT_FAILED, "\"%s %s\" failed (exit %d)", argv->v[0], argv->v[1],
			 out.status);
		goto cleanup;
	}
	rc = 0;
cleanup:
	helmrun_out_release(&out);
	return rc;
}

static int cmd_argocd_init(const char *helm, struct zerr *e)
{
	struct ystream ys;
	const struct ynode *deps;
	struct strv argv = { 0 };
	int missing = 0, repos = 0, rc = -1;

	if (ydoc_load_file_mode("Chart.yaml", YDOC_HELM, &ys, e) < 0) {
		e->code = ZDM_EXIT_USAGE;
		return -1;
	}
	deps = ys.n ? ynode_get(ys.docs[0].root, "dependencies") : NULL;
	for (size_t i = 0; deps && deps->type == Y_SEQ && i < deps->n; i++) {
		const struct ynode *name = ynode_get(deps->items[i], "name");
		if (name && name->type == Y_SCALAR && !cmd_argocd_has_dep(name->value))
			missing++;
	}
	if (!missing) {
		rc = 0;
		goto cleanup;
	}
	for (size_t i = 0; i < deps->n; i++) {
		const struct ynode *repo = ynode_get(deps->items[i], "repository");
		if (!repo || repo->type != Y_SCALAR ||
		    (strncmp(repo->value, "https://", 8) && strncmp(repo->value, "http://", 7)))
			continue;
		strv_release(&argv);
		strv_push(&argv, helm);
		strv_push(&argv, "repo");
		strv_push(&argv, "add");
		strv_push(&argv, "--force-update");
		strv_pushf(&argv, "zdm-dep-%d", ++repos);
		strv_push(&argv, repo->value);
		if (cmd_argocd_helm(&argv, e) < 0)
			goto cleanup;
	}
	strv_release(&argv);
	strv_push(&argv, helm);
	strv_push(&argv, "dependency");
	strv_push(&argv, "build");
	if (cmd_argocd_helm(&argv, e) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	strv_release(&argv);
	ystream_release(&ys);
	return rc;
}

static void cmd_argocd_arg(const char *s)
{
	fwrite(s, 1, strlen(s) + 1, stdout);
}

static int cmd_argocd_helm_args(struct zerr *e)
{
	struct argocd_params p;
	char *release = NULL;
	const char *ns = getenv("ARGOCD_APP_NAMESPACE"), *kv = getenv("KUBE_VERSION");
	const char *apis = getenv("KUBE_API_VERSIONS");
	struct stat st;

	if (argocd_release(&release, e) < 0 || argocd_params_load(&p, e) < 0) {
		free(release);
		return -1;
	}
	cmd_argocd_arg(release);
	cmd_argocd_arg(".");
	if (ns && *ns) {
		cmd_argocd_arg("--namespace");
		cmd_argocd_arg(ns);
	}
	cmd_argocd_arg("--include-crds");
	if (kv && *kv) {
		cmd_argocd_arg("--kube-version");
		cmd_argocd_arg(kv);
	}
	if (apis && *apis) {
		cmd_argocd_arg("--api-versions");
		cmd_argocd_arg(apis);
	}
	if (stat(CHART_ZDM_FILE, &st) == 0 && S_ISREG(st.st_mode)) {
		cmd_argocd_arg("--values");
		cmd_argocd_arg(CHART_ZDM_FILE);
	}
	for (size_t i = 0; i < p.values.n; i++) {
		cmd_argocd_arg("--values");
		cmd_argocd_arg(p.values.v[i]);
	}
	for (size_t i = 0; i < p.sets.n; i++) {
		cmd_argocd_arg("--set");
		cmd_argocd_arg(p.sets.v[i]);
	}
	argocd_params_release(&p);
	free(release);
	if (fflush(stdout) != 0)
		return zerr_set(e, ZDM_EXIT_FAILED, "cannot write stdout");
	return 0;
}

static int cmd_argocd_exec(struct plugin_ctx *ctx)
{
	const char *helm = plugin_opt(ctx, &plugin_opt_helm)->str
				   ? plugin_opt(ctx, &plugin_opt_helm)->str
				   : "helm";
	struct zerr e = { 0 };
	int rc;

	if (ctx->nargs != 1 ||
	    (strcmp(ctx->args[0], "init") && strcmp(ctx->args[0], "helm-args"))) {
		if (ctx->nargs == 1)
			zerr_set(&e, ZDM_EXIT_USAGE, "unknown argocd step \"%s\"", ctx->args[0]);
		else
			zerr_set(&e, ZDM_EXIT_USAGE, "argocd takes one step: init or helm-args");
		zerr_hint(&e, "usage: helm-zdm argocd init|helm-args (plugin/argocd/plugin.yaml "
			      "runs them)");
		return plugin_fail(&e);
	}
	rc = !strcmp(ctx->args[0], "init") ? cmd_argocd_init(helm, &e) : cmd_argocd_helm_args(&e);
	return rc < 0 ? plugin_fail(&e) : 0;
}

static const struct opt_def *const cmd_argocd_opts[] = {
	&plugin_opt_helm,
	NULL,
};

const struct plugin_cmd plugin_cmd_argocd = {
	.name = "argocd",
	.usage = "init|helm-args",
	.summary = "steps of the Argo CD config management plugin (plugin/argocd/plugin.yaml)",
	.description =
		"Run in the application's directory by Argo CD's repo-server (the zdm sidecar):\n"
		"  init       helm dependency build when Chart.yaml's dependencies are missing\n"
		"             from charts/ (output on stderr)\n"
		"  helm-args  the helm template arguments for this Application, NUL-terminated\n"
		"             for xargs -0: ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE, KUBE_VERSION,\n"
		"             KUBE_API_VERSIONS, .zdm.yaml, and the values-files and\n"
		"             helm-parameters of ARGOCD_APP_PARAMETERS (parsed, never split)\n"
		"The generate step pipes helm template into \"helm-zdm render --argocd\".",
	.opts = cmd_argocd_opts,
	.exec = cmd_argocd_exec,
};
