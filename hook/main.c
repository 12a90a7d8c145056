/*
 * zdm-hook — entry point: the command table, the option table, --help,
 * --version, and the one place that turns an error record into output, a
 * termination-log message and an exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "log.h"

const struct opt_def zdm_opts[OPT__COUNT] = {
	[OPT_DIR] = { "dir", "ZDM_MIGRATIONS_DIR", OPT_STRING, "DIR", "./migrations", NULL,
		      CMD_SOURCES | CMD_LINT, "directory of V*__*.sql and R__*.sql migrations" },
	[OPT_DATABASE_URL] = { "database-url", "ZDM_DATABASE_URL", OPT_STRING, "URL", NULL, NULL,
			       CMD_DB, "postgres:// URL or conninfo (else DATABASE_URL, else PG* variables)" },
	[OPT_HISTORY_TABLE] = { "history-table", "ZDM_HISTORY_TABLE", OPT_STRING, "NAME",
				"zdm_schema_history", NULL, CMD_SOURCES | CMD_STAMP,
				"history table, may be schema-qualified; flyway_schema_history continues Flyway" },
	[OPT_LOCK_WAIT] = { "lock-wait", "ZDM_LOCK_WAIT", OPT_DURATION, "DURATION", "10m", NULL,
			    CMD_APPLY, "how long to wait for another runner's migration lock (then exit 3)" },
	[OPT_LOCK_TIMEOUT] = { "lock-timeout", "ZDM_LOCK_TIMEOUT", OPT_DURATION, "DURATION", "1s",
			       NULL, CMD_APPLY,
			       "lock_timeout of every migration statement, so DDL never queues in front of the app" },
	[OPT_DDL_RETRIES] = { "ddl-retries", "ZDM_DDL_RETRIES", OPT_INT, "N", "10", NULL, CMD_APPLY,
			      "retries, with backoff, of a migration that hit its lock_timeout" },
	[OPT_STATEMENT_TIMEOUT] = { "statement-timeout", "ZDM_STATEMENT_TIMEOUT", OPT_DURATION,
				    "DURATION", "0", NULL, CMD_APPLY,
				    "statement_timeout of every migration statement (0: none)" },
	[OPT_CONCURRENT_TIMEOUT] = { "concurrent-timeout", "ZDM_CONCURRENT_TIMEOUT", OPT_DURATION,
				     "DURATION", "30m", NULL, CMD_APPLY,
				     "lock_timeout of CREATE/DROP/REINDEX INDEX CONCURRENTLY (they wait for old snapshots)" },
	[OPT_CONNECT_RETRIES] = { "connect-retries", "ZDM_CONNECT_RETRIES", OPT_INT, "N", "10", NULL,
				  CMD_DB, "connection attempts after the first, with backoff, and reconnects after a lost session (then exit 4)" },
	[OPT_PEER_TIMEOUT] = { "peer-timeout", "ZDM_PEER_TIMEOUT", OPT_DURATION, "DURATION", "60s", NULL,
			       CMD_DB, "a silent network peer is given up within this, by zdm and by the server (which drops zdm's lock); at least 5s" },
	[OPT_DRY_RUN] = { "dry-run", "ZDM_DRY_RUN", OPT_BOOL, NULL, NULL, NULL, CMD_MIGRATE,
			  "print what would be applied; change nothing, take no lock" },
	[OPT_OUT_OF_ORDER] = { "out-of-order", "ZDM_OUT_OF_ORDER", OPT_BOOL, NULL, NULL, NULL, CMD_SOURCES,
			       "allow applying a pending version older than the newest applied one" },
	[OPT_OUTPUT] = { "output", "ZDM_OUTPUT", OPT_CHOICE, "FORMAT", "text", "text|json", CMD_DB,
			 "text, or json: one JSON object per line on stderr, JSON results on stdout" },
	[OPT_TERMINATION_LOG] = { "termination-log", "ZDM_TERMINATION_LOG", OPT_STRING, "PATH", NULL,
				  NULL, CMD_APPLY | CMD_ASSERT,
				  "where to write a failure summary (default /dev/termination-log when it exists)" },
	[OPT_QUIET] = { "quiet", "ZDM_QUIET", OPT_BOOL, NULL, NULL, NULL, CMD_DB,
			"log warnings and errors only" },
	[OPT_LOG_TABLE] = { "log-table", "ZDM_LOG_TABLE", OPT_STRING, "NAME", "schema_deployment_log",
			    NULL, CMD_APPLY | CMD_STAMP, "deployment log table, may be schema-qualified" },
	[OPT_STRICT_CONTRACT] = { "strict-contract", "ZDM_STRICT_CONTRACT", OPT_BOOL, NULL, NULL, NULL,
				  CMD_APPLY, "a deferred contract migration fails the run (exit 5) instead of a warning" },
	[OPT_FORCE_CONTRACT] = { "force-contract", "ZDM_FORCE_CONTRACT", OPT_BOOL, NULL, NULL, NULL,
				 CMD_APPLY, "apply contract migrations although their guard is not met (recorded, loud)" },
	[OPT_CONTRACT_IN_POST] = { "contract-in-post", "ZDM_CONTRACT_IN_POST", OPT_BOOL, NULL, NULL,
				   NULL, CMD_RUN,
				   "with --phase post: apply the contract migrations this completed rollout unblocks" },
	[OPT_PHASE] = { "phase", "ZDM_PHASE", OPT_CHOICE, "PHASE", NULL, "pre|post", CMD_IDENTITY,
			"pre: before the rollout (pre-upgrade, PreSync); post: after it (post-upgrade, PostSync)" },
	[OPT_STATUS] = { "status", NULL, OPT_CHOICE, "STATUS", NULL, "started|succeeded|failed",
			 CMD_STAMP, "the row's status; succeeded/failed complete a matching started row" },
	[OPT_RELEASE] = { "release", "ZDM_RELEASE", OPT_STRING, "NAME", NULL, NULL,
			  CMD_IDENTITY | CMD_MIGRATE, "Helm release or Argo CD application (scopes the contract guard)" },
	[OPT_NAMESPACE] = { "namespace", "ZDM_NAMESPACE", OPT_STRING, "NAME", NULL, NULL,
			    CMD_IDENTITY | CMD_MIGRATE, "Kubernetes namespace of the release" },
	[OPT_REVISION] = { "revision", "ZDM_REVISION", OPT_STRING, "N", NULL, NULL, CMD_IDENTITY,
			   "Helm release revision" },
	[OPT_APP_VERSION] = { "app-version", "ZDM_APP_VERSION", OPT_STRING, "VERSION", NULL, NULL,
			      CMD_IDENTITY, "the application version being rolled out" },
	[OPT_CHART_VERSION] = { "chart-version", "ZDM_CHART_VERSION", OPT_STRING, "VERSION", NULL, NULL,
				CMD_IDENTITY, "the chart version being rolled out" },
	[OPT_DEPLOYED_BY] = { "deployed-by", "ZDM_DEPLOYED_BY", OPT_STRING, "WHO", NULL, NULL,
			      CMD_IDENTITY, "who or what deploys (helm, argocd, a user)" },
	[OPT_SOURCE_REVISION] = { "source-revision", "ZDM_SOURCE_REVISION", OPT_STRING, "REV", NULL,
				  NULL, CMD_IDENTITY, "source revision, e.g. the git commit Argo CD synced" },
	[OPT_POD] = { "pod", "HOSTNAME", OPT_STRING, "NAME", NULL, NULL, CMD_IDENTITY,
		      "the pod running the hook" },
	[OPT_ERROR] = { "error", NULL, OPT_STRING, "TEXT", NULL, NULL, CMD_STAMP,
			"error text for a failed row" },
	[OPT_ASSERTIONS] = { "assertions", "ZDM_ASSERTIONS", OPT_STRING, "FILE", NULL, NULL, CMD_RUN,
			     "schema assertions to check after migrating (phase pre)" },
	[OPT_FILE] = { "file", "ZDM_ASSERTIONS", OPT_STRING, "FILE", NULL, NULL, CMD_ASSERT,
		       "the assertions file" },
	[OPT_CHECK_TIMEOUT] = { "check-timeout", "ZDM_CHECK_TIMEOUT", OPT_DURATION, "DURATION", "30s",
				NULL, CMD_ASSERT | CMD_RUN, "statement_timeout of each custom SQL check" },
	[OPT_LINT_OUTPUT] = { "output", "ZDM_OUTPUT", OPT_CHOICE, "FORMAT", "text", "text|json|github",
			      CMD_LINT, "text, json, or github (workflow annotations)" },
	[OPT_SINCE] = { "since", "ZDM_LINT_SINCE", OPT_STRING, "VERSION", NULL, NULL, CMD_LINT,
			"report only versions above VERSION (older ones still teach the context)" },
	[OPT_RULES] = { "rules", NULL, OPT_BOOL, NULL, NULL, NULL, CMD_LINT,
			"list the rules (id, class, squawk equivalent, summary) and exit" },
	[OPT_MAX_REPLICA_LAG] = { "max-replica-lag", "ZDM_MAX_REPLICA_LAG", OPT_DURATION, "DURATION",
				  "0", NULL, CMD_APPLY,
				  "backfills pause while a standby replays further behind (0: off)" },
};

static const struct cmd_entry *const cmd_table[] = {
	&cmd_migrate,
	&cmd_run,
	&cmd_stamp,
	&cmd_assert,
	&cmd_lint,
	&cmd_status,
	NULL,
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

static void main_cmd_help(const struct cmd_entry *c)
{
	printf("usage: zdm-hook %s %s\n\n%s\n\nOptions:\n", c->name, c->usage, c->description);
	opts_print_help(stdout, zdm_opts, OPT__COUNT, c->mask);
	printf("  %-28s %s\n", "--help", "show this help");
}

/* The termination log: an explicit path is created; the default
 * /dev/termination-log is written only when Kubernetes provided it. */
