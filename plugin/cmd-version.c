/*
 * cmd-version — `helm zdm version` (also `helm zdm --version`): the
 * plugin's version, which is also the version of the templates it
 * injects and the default tag of the zdm-hook image they run.
 */
#include <stdio.h>

#include "plugin.h"

static int cmd_version_exec(struct plugin_ctx *ctx)
{
	struct zerr e = { 0 };

	if (ctx->nargs > 0) {
		zerr_set(&e, ZDM_EXIT_USAGE, "unexpected argument \"%s\"", ctx->args[0]);
		zerr_hint(&e, "usage: helm zdm version");
		return plugin_fail(&e);
	}
	printf("helm-zdm %s\n", ZDM_VERSION);
	return 0;
}

static const struct opt_def *const cmd_version_opts[] = {
	NULL,
};

const struct plugin_cmd plugin_cmd_version = {
	.name = "version",
	.usage = "",
	.summary = "print the plugin version (also the templates' and the hook image's)",
	.description = "Print \"helm-zdm VERSION\". The same version stamps the templates inject\n"
		       "writes and is the default tag of the zdm-hook image they run.",
	.opts = cmd_version_opts,
	.exec = cmd_version_exec,
};
