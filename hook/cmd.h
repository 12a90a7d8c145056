/*
 * cmd — zdm-hook's command table and option table.
 *
 * Adding a command:
 *   1. write hook/cmd-NAME.c exporting `const struct cmd_entry cmd_NAME`
 *      with designated initializers (name, mask, usage, summary, exec);
 *   2. add a CMD_ bit below and list it in cmd_table[] in main.c;
 *   3. add the command's bit to the `cmds` mask of every option in
 *      zdm_opts[] (main.c) it accepts; add new options to enum zdm_opt
 *      and zdm_opts[] in the same order;
 *   4. add tests/bats/NAME.bats starting with the conformance block
 *      (--help, --version, unknown option -> exit 2) and document the
 *      command in README.md.
 */
#ifndef ZDM_CMD_H
#define ZDM_CMD_H

#include "opts.h"
#include "util.h"

enum {
	CMD_MIGRATE = 1u << 0,
	CMD_STATUS = 1u << 1,
};
#define CMD_DB (CMD_MIGRATE | CMD_STATUS)

/* Index of each option in zdm_opts[] (same order). */
enum zdm_opt {
	OPT_DIR,
	OPT_DATABASE_URL,
	OPT_HISTORY_TABLE,
	OPT_LOCK_WAIT,
	OPT_LOCK_TIMEOUT,
	OPT_DDL_RETRIES,
	OPT_STATEMENT_TIMEOUT,
	OPT_CONCURRENT_TIMEOUT,
	OPT_CONNECT_RETRIES,
	OPT_DRY_RUN,
	OPT_OUT_OF_ORDER,
	OPT_OUTPUT,
	OPT_TERMINATION_LOG,
	OPT_QUIET,
	OPT__COUNT
};

extern const struct opt_def zdm_opts[OPT__COUNT];

struct cmd_ctx {
	const struct cmd_entry *cmd;
	struct opt_value v[OPT__COUNT];
	const char **args;
	int nargs;
};

struct cmd_entry {
	const char *name;
	unsigned mask;
	const char *usage;      /* after "zdm-hook NAME " */
	const char *summary;    /* one line for the command list */
	const char *description;/* paragraph for NAME --help */
	int (*exec)(struct cmd_ctx *ctx);
};

/* Report an error and write the termination log; returns e->code. */
int cmd_fail(struct cmd_ctx *ctx, const struct zerr *e);

extern const struct cmd_entry cmd_migrate;
extern const struct cmd_entry cmd_status;

#endif
