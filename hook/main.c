/*
 * zdm-hook — entry point: the command table, --help and --version, and
 * the dispatch of a command with its own options (each command's file
 * lists them; the helpers commands share are in cmd.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "log.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_migrate, &cmd_run, &cmd_stamp, &cmd_assert, &cmd_lint, &cmd_status, NULL,
};

static void main_usage(FILE *f)
{
	fprintf(f, "usage: zdm-hook COMMAND [OPTIONS]\n\n"
		   "Lock-guarded, zero-downtime PostgreSQL migrations for Helm and Argo CD.\n\n"
		   "Commands:\n");
	for (const struct cmd_entry *const *c = cmd_table; *c; c++)
		fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(f, "\nRun \"zdm-hook COMMAND --help\" for a command's options.\n"
		   "Exit codes: 0 ok, 1 migration or assertion failed, 2 usage or input error,\n"
		   "3 lock wait timed out, 4 database unreachable, 5 guarded contract refused,\n"
		   "6 unsafe migration refused by lint.\n");
}

static int main_unknown_command(const char *name)
{
	fprintf(stderr,
		"zdm-hook: error: unknown command \"%s\"\nhint: run \"zdm-hook --help\" "
		"for the list of commands\n",
		name);
	return ZDM_EXIT_USAGE;
}

static void main_cmd_help(const struct cmd_entry *c)
{
	printf("usage: zdm-hook %s %s\n\n%s\n\nOptions:\n", c->name, c->usage, c->description);
	opts_print_help(stdout, c->opts);
	printf("  %-28s %s\n", "--help", "show this help");
}

int main(int argc, char **argv)
{
	const struct cmd_entry *const *c;
	struct cmd_ctx ctx;
	struct zerr e = { 0 };
	int rc;

	log_init("zdm-hook", LOG_TEXT);
	if (argc < 2) {
		main_usage(stderr);
		return ZDM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			for (c = cmd_table; *c; c++)
				if (!strcmp((*c)->name, argv[2])) {
					main_cmd_help(*c);
					return 0;
				}
			return main_unknown_command(argv[2]);
		}
		main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("zdm-hook %s\n", ZDM_VERSION);
		return 0;
	}
	for (c = cmd_table; *c; c++)
		if (!strcmp((*c)->name, argv[1]))
			break;
	if (!*c)
		return main_unknown_command(argv[1]);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cmd = *c;
	if (opts_has_flag((*c)->opts, argc - 1, argv + 1, "--version")) {
		printf("zdm-hook %s\n", ZDM_VERSION);
		return 0;
	}
	ctx.args = xcalloc((size_t)argc, sizeof(*ctx.args));
	ctx.v = xcalloc(opts_count((*c)->opts) + 1, sizeof(*ctx.v));
	rc = opts_parse((*c)->opts, argc - 1, argv + 1, ctx.v, ctx.args, &ctx.nargs, &e);
	if (rc == 1) {
		main_cmd_help(*c);
		opts_release((*c)->opts, ctx.v);
		free(ctx.args);
		free(ctx.v);
		return 0;
	}
	if (rc < 0) {
		if (!e.hint[0]) /* keep the fix the option parser named */
			zerr_hint(&e, "run \"zdm-hook %s --help\" for its options", (*c)->name);
		log_zerr(&e);
		opts_release((*c)->opts, ctx.v);
		free(ctx.args);
		free(ctx.v);
		return ZDM_EXIT_USAGE;
	}
	if (cmd_str(&ctx, &cmd_opt_output) && !strcmp(cmd_str(&ctx, &cmd_opt_output), "json"))
		log_init("zdm-hook", LOG_JSON);
	log_set_quiet((int)cmd_num(&ctx, &cmd_opt_quiet));
	db_install_signal_handlers();
	rc = (*c)->exec(&ctx);
	opts_release((*c)->opts, ctx.v);
	free(ctx.args);
	free(ctx.v);
	log_free_secrets();
	return rc;
}
