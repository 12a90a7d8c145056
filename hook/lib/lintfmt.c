/*
 * lintfmt — text, JSON and GitHub annotation output of lint findings (see
 * lintfmt.h). One head line for every text style, one annotation writer
 * with GitHub's escaping (log_gh_escape), one JSON object builder.
 */
#include "lintfmt.h"

#include <string.h>

#include "log.h"

void lintfmt_view(struct lintfmt_item *it, const struct lint_finding *f)
{
	memset(it, 0, sizeof(*it));
	it->file = f->path;
	it->line = f->line;
	it->col = f->col;
	it->rule = f->rule;
	it->message = f->message;
	it->hint = f->hint;
	it->level = f->refusing ? "error" : f->allowed ? "notice" : "warning";
	it->status = lint_finding_status(f);
	it->cls = lint_class_name(f->cls);
	it->reason = f->allow_reason;
}

void lintfmt_text(struct sb *out, const struct lintfmt_item *it, enum lintfmt_style st)
{
	sb_addf(out, "%s:%d:%d: %s: %s", it->file, it->line, it->col, it->rule, it->message);
	switch (st) {
	case LINTFMT_REPORT:
		sb_addf(out, "\n  %s (%s)%s%s", it->status, it->cls, it->reason ? ": " : "",
			it->reason ? it->reason : "");
		sb_addf(out, "\n  hint: %s", it->hint ? it->hint : "");
		break;
	case LINTFMT_BRIEF:
		if (!strcmp(it->level, "warning"))
			sb_adds(out, " (warning)");
		if (it->hint && strcmp(it->level, "notice") != 0)
			sb_addf(out, "\n  hint: %s", it->hint);
		break;
	case LINTFMT_STATUS:
		sb_addf(out, " (%s)", it->status);
		if (it->hint)
			sb_addf(out, "\n  hint: %s", it->hint);
		break;
	case LINTFMT_LOG:
		if (it->reason)
			sb_addf(out, "; allowed: %s", it->reason);
		break;
	}
}

void lintfmt_github(struct sb *out, const struct lintfmt_item *it, int rule_in_message)
{
	sb_addf(out, "::%s file=", it->level);
	log_gh_escape(out, it->file, 1);
	sb_addf(out, ",line=%d,col=%d,title=", it->line, it->col);
	log_gh_escape(out, "zdm ", 1);
	log_gh_escape(out, it->rule, 1);
	sb_adds(out, "::");
	if (rule_in_message) {
		log_gh_escape(out, it->rule, 0);
		log_gh_escape(out, ": ", 0);
	}
	log_gh_escape(out, it->message, 0);
	if (it->hint) {
		log_gh_escape(out, "\nhint: ", 0);
		log_gh_escape(out, it->hint, 0);
	}
	if (it->reason) {
		log_gh_escape(out, "\nallowed: ", 0);
		log_gh_escape(out, it->reason, 0);
	}
}

json_t *lintfmt_json(const struct lintfmt_item *it)
{
	return json_pack("{s:s, s:i, s:i, s:s, s:s, s:s?}", "file", it->file, "line", it->line,
			 "col", it->col, "rule", it->rule, "message", it->message, "hint",
			 it->hint);
}
