/*
 * cmd — zdm-hook's command entries, the options they share, and the
 * helpers in cmd.c they share.
 *
 * Adding a command:
 *   1. write hook/cmd-NAME.c exporting `const struct cmd_entry cmd_NAME`
 *      with designated initializers (name, usage, summary, description,
 *      opts, exec); .opts lists its options in --help order: its own
 *      ones, static in the file, and shared ones (cmd_opt_* below);
 *   2. declare the entry at the bottom of this file and list it in
 *      cmd_table[] in main.c;
 *   3. put what it shares with other commands in cmd.c, never call
 *      another command's file;
 *   4. add tests/bats/NAME.bats starting with the conformance block
 *      (--help, --version, unknown option -> exit 2) and document the
 *      command in README.md.
 *
 * Adding an option: one command's option is a `static const struct
 * opt_def` in that command's file, listed in its entry's .opts; read it
 * with cmd_str/cmd_num/cmd_opt(ctx, &the_def). An option several
 * commands take is defined once in cmd.c, declared below, and listed in
 * each of their entries.
 */
#ifndef ZDM_CMD_H
#define ZDM_CMD_H

#include "opts.h"
#include "util.h"

/* The options several commands take (cmd.c); an option one command
 * takes is a static in that command's file. */
extern const struct opt_def cmd_opt_dir, cmd_opt_database_url, cmd_opt_history_table,
	cmd_opt_lock_wait, cmd_opt_lock_timeout, cmd_opt_ddl_retries, cmd_opt_statement_timeout,
	cmd_opt_concurrent_timeout, cmd_opt_connect_retries, cmd_opt_peer_timeout,
	cmd_opt_out_of_order, cmd_opt_output, cmd_opt_termination_log, cmd_opt_quiet,
	cmd_opt_log_table, cmd_opt_strict_contract, cmd_opt_force_contract, cmd_opt_phase,
	cmd_opt_release, cmd_opt_namespace, cmd_opt_revision, cmd_opt_app_version,
	cmd_opt_chart_version, cmd_opt_deployed_by, cmd_opt_source_revision, cmd_opt_pod,
	cmd_opt_check_timeout, cmd_opt_max_replica_lag, cmd_opt_ignore_migration_patterns,
	cmd_opt_since, cmd_opt_encoding, cmd_opt_placeholder;

struct cmd_ctx {
	const struct cmd_entry *cmd;
	struct opt_value *v; /* v[i] is the value of cmd->opts[i] */
	const char **args;
	int nargs;
};

struct cmd_entry {
	const char *name;
	const char *usage; /* after "zdm-hook NAME " */
	const char *summary; /* one line for the command list */
	const char *description; /* paragraph for NAME --help */
	const struct opt_def *const *opts; /* NULL-terminated, in --help order */
	int (*exec)(struct cmd_ctx *ctx);
};

/* The value of option d for this command: a zero value (not set, NULL
 * text, 0) when the command does not take d. */
const struct opt_value *cmd_opt(const struct cmd_ctx *ctx, const struct opt_def *d);
#define cmd_str(ctx, d) (cmd_opt((ctx), (d))->str)
#define cmd_num(ctx, d) (cmd_opt((ctx), (d))->num)
/* Whether the command takes option d. */
int cmd_takes(const struct cmd_ctx *ctx, const struct opt_def *d);

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