static void main_termination_log(struct cmd_ctx *ctx, const struct zerr *e)
{
	const char *path = NULL;
	FILE *f;
	char *msg;

	if (!(ctx->cmd->mask & zdm_opts[OPT_TERMINATION_LOG].cmds))
		return;
	if (ctx->v[OPT_TERMINATION_LOG].set)
		path = ctx->v[OPT_TERMINATION_LOG].str;
	else if (access("/dev/termination-log", W_OK) == 0)
		path = "/dev/termination-log";
	if (!path || !*path)
		return;
	f = fopen(path, "w");
	if (!f) {
		log_warn("termination-log", "cannot write the termination log \"%s\"", path);
		return;
	}
	msg = xasprintf("zdm-hook %s failed (exit %d): %s%s%s%s%s", ctx->cmd->name, e->code, e->msg,
			e->detail[0] ? "\ndetail: " : "", e->detail, e->hint[0] ? "\nhint: " : "",
			e->hint);
	{
		char *masked = log_mask(msg);
		/* Kubernetes keeps at most 4096 bytes of it */
		if (strlen(masked) > 4000)
			masked[4000] = '\0';
		fprintf(f, "%s\n", masked);
		free(masked);
	}
	free(msg);
	if (fclose(f) != 0)
		log_warn("termination-log", "cannot write the termination log \"%s\"", path);
}

