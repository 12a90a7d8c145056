/*
 * plugin — helm-zdm's command table, option table and run context.
 *
 * helm-zdm is what `helm zdm ...` runs. Helm strips its global flags
 * (-n, --debug, --kube-context ...) before calling a plugin and passes
 * them as HELM_* environment variables instead, so the namespace and the
 * debug switch are read from HELM_NAMESPACE and HELM_DEBUG here, once,
 * into struct plugin_ctx.
 *
 * Adding a command (e.g. `render`, `lint`):
 *   1. write plugin/cmd-NAME.c exporting `const struct plugin_cmd
 *      plugin_cmd_NAME` with designated initializers (name, mask, usage,
 *      summary, description, exec);
 *   2. add a PCMD_ bit below, declare the entry at the bottom of this
 *      file and list it in plugin_cmds[] in plugin/main.c (the table
 *      drives dispatch, `helm zdm --help` and `helm zdm help NAME`);
 *   3. add the bit to the `cmds` mask of every option in plugin_opts[]
 *      (plugin/main.c) the command accepts; new options go in enum
 *      plugin_opt and plugin_opts[] in the same order;
 *   4. add tests/bats/plugin-NAME.bats starting with the conformance
 *      block (--help, unknown option -> exit 2) and document the command
 *      in docs/helm.md.
 *
 * Exit codes (stable, in --help and docs/helm.md): 0 ok, 1 failure,
 * 2 usage or input error (bad flag, not a chart, refused change).
 */
#ifndef ZDM_PLUGIN_H
#define ZDM_PLUGIN_H

#include "opts.h"
#include "util.h"

enum {
	PCMD_VERSION = 1u << 0,
	PCMD_INJECT = 1u << 1,
	PCMD_RENDER = 1u << 2,
	PCMD_LINT = 1u << 3,
	PCMD_ARGOCD = 1u << 4,
};

/* Index of each option in plugin_opts[] (same order). */
enum plugin_opt {
	POPT_DRY_RUN,
	POPT_FORCE,
	POPT_CHART,
	POPT_MIGRATIONS,
	POPT_VALUES,
	POPT_SET,
	POPT_RELEASE,
	POPT_NAMESPACE,
	POPT_MODE,
	POPT_HELM,
	POPT_ARGOCD,
	POPT_HELM3_APPLY,
	POPT_OUTPUT,
	POPT_TIMEOUT,
	POPT__COUNT
};

extern const struct opt_def plugin_opts[POPT__COUNT];

struct plugin_ctx {
	const struct plugin_cmd *cmd;
	struct opt_value v[POPT__COUNT];
	const char **args;       /* positional arguments, nargs of them */
	int nargs;
	const char *namespace;   /* HELM_NAMESPACE, "default" when unset */
	int debug;               /* HELM_DEBUG=true (or 1) */
};

struct plugin_cmd {
	const char *name;
	unsigned mask;
	const char *usage;       /* after "helm zdm NAME " */
	const char *summary;     /* one line for the command list */
	const char *description; /* paragraph for `helm zdm NAME --help` */
	int (*exec)(struct plugin_ctx *ctx);
};

/* Print an error record ("helm-zdm: error: ..." plus detail and hint
 * lines) and return the exit code it carries. */
int plugin_fail(const struct zerr *e);
/* A debug line on stderr when HELM_DEBUG is on. */
void plugin_debug(const struct plugin_ctx *ctx, const char *fmt, ...) ZDM_PRINTF(2, 3);

extern const struct plugin_cmd plugin_cmd_version;
extern const struct plugin_cmd plugin_cmd_inject;
extern const struct plugin_cmd plugin_cmd_render;
extern const struct plugin_cmd plugin_cmd_lint;
extern const struct plugin_cmd plugin_cmd_argocd;

#endif
