/*
 * srclint — migrations set -> classifier -> findings (see srclint.h).
 */
#include "srclint.h"

#include <stdlib.h>
#include <string.h>

int srclint_run(const struct src_set *src, const unsigned char *learn_only, struct lint_report *out,
		struct zerr *e)
{
	struct lint_ctx *ctx = lint_ctx_new();
	int rc = -1;

	for (size_t i = 0; i < src->n; i++) {
		const struct src_migration *m = &src->v[i];
		struct lint_allow *allows = xcalloc(m->nallows, sizeof(*allows));
		struct lint_file f = { 0 };

		for (size_t k = 0; k < m->nallows; k++) {
			if (!lint_rule_find(m->allows[k].rule)) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "%s:%d: allow=%s: there is no such lint rule", m->path,
					 m->allows[k].line, m->allows[k].rule);
				zerr_hint(e, "\"zdm-hook lint --rules\" lists the rule ids");
				free(allows);
				goto cleanup;
			}
			allows[k].stmt = m->allows[k].stmt;
			allows[k].line = m->allows[k].line;
			allows[k].col = 1;
			allows[k].rule = m->allows[k].rule;
			allows[k].reason = m->allows[k].reason;
		}
		f.path = m->path;
		f.src = m->sql;
		f.len = m->len;
		f.script = &m->script;
		f.transactional = m->transactional;
		f.guarded_contract = m->phase == SRC_PHASE_CONTRACT && m->requires_app;
		f.allows = allows;
		f.nallows = m->nallows;
		f.learn_only = learn_only ? learn_only[i] : 0;
		f.batched = m->backfill;
		lint_file(ctx, &f, out);
		free(allows);
	}
	rc = 0;
cleanup:
	lint_ctx_free(ctx);
	return rc;
}

int srclint_refuse(const struct lint_report *r, struct zerr *e)
{
	size_t n = lint_report_refusing(r, 0), shown = 0;
	struct sb all;

	if (n == 0)
		return 0;
	sb_init(&all);
	for (size_t i = 0; i < r->n && shown < 5; i++) {
		const struct lint_finding *f = &r->v[i];
		if (!f->refusing)
			continue;
		sb_addf(&all, "%s%s:%d:%d: %s: %s", shown ? "\n" : "", f->path, f->line, f->col,
			f->rule, f->message);
		shown++;
	}
	if (n > shown)
		sb_addf(&all, "\n... and %zu more", n - shown);
	if (n == 1) {
		const struct lint_finding *f = NULL;
		for (size_t i = 0; i < r->n && !f; i++)
			if (r->v[i].refusing)
				f = &r->v[i];
		zerr_set(e, ZDM_EXIT_UNSAFE, "unsafe migration refused: %s", all.buf);
		zerr_hint(e,
			  "%s; or, if it is safe here, put \"-- zdm: allow=%s reason=\\\"...\\\"\" "
			  "on the line before the statement",
			  f->hint ? f->hint : "rewrite it", f->rule);
	} else {
		zerr_set(e, ZDM_EXIT_UNSAFE, "%zu unsafe statements refused; nothing was applied",
			 n);
		zerr_detail(e, "\n%s", all.buf);
		zerr_hint(e,
			  "\"zdm-hook lint\" shows each with its safe alternative; a statement that is "
			  "safe here takes \"-- zdm: allow=RULE reason=\\\"...\\\"\" on the line before it");
	}
	sb_release(&all);
	return -1;
}

char *srclint_allowed(const struct lint_report *r, const char *path)
{
	struct sb s;

	sb_init(&s);
	for (size_t i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];
		if (f->allowed != LINT_ALLOWED_BY_COMMENT || strcmp(f->path, path) != 0)
			continue;
		sb_addf(&s, "%s%s (line %d): %s", s.len ? "; " : "", f->rule, f->line,
			f->allow_reason ? f->allow_reason : "");
	}
	if (s.len == 0) {
		sb_release(&s);
		return NULL;
	}
	return sb_steal(&s);
}