void cmd_db_opts(struct cmd_ctx *ctx, struct db_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->url = db_url_from_env(ctx->v[OPT_DATABASE_URL].str);
	o->connect_retries = (int)ctx->v[OPT_CONNECT_RETRIES].num;
	o->peer_timeout_ms = ctx->v[OPT_PEER_TIMEOUT].num;
	if (o->peer_timeout_ms == 0)   /* "0" asks for the default */
		o->peer_timeout_ms = DB_PEER_TIMEOUT_MS;
}

int cmd_no_args(struct cmd_ctx *ctx, struct zerr *e)
{
	if (ctx->nargs == 0)
		return 0;
	zerr_set(e, ZDM_EXIT_USAGE, "unexpected argument \"%s\"", ctx->args[0]);
	zerr_hint(e, "\"zdm-hook %s\" takes options only; see --help", ctx->cmd->name);
	return -1;
}

int cmd_fail(struct cmd_ctx *ctx, const struct zerr *e)
{
	log_zerr(e);
	main_termination_log(ctx, e);
	return e->code ? e->code : ZDM_EXIT_FAILED;
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
	if (!*c) {
		fprintf(stderr, "zdm-hook: error: unknown command \"%s\"\nhint: run \"zdm-hook --help\" "
				"for the list of commands\n", argv[1]);
		return ZDM_EXIT_USAGE;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.cmd = *c;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--version")) {
			printf("zdm-hook %s\n", ZDM_VERSION);
			return 0;
		}
	ctx.args = xcalloc((size_t)argc, sizeof(*ctx.args));
	rc = opts_parse(zdm_opts, OPT__COUNT, (*c)->mask, argc - 1, argv + 1, ctx.v, ctx.args,
			&ctx.nargs, &e);
	if (rc == 1) {
		main_cmd_help(*c);
		free(ctx.args);
		return 0;
	}
	if (rc < 0) {
		zerr_hint(&e, "run \"zdm-hook %s --help\" for its options", (*c)->name);
		log_zerr(&e);
		free(ctx.args);
		return ZDM_EXIT_USAGE;
	}
	if (ctx.v[OPT_OUTPUT].str && !strcmp(ctx.v[OPT_OUTPUT].str, "json"))
		log_init("zdm-hook", LOG_JSON);
	log_set_quiet((int)ctx.v[OPT_QUIET].num);
	db_install_signal_handlers();
	rc = (*c)->exec(&ctx);
	free(ctx.args);
	log_free_secrets();
	return rc;
}
