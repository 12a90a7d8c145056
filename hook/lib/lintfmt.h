/*
 * lintfmt — the one printer of lint findings, shared by zdm-hook lint,
 * helm zdm lint, helm zdm render and migrate.
 *
 * A finding is printed from a view (struct lintfmt_item) that both a
 * classifier finding (lint_finding_view) and the plugin's wiring findings
 * fill, in one of three formats: text (one head line
 * "FILE:LINE:COL: RULE: MESSAGE" and the tail the caller's style asks
 * for), JSON (the common keys; the caller adds its own) and GitHub
 * workflow annotations. The styles are the few that the commands'
 * documented and tested output needs; a new caller picks one.
 *
 * Ownership: the item borrows every string; lintfmt_text and
 * lintfmt_github append to the caller's sb; lintfmt_json returns a new
 * reference.
 */
#ifndef ZDM_LINTFMT_H
#define ZDM_LINTFMT_H

#include <jansson.h>

#include "lint.h"
#include "util.h"

struct lintfmt_item {
	const char *file;
	int line, col;
	const char *rule;
	const char *message;
	const char *hint; /* NULL: none */
	const char *level; /* "error" (refuses), "warning" or "notice" (allowed) */
	const char *status; /* lint_finding_status, or NULL */
	const char *cls; /* lint_class_name, or NULL */
	const char *reason; /* why it is allowed, or NULL */
};

enum lintfmt_style {
	LINTFMT_REPORT, /* zdm-hook lint: head, "  STATUS (CLASS)[: REASON]", "  hint: HINT" */
	LINTFMT_BRIEF, /* helm zdm lint: head[ (warning)], "  hint: HINT" unless allowed */
	LINTFMT_STATUS, /* helm zdm render: head (STATUS), "  hint: HINT" */
	LINTFMT_LOG, /* migrate's log line: head[; allowed: REASON] */
};

/* The view of a classifier finding. */
void lintfmt_view(struct lintfmt_item *it, const struct lint_finding *f);
/* Append the finding as text in style st, lines separated by "\n", no
 * final newline. */
void lintfmt_text(struct sb *out, const struct lintfmt_item *it, enum lintfmt_style st);
/* Append the finding as one GitHub annotation line; rule_in_message
 * repeats "RULE: " before the message (helm zdm lint's wording). */
void lintfmt_github(struct sb *out, const struct lintfmt_item *it, int rule_in_message);
/* The finding as a JSON object: file, line, col, rule, message, hint
 * (null when none); the caller adds its own keys. */
json_t *lintfmt_json(const struct lintfmt_item *it);

#endif
