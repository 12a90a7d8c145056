/*
 * plugin — helm-zdm's command entries, shared options and run context.
 *
 * helm-zdm is what `helm zdm ...` runs. Helm strips its global flags
 * (-n, --debug, --kube-context ...) before calling a plugin and passes
 * them as HELM_* environment variables instead, so the namespace and the
 * debug switch are read from HELM_NAMESPACE and HELM_DEBUG here, once,
 * into struct plugin_ctx.
 *
 * Adding a command (e.g. `render`, `lint`):
 *   1. write plugin/cmd-NAME.c exporting `const struct plugin_cmd
 *      plugin_cmd_NAME` with designated initializers (name, usage,
 *      summary, description, opts, exec); .opts lists its options in
 *      --help order: its own, static in the file, and shared ones
 *      (plugin_opt_* below);
 *   2. declare the entry at the bottom of this file and list it in
 *      plugin_cmds[] in plugin/main.c (the table drives dispatch,
 *      `helm zdm --help` and `helm zdm help NAME`);
 *   3. add tests/bats/plugin-NAME.bats starting with the conformance
 *      block (--help, unknown option -> exit 2) and document the command
 *      in docs/helm.md.
 *
 * Adding an option: one command's option is a `static const struct
 * opt_def` in that command's file, listed in its entry's .opts, read with
 * plugin_opt(ctx, &the_def); an option several commands take is defined
 * once in plugin/main.c, declared below, and listed by each.
 *
 * Exit codes (stable, in --help and docs/helm.md): 0 ok, 1 failure,
 * 2 usage or input error (bad flag, not a chart, refused change).
 */
#ifndef ZDM_PLUGIN_H
#define ZDM_PLUGIN_H

#include "opts.h"
#include "util.h"

/* The options several commands take (plugin/main.c); an option one
 * command takes is a static in that command's file. */
extern const struct opt_def plugin_opt_migrations, plugin_opt_values, plugin_opt_set,
	plugin_opt_helm;

struct plugin_ctx {
	const struct plugin_cmd *cmd;
	struct opt_value *v; /* v[i] is the value of cmd->opts[i] */
	const char **args; /* positional arguments, nargs of them */
	int nargs;
	const char *namespace; /* HELM_NAMESPACE, "default" when unset */
	int debug; /* HELM_DEBUG=true (or 1) */
};

struct plugin_cmd {
	const char *name;
	const char *usage; /* after "helm zdm NAME " */
	const char *summary; /* one line for the command list */
	const char *description; /* paragraph for `helm zdm NAME --help` */
	const struct opt_def *const *opts; /* NULL-terminated, in --help order */
	int (*exec)(struct plugin_ctx *ctx);
};

/* The value of option d for this command: a zero value (not set, NULL
 * text) when the command does not take d. */
const struct opt_value *plugin_opt(const struct plugin_ctx *ctx, const struct opt_def *d);

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
