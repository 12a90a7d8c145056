/*
 * cmd-lint — `zdm-hook lint`: classify every statement of the migrations
 * (a directory or the files given) without a database, for CI. The same
 * engine (srclint) gates `zdm-hook migrate` at run time.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lintfmt.h"
#include "log.h"
#include "srclint.h"

static const struct opt_def cmd_lint_opt_output = {
	.name = "output",
	.env = "ZDM_OUTPUT",
	.kind = OPT_CHOICE,
	.metavar = "FORMAT",
	.def = "text",
	.choices = "text|json|github",
	.help = "text, json, or github (workflow annotations)",
};

static const struct opt_def cmd_lint_opt_since = {
	.name = "since",
	.env = "ZDM_LINT_SINCE",
	.kind = OPT_STRING,
	.metavar = "VERSION",
	.help = "report only versions above VERSION (older ones still teach the context)",
};

static const struct opt_def cmd_lint_opt_rules = {
	.name = "rules",
	.kind = OPT_BOOL,
	.help = "list the rules (id, class, squawk equivalent, summary) and exit",
};

static void cmd_lint_print(const char *format, const struct lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct lintfmt_item it;
		struct sb s;

		lintfmt_view(&it, &r->v[i]);
		sb_init(&s);
		if (!strcmp(format, "github"))
			lintfmt_github(&s, &it, 0);
		else
			lintfmt_text(&s, &it, LINTFMT_REPORT);
		log_result("%s", s.buf);
		sb_release(&s);
	}
}

static json_t *cmd_lint_json(const struct lint_report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->n; i++) {
		struct lintfmt_item it;
		json_t *o;

		lintfmt_view(&it, &r->v[i]);
		o = lintfmt_json(&it);
		if (o &&
		    (json_object_set_new(o, "class", json_string(it.cls)) < 0 ||
		     json_object_set_new(o, "status", json_string(it.status)) < 0 ||
		     (it.reason && json_object_set_new(o, "reason", json_string(it.reason)) < 0))) {
			json_decref(o);
			o = NULL;
		}
		json_array_append_new(a, o);
	}
	return a;
}

static void cmd_lint_rules(void)
{
	for (size_t i = 0; i < lint_nrules; i++)
		log_result("%-32s %-9s %s%s%s%s", lint_rules[i].id,
			   lint_class_name(lint_rules[i].cls), lint_rules[i].summary,
			   *lint_rules[i].squawk ? " [squawk: " : "", lint_rules[i].squawk,
			   *lint_rules[i].squawk ? "]" : "");
	log_result("%zu rules", lint_nrules);
}

static int cmd_lint_exec(struct cmd_ctx *ctx)
{
	const char *format = cmd_str(ctx, &cmd_lint_opt_output),
		   *since = cmd_str(ctx, &cmd_lint_opt_since);
	struct zerr e = { 0 };
	struct src_set src;
	struct src_load_opts lo = { .mixed = -1 };
	struct lint_report rep = { 0 };
	unsigned char *learn = NULL;
	size_t stmts = 0, refusing, allowed = 0, warnings = 0, nfiles;
	int rc = -1;

	memset(&src, 0, sizeof(src));
	if (cmd_num(ctx, &cmd_lint_opt_rules)) {
		cmd_lint_rules();
		return 0;
	}
	if (ctx->nargs > 0 && cmd_opt(ctx, &cmd_opt_dir)->set) {
		zerr_set(&e, ZDM_EXIT_USAGE, "give either --dir or files, not both");
		goto cleanup;
	}
	lo.encoding = cmd_str(ctx, &cmd_opt_encoding);
	lo.placeholders = cmd_opt(ctx, &cmd_opt_placeholder)->all;
	lo.nplaceholders = cmd_opt(ctx, &cmd_opt_placeholder)->nall;
	if ((ctx->nargs > 0 ? source_load_files(ctx->args, (size_t)ctx->nargs, &src, &e)
			    : source_load_opts(cmd_str(ctx, &cmd_opt_dir), &lo, &src, &e)) < 0)
		goto cleanup;
	/* --since, else zdm.yaml's since: (NULL: nothing grandfathered) */
	if (srclint_since(&src, since, &learn, &e) < 0)
		goto cleanup;
	/* B files are linted too (srclint_run) */
	nfiles = src.n + src.nbaselines;
	for (size_t i = 0; i < src.n; i++)
		stmts += src.v[i].script.n;
	for (size_t i = 0; i < src.nbaselines; i++)
		stmts += src.baselines[i].script.n;
	if (srclint_run(&src, learn, &rep, &e) < 0)
		goto cleanup;
	refusing = lint_report_refusing(&rep, 0);
	for (size_t i = 0; i < rep.n; i++) {
		allowed += rep.v[i].allowed != 0;
		warnings += !rep.v[i].refusing && !rep.v[i].allowed;
	}
	if (!strcmp(format, "json"))
		log_result_json(json_pack("{s:i, s:i, s:i, s:i, s:i, s:o}", "files", (int)nfiles,
					  "statements", (int)stmts, "refusing", (int)refusing,
					  "allowed", (int)allowed, "warnings", (int)warnings,
					  "findings", cmd_lint_json(&rep)));
	else {
		cmd_lint_print(format, &rep);
		log_result("%s%zu file%s, %zu statement%s: %zu refusing, %zu allowed, %zu warning%s",
			   !strcmp(format, "github") ? "zdm lint: " : "", nfiles,
			   nfiles == 1 ? "" : "s", stmts, stmts == 1 ? "" : "s", refusing, allowed,
			   warnings, warnings == 1 ? "" : "s");
	}
	rc = refusing ? ZDM_EXIT_UNSAFE : 0;
cleanup:
	free(learn);
	lint_report_release(&rep);
	source_release(&src);
	if (rc < 0)
		return cmd_fail(ctx, &e);
	return rc;
}

static const struct opt_def *const cmd_lint_opts[] = {
	&cmd_opt_dir,
	&cmd_opt_encoding,
	&cmd_opt_placeholder,
	&cmd_lint_opt_output,
	&cmd_lint_opt_since,
	&cmd_lint_opt_rules,
	NULL,
};

const struct cmd_entry cmd_lint = {
	.name = "lint",
	.usage = "[--dir DIR | FILE...] [OPTIONS]",
	.summary = "classify every statement as expand, contract or blocking (no database needed)",
	.description =
		"Classify every statement of the migrations: expand (safe while old code runs),\n"
		"contract (breaks old code: only in a \"phase=contract requires-app=V\" file), blocking\n"
		"(long or queue-forming locks) or transaction misuse, each with the rule id, the reason\n"
		"and the safe alternative. Exit 6 when anything refuses; zdm-hook migrate applies the\n"
		"same check to pending migrations before it takes the lock. A statement that is safe\n"
		"in its context takes \"-- zdm: allow=RULE reason=\\\"...\\\"\" on the line before it.",
	.opts = cmd_lint_opts,
	.exec = cmd_lint_exec,
};
