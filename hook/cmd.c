/*
 * cmd — what zdm-hook's commands share: the options several commands
 * take (an option one command takes is defined in that command's file),
 * the one place that turns an error record into output, a termination-log
 * message and an exit code, and the helpers that map options onto the
 * engine's structures (connection, migrate, deployment log identity) and
 * print assertion results. No command file calls another command file:
 * what two commands share lives here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assert.h"
#include "cmd.h"
#include "db.h"
#include "deplog.h"
#include "log.h"
#include "migrate.h"

const struct opt_def cmd_opt_dir = {
	.name = "dir",
	.env = "ZDM_MIGRATIONS_DIR",
	.kind = OPT_STRING,
	.metavar = "DIR",
	.def = "./migrations",
	.help = "directory of V*__*.sql and R__*.sql migrations",
};

const struct opt_def cmd_opt_database_url = {
	.name = "database-url",
	.env = "ZDM_DATABASE_URL",
	.kind = OPT_STRING,
	.metavar = "URL",
	.help = "postgres:// URL or conninfo (else DATABASE_URL, else PG* variables)",
};

const struct opt_def cmd_opt_history_table = {
	.name = "history-table",
	.env = "ZDM_HISTORY_TABLE",
	.kind = OPT_STRING,
	.metavar = "NAME",
	.def = "zdm_schema_history",
	.help = "history table, may be schema-qualified; flyway_schema_history continues Flyway",
};

const struct opt_def cmd_opt_lock_wait = {
	.name = "lock-wait",
	.env = "ZDM_LOCK_WAIT",
	.kind = OPT_DURATION,
	.metavar = "DURATION",
	.def = "10m",
	.help = "how long to wait for another runner's migration lock (then exit 3)",
};

const struct opt_def cmd_opt_lock_timeout = {
	.name = "lock-timeout",
	.env = "ZDM_LOCK_TIMEOUT",
	.kind = OPT_DURATION,
	.metavar = "DURATION",
	.def = "1s",
	.help = "lock_timeout of every migration statement, so DDL never queues in front of the app",
};

const struct opt_def cmd_opt_ddl_retries = {
	.name = "ddl-retries",
	.env = "ZDM_DDL_RETRIES",
	.kind = OPT_INT,
	.metavar = "N",
	.def = "10",
	.help = "retries, with backoff, of a migration that hit its lock_timeout",
};

const struct opt_def cmd_opt_statement_timeout = {
	.name = "statement-timeout",
	.env = "ZDM_STATEMENT_TIMEOUT",
	.kind = OPT_DURATION,
	.metavar = "DURATION",
	.def = "0",
	.help = "statement_timeout of every migration statement (0: none)",
};

const struct opt_def cmd_opt_concurrent_timeout = {
	.name = "concurrent-timeout",
	.env = "ZDM_CONCURRENT_TIMEOUT",
	.kind = OPT_DURATION,
	.metavar = "DURATION",
	.def = "30m",
	.help = "lock_timeout of CREATE/DROP/REINDEX INDEX CONCURRENTLY and DETACH PARTITION ... CONCURRENTLY (they wait for old snapshots)",
};

const struct opt_def cmd_opt_connect_retries = {
	.name = "connect-retries",
	.env = "ZDM_CONNECT_RETRIES",
	.kind = OPT_INT,
	.metavar = "N",
	.def = "10",
	.help = "connection attempts after the first, with backoff, and reconnects after a lost session (then exit 4)",
};

const struct opt_def cmd_opt_peer_timeout = {
	.name = "peer-timeout",
	.env = "ZDM_PEER_TIMEOUT",
	.kind = OPT_DURATION,
	.metavar = "DURATION",
	.def = "60s",
	.help = "a silent network peer is given up within this, by zdm and by the server (which drops zdm's lock); at least 5s",
};

const struct opt_def cmd_opt_out_of_order = {
	.name = "out-of-order",
	.env = "ZDM_OUT_OF_ORDER",
	.kind = OPT_BOOL,
	.help = "allow applying a pending version older than the newest applied one",
};

const struct opt_def cmd_opt_ignore_migration_patterns = {
	.name = "ignore-migration-patterns",
	.env = "ZDM_IGNORE_MIGRATION_PATTERNS",
	.kind = OPT_STRING,
	.metavar = "PATTERNS",
	.help = "Flyway's ignoreMigrationPatterns: TYPE:STATUS,... (TYPE *, versioned, repeatable; STATUS *, missing, future, ignored, pending); replaces the default *:future",
};

const struct opt_def cmd_opt_encoding = {
	.name = "encoding",
	.env = "ZDM_ENCODING",
	.kind = OPT_STRING,
	.metavar = "ENCODING",
	.help = "encoding of the migration files (Flyway's flyway.encoding): UTF-8 (default), ISO-8859-1, UTF-16, UTF-16LE, UTF-16BE",
};

const struct opt_def cmd_opt_placeholder = {
	.name = "placeholder",
	.kind = OPT_ASSIGN,
	.metavar = "NAME=VALUE",
	.repeat = 1,
	.help = "the value of Flyway placeholder ${NAME}; beats ZDM_PLACEHOLDER_NAME, FLYWAY_PLACEHOLDERS_NAME, zdm.yaml and flyway.conf/.toml",
};

const struct opt_def cmd_opt_since = {
	.name = "since",
	.env = "ZDM_SINCE",
	.kind = OPT_STRING,
	.metavar = "VERSION",
	.help = "pending versions at or below VERSION are applied without lint (grandfathered); later ones are judged",
};

const struct opt_def cmd_opt_output = {
	.name = "output",
	.env = "ZDM_OUTPUT",
	.kind = OPT_CHOICE,
	.metavar = "FORMAT",
	.def = "text",
	.choices = "text|json",
	.help = "text, or json: one JSON object per line on stderr, JSON results on stdout",
};

const struct opt_def cmd_opt_termination_log = {
	.name = "termination-log",
	.env = "ZDM_TERMINATION_LOG",
	.kind = OPT_STRING,
	.metavar = "PATH",
	.help = "where to write a failure summary (default /dev/termination-log when it exists)",
};

const struct opt_def cmd_opt_quiet = {
	.name = "quiet",
	.env = "ZDM_QUIET",
	.kind = OPT_BOOL,
	.help = "log warnings and errors only",
};

const struct opt_def cmd_opt_log_table = {
	.name = "log-table",
	.env = "ZDM_LOG_TABLE",
	.kind = OPT_STRING,
	.metavar = "NAME",
	.def = "schema_deployment_log",
	.help = "deployment log table, may be schema-qualified",
};

const struct opt_def cmd_opt_strict_contract = {
	.name = "strict-contract",
	.env = "ZDM_STRICT_CONTRACT",
	.kind = OPT_BOOL,
	.help = "a deferred contract migration fails the run (exit 5) instead of a warning",
};

const struct opt_def cmd_opt_force_contract = {
	.name = "force-contract",
	.env = "ZDM_FORCE_CONTRACT",
	.kind = OPT_BOOL,
	.help = "apply contract migrations although their guard is not met (recorded, loud)",
};

const struct opt_def cmd_opt_phase = {
	.name = "phase",
	.env = "ZDM_PHASE",
	.kind = OPT_CHOICE,
	.metavar = "PHASE",
	.choices = "pre|post",
	.help = "pre: before the rollout (pre-upgrade, PreSync); post: after it (post-upgrade, PostSync)",
};

const struct opt_def cmd_opt_release = {
	.name = "release",
	.env = "ZDM_RELEASE",
	.kind = OPT_STRING,
	.metavar = "NAME",
	.help = "Helm release or Argo CD application (scopes the contract guard)",
};

const struct opt_def cmd_opt_namespace = {
	.name = "namespace",
	.env = "ZDM_NAMESPACE",
	.kind = OPT_STRING,
	.metavar = "NAME",
	.help = "Kubernetes namespace of the release",
};

const struct opt_def cmd_opt_revision = {
	.name = "revision",
	.env = "ZDM_REVISION",
	.kind = OPT_STRING,
	.metavar = "N",
	.help = "Helm release revision",
};

const struct opt_def cmd_opt_app_version = {
	.name = "app-version",
	.env = "ZDM_APP_VERSION",
	.kind = OPT_STRING,
	.metavar = "VERSION",
	.help = "the application version being rolled out",
};

const struct opt_def cmd_opt_chart_version = {
	.name = "chart-version",
	.env = "ZDM_CHART_VERSION",
	.kind = OPT_STRING,
	.metavar = "VERSION",
	.help = "the chart version being rolled out",
};

const struct opt_def cmd_opt_deployed_by = {
	.name = "deployed-by",
	.env = "ZDM_DEPLOYED_BY",
	.kind = OPT_STRING,
	.metavar = "WHO",
	.help = "who or what deploys (helm, argocd, a user)",
};

const struct opt_def cmd_opt_source_revision = {
	.name = "source-revision",
	.env = "ZDM_SOURCE_REVISION",
	.kind = OPT_STRING,
	.metavar = "REV",
	.help = "source revision, e.g. the git commit Argo CD synced",
};

const struct opt_def cmd_opt_pod = {
	.name = "pod",
	.env = "HOSTNAME",
	.kind = OPT_STRING,
	.metavar = "NAME",
	.help = "the pod running the hook",
};

const struct opt_def cmd_opt_check_timeout = {
	.name = "check-timeout",
	.env = "ZDM_CHECK_TIMEOUT",
	.kind = OPT_DURATION,
	.metavar = "DURATION",
	.def = "30s",
	.help = "statement_timeout of each custom SQL check",
};

const struct opt_def cmd_opt_max_replica_lag = {
	.name = "max-replica-lag",
	.env = "ZDM_MAX_REPLICA_LAG",
	.kind = OPT_DURATION,
	.metavar = "DURATION",
	.def = "0",
	.help = "backfills pause while a standby replays further behind (0: off)",
};

const struct opt_value *cmd_opt(const struct cmd_ctx *ctx, const struct opt_def *d)
{
	return opts_get(ctx->cmd->opts, ctx->v, d);
}

int cmd_takes(const struct cmd_ctx *ctx, const struct opt_def *d)
{
	for (const struct opt_def *const *o = ctx->cmd->opts; o && *o; o++)
		if (*o == d)
			return 1;
	return 0;
}

/* The termination log: an explicit path is created; the default
 * /dev/termination-log is written only when Kubernetes provided it. */
