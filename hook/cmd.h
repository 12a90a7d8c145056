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
	CMD_RUN = 1u << 2,
	CMD_STAMP = 1u << 3,
	CMD_ASSERT = 1u << 4,
	CMD_LINT = 1u << 5,
};
/* option groups */
#define CMD_APPLY (CMD_MIGRATE | CMD_RUN)              /* run migrations */
#define CMD_SOURCES (CMD_APPLY | CMD_STATUS)           /* read --dir */
#define CMD_DB (CMD_SOURCES | CMD_STAMP | CMD_ASSERT)  /* connect */
#define CMD_IDENTITY (CMD_RUN | CMD_STAMP)             /* stamp a log row */

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
	OPT_PEER_TIMEOUT,
	OPT_DRY_RUN,
	OPT_OUT_OF_ORDER,
	OPT_OUTPUT,
	OPT_TERMINATION_LOG,
	OPT_QUIET,
	OPT_LOG_TABLE,
	OPT_STRICT_CONTRACT,
	OPT_FORCE_CONTRACT,
	OPT_CONTRACT_IN_POST,
	OPT_PHASE,
	OPT_STATUS,
	OPT_RELEASE,
	OPT_NAMESPACE,
	OPT_REVISION,
	OPT_APP_VERSION,
	OPT_CHART_VERSION,
	OPT_DEPLOYED_BY,
	OPT_SOURCE_REVISION,
	OPT_POD,
	OPT_ERROR,
	OPT_ASSERTIONS,
	OPT_FILE,
	OPT_CHECK_TIMEOUT,
	OPT_LINT_OUTPUT,
	OPT_SINCE,
	OPT_RULES,
	OPT_MAX_REPLICA_LAG,
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

/* The connection options (--database-url and its environment fallbacks,
 * --connect-retries) every database command takes. */
struct db_opts;
void cmd_db_opts(struct cmd_ctx *ctx, struct db_opts *o);

/* Shared by commands that apply migrations (migrate, run). */
struct migrate_opts;
void cmd_migrate_fill(struct cmd_ctx *ctx, struct migrate_opts *o);
/* Print assertion results: to stdout as the command's result, or as log
 * events (as_log) when they are one step of `run`. */
struct assert_result;
void cmd_assert_print(const struct assert_result *r, int as_log);
/* Fill e (exit 1) from the first failed assertion; -1 when any failed. */
int cmd_assert_failed(const struct assert_result *r, struct zerr *e);

/* The deployment log identity (release, versions, pod...) from options. */
struct deplog_entry;
void cmd_deplog_entry(struct cmd_ctx *ctx, struct deplog_entry *d);

/* Refuse positional arguments; returns -1 with e set. */
int cmd_no_args(struct cmd_ctx *ctx, struct zerr *e);

extern const struct cmd_entry cmd_migrate;
extern const struct cmd_entry cmd_status;
extern const struct cmd_entry cmd_run;
extern const struct cmd_entry cmd_stamp;
extern const struct cmd_entry cmd_assert;
extern const struct cmd_entry cmd_lint;

#endif
