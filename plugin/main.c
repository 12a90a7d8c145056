/*
 * helm-zdm — entry point of the Helm plugin: the command table, the
 * options several commands share, --help and version, the HELM_* environment, and the one
 * place that turns an error record into output and an exit code.
 *
 * Results go to stdout; errors, hints and HELM_DEBUG lines to stderr.
 * Helm hands the plugin's exit code back to its caller unchanged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "plugin.h"

const struct opt_def plugin_opt_migrations = {
	.name = "migrations",
	.env = "ZDM_MIGRATIONS_DIR",
	.kind = OPT_STRING,
	.metavar = "DIR",
	.help = "the migrations (default: zdm.migrations.path of the chart's values)",
};

const struct opt_def plugin_opt_values = {
	.name = "values",
	.env = "ZDM_VALUES",
	.kind = OPT_STRING,
	.metavar = "FILES",
	.help = "comma-separated values files, applied after the chart's values.yaml and .zdm.yaml",
};

const struct opt_def plugin_opt_set = {
	.name = "set",
	.env = "ZDM_SET",
	.kind = OPT_STRING,
	.metavar = "PAIRS",
	.help = "helm --set pairs, e.g. zdm.database.existingSecret=db",
};

const struct opt_def plugin_opt_helm = {
	.name = "helm",
	.env = "HELM_BIN",
	.kind = OPT_STRING,
	.metavar = "PATH",
	.help = "the helm binary (default: helm on PATH)",
};

static const struct plugin_cmd *const plugin_cmds[] = {
	&plugin_cmd_argocd, &plugin_cmd_inject,  &plugin_cmd_lint,
	&plugin_cmd_render, &plugin_cmd_version, NULL,
};

static void main_usage(FILE *f)
{
	fprintf(f, "usage: helm zdm COMMAND [OPTIONS]\n\n"
		   "Zero-downtime PostgreSQL migrations for Helm and Argo CD: add zdm's\n"
		   "lock-guarded migration hook Jobs to a chart (inject), or add them at render\n"
		   "time (render: a Helm post-renderer and Argo CD plugin), and check a chart's\n"
		   "migrations and wiring in CI (lint).\n\n"
		   "Commands:\n");
	for (const struct plugin_cmd *const *c = plugin_cmds; *c; c++)
		fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(f, "\nRun \"helm zdm COMMAND --help\" for a command's options.\n"
		   "Environment: HELM_NAMESPACE, HELM_DEBUG (set by helm from -n and --debug),\n"
		   "ZDM_TEMPLATES_DIR (where the zdm templates are; default\n"
		   "$HELM_PLUGIN_DIR/templates, else ../templates beside the binary).\n"
		   "Exit codes: 0 ok, 1 failure, 2 usage or input error, 6 unsafe migration.\n");
}

static void main_cmd_help(const struct plugin_cmd *c)
{
	printf("usage: helm zdm %s %s\n\n%s\n\nOptions:\n", c->name, c->usage, c->description);
	opts_print_help(stdout, c->opts);
	printf("  %-28s %s\n", "--help", "show this help");
}

static const struct plugin_cmd *main_find(const char *name)
{
	for (const struct plugin_cmd *const *c = plugin_cmds; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

const struct opt_value *plugin_opt(const struct plugin_ctx *ctx, const struct opt_def *d)
{
	return opts_get(ctx->cmd->opts, ctx->v, d);
}

int plugin_fail(const struct zerr *e)
{
	log_zerr(e);
	return e->code ? e->code : ZDM_EXIT_FAILED;
}

void plugin_debug(const struct plugin_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->debug)
		return;
	fprintf(stderr, "helm-zdm: debug: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* HELM_DEBUG is "true"/"false" from helm; accept 1 too, as its docs say. */
static int main_env_debug(void)
{
	const char *d = getenv("HELM_DEBUG");
	return d && (!strcmp(d, "true") || !strcmp(d, "1"));
}

int main(int argc, char **argv)
{
	const struct plugin_cmd *c;
	struct plugin_ctx ctx;
	struct zerr e = { 0 };
	const char *ns, *name;
	int rc;

	log_init("helm-zdm", LOG_TEXT);
	if (argc < 2) {
		main_usage(stderr);
		return ZDM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && !strcmp(argv[1], "help")) {
			c = main_find(argv[2]);
			if (!c) {
				zerr_set(&e, ZDM_EXIT_USAGE, "unknown command \"%s\"", argv[2]);
				zerr_hint(&e, "run \"helm zdm --help\" for the list of commands");
				return plugin_fail(&e);
			}
			main_cmd_help(c);
			return 0;
		}
		main_usage(stdout);
		return 0;
	}
	/* argv[1] is the command's slot: opts_parse starts after it */
	name = strcmp(argv[1], "--version") ? argv[1] : "version";
	c = main_find(name);
	if (!c) {
		if (name[0] == '-')
			zerr_set(&e, ZDM_EXIT_USAGE, "unknown option \"%s\"", name);
		else
			zerr_set(&e, ZDM_EXIT_USAGE, "unknown command \"%s\"", name);
		zerr_hint(&e, "run \"helm zdm --help\" for the list of commands");
		return plugin_fail(&e);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.cmd = c;
	ns = getenv("HELM_NAMESPACE");
	ctx.namespace = ns && *ns ? ns : "default";
	ctx.debug = main_env_debug();
	ctx.args = xcalloc((size_t)argc, sizeof(*ctx.args));
	ctx.v = xcalloc(opts_count(c->opts) + 1, sizeof(*ctx.v));
	rc = opts_parse(c->opts, argc - 1, argv + 1, ctx.v, ctx.args, &ctx.nargs, &e);
	if (rc == 1) {
		main_cmd_help(c);
		opts_release(c->opts, ctx.v);
		free(ctx.args);
		free(ctx.v);
		return 0;
	}
	if (rc < 0) {
		if (!e.hint[0]) /* keep the fix the option parser named */
			zerr_hint(&e, "run \"helm zdm %s --help\" for its options", c->name);
		opts_release(c->opts, ctx.v);
		free(ctx.args);
		free(ctx.v);
		return plugin_fail(&e);
	}
	plugin_debug(&ctx, "command %s, namespace %s", c->name, ctx.namespace);
	rc = c->exec(&ctx);
	opts_release(c->opts, ctx.v);
	free(ctx.args);
	free(ctx.v);
	return rc;
}