static void main_termination_log(struct cmd_ctx *ctx, const struct zerr *e)
{
	const char *path = NULL;
	FILE *f;
	char *msg;

	if (!cmd_takes(ctx, &cmd_opt_termination_log))
		return;
	if (cmd_opt(ctx, &cmd_opt_termination_log)->set)
		path = cmd_str(ctx, &cmd_opt_termination_log);
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
	o->url = db_url_from_env(cmd_str(ctx, &cmd_opt_database_url));
	o->connect_retries = (int)cmd_num(ctx, &cmd_opt_connect_retries);
	o->peer_timeout_ms = cmd_num(ctx, &cmd_opt_peer_timeout);
	if (o->peer_timeout_ms == 0) /* "0" asks for the default */
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

void cmd_migrate_fill(struct cmd_ctx *ctx, struct migrate_opts *o)
{
	struct db_opts dbo;

	cmd_db_opts(ctx, &dbo);
	o->dir = cmd_str(ctx, &cmd_opt_dir);
	o->url = dbo.url;
	o->connect_retries = dbo.connect_retries;
	o->peer_timeout_ms = dbo.peer_timeout_ms;
	o->history_table = cmd_str(ctx, &cmd_opt_history_table);
	o->lock_wait_ms = cmd_num(ctx, &cmd_opt_lock_wait);
	o->lock_timeout_ms = cmd_num(ctx, &cmd_opt_lock_timeout);
	o->ddl_retries = (int)cmd_num(ctx, &cmd_opt_ddl_retries);
	o->statement_timeout_ms = cmd_num(ctx, &cmd_opt_statement_timeout);
	o->concurrent_timeout_ms = cmd_num(ctx, &cmd_opt_concurrent_timeout);
	o->out_of_order = cmd_opt(ctx, &cmd_opt_out_of_order)->set
				  ? (int)cmd_num(ctx, &cmd_opt_out_of_order)
				  : -1;
	o->ignore_patterns = cmd_str(ctx, &cmd_opt_ignore_migration_patterns);
	o->since = cmd_str(ctx, &cmd_opt_since);
	o->encoding = cmd_str(ctx, &cmd_opt_encoding);
	o->placeholders = cmd_opt(ctx, &cmd_opt_placeholder)->all;
	o->nplaceholders = cmd_opt(ctx, &cmd_opt_placeholder)->nall;
	o->max_replica_lag_ms = cmd_num(ctx, &cmd_opt_max_replica_lag);
	o->log_table = cmd_str(ctx, &cmd_opt_log_table);
	o->release = cmd_str(ctx, &cmd_opt_release);
	o->namespace_ = cmd_str(ctx, &cmd_opt_namespace);
	o->strict_contract = (int)cmd_num(ctx, &cmd_opt_strict_contract);
	o->force_contract = (int)cmd_num(ctx, &cmd_opt_force_contract);
}

void cmd_assert_print(const struct assert_result *r, int as_log)
{
	size_t i;
	json_t *it;

	if (!as_log && log_format_get() == LOG_JSON) {
		log_result_json(json_pack("{s:i, s:i, s:O}", "passed", r->passed, "failed",
					  r->failed, "results", r->results));
		return;
	}
	json_array_foreach (r->results, i, it) {
		int ok = json_is_true(json_object_get(it, "ok"));
		const char *file = json_string_value(json_object_get(it, "file"));
		int line = (int)json_integer_value(json_object_get(it, "line"));
		int col = (int)json_integer_value(json_object_get(it, "col"));
		const char *subject = json_string_value(json_object_get(it, "subject"));
		const char *msg = json_string_value(json_object_get(it, "message"));

		if (as_log && !ok)
			log_event(LOG_WARN, "assertion-failed", json_deep_copy(it),
				  "%s:%d:%d: assertion failed: %s %s", file, line, col, subject,
				  msg);
		else if (!as_log)
			log_result("%s %s:%d:%d: %s %s", ok ? "ok  " : "FAIL", file, line, col,
				   subject, msg);
	}
	if (as_log)
		log_info("assertions", "assertions: %d passed, %d failed", r->passed, r->failed);
	else
		log_result("%d assertion%s: %d passed, %d failed", r->passed + r->failed,
			   r->passed + r->failed == 1 ? "" : "s", r->passed, r->failed);
}

int cmd_assert_failed(const struct assert_result *r, struct zerr *e)
{
	json_t *it;
	size_t i;

	json_array_foreach (r->results, i, it) {
		if (json_is_true(json_object_get(it, "ok")))
			continue;
		zerr_set(e, ZDM_EXIT_FAILED,
			 "%d of %d schema assertions failed; first: %s:%d:%d: %s %s", r->failed,
			 r->passed + r->failed, json_string_value(json_object_get(it, "file")),
			 (int)json_integer_value(json_object_get(it, "line")),
			 (int)json_integer_value(json_object_get(it, "col")),
			 json_string_value(json_object_get(it, "subject")),
			 json_string_value(json_object_get(it, "message")));
		return -1;
	}
	return 0;
}

void cmd_deplog_entry(struct cmd_ctx *ctx, struct deplog_entry *d)
{
	memset(d, 0, sizeof(*d));
	d->release = cmd_str(ctx, &cmd_opt_release);
	d->namespace_ = cmd_str(ctx, &cmd_opt_namespace);
	d->revision = cmd_str(ctx, &cmd_opt_revision);
	d->app_version = cmd_str(ctx, &cmd_opt_app_version);
	d->chart_version = cmd_str(ctx, &cmd_opt_chart_version);
	d->deployed_by = cmd_str(ctx, &cmd_opt_deployed_by);
	d->source_revision = cmd_str(ctx, &cmd_opt_source_revision);
	d->pod = cmd_str(ctx, &cmd_opt_pod);
	d->phase = cmd_str(ctx, &cmd_opt_phase);
}
