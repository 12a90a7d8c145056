/*
 * srclint — migrations set -> classifier -> findings (see srclint.h).
 */
#include "srclint.h"

#include <stdlib.h>
#include <string.h>

int srclint_run(const struct src_set *src, const unsigned char *learn_only, struct lint_report *out,
		struct zerr *e)
{
	return srclint_run_opts(src, learn_only, NULL, out, e);
}

/* The allowances of zdm.yaml (lint.allow: file, rule, reason) for m: its
 * findings of that rule are allowed, with the reason, as an allow=
 * comment would allow them, without touching the file's bytes. */
static void srclint_conf_allows(const struct srcconf *conf, const struct src_migration *m,
				struct lint_report *out, size_t from)
{
	for (size_t a = 0; a < conf->nallows; a++) {
		const struct srcconf_allow *al = &conf->allows[a];
		if (strcmp(al->file, m->file) != 0)
			continue;
		for (size_t k = from; k < out->n; k++) {
			struct lint_finding *fd = &out->v[k];
			if (strcmp(fd->rule, al->rule) != 0 || fd->cls == LINT_DIRECTIVE ||
			    fd->allowed == LINT_ALLOWED_BY_COMMENT)
				continue;
			fd->refusing = 0;
			fd->allowed = LINT_ALLOWED_BY_COMMENT;
			free(fd->allow_reason);
			fd->allow_reason = xasprintf("%s (zdm.yaml)", al->reason);
		}
	}
}

/* Every zdm.yaml allowance names a known rule and a migration of src. */
static int srclint_check_conf(const struct src_set *src, struct zerr *e)
{
	const struct srcconf *conf = &src->conf;

	for (size_t a = 0; a < conf->nallows; a++) {
		const struct srcconf_allow *al = &conf->allows[a];
		int found = 0;
		if (!lint_rule_find(al->rule)) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s:%d: lint.allow: there is no lint rule \"%s\"", conf->zdm_yaml,
				 al->line, al->rule);
			zerr_hint(e, "\"zdm-hook lint --rules\" lists the rule ids");
			return -1;
		}
		for (size_t i = 0; i < src->n && !found; i++)
			found = strcmp(src->v[i].file, al->file) == 0;
		for (size_t i = 0; i < src->nbaselines && !found; i++)
			found = strcmp(src->baselines[i].file, al->file) == 0;
		if (!found) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s:%d: lint.allow: \"%s\" is not a migration in %s",
				 conf->zdm_yaml, al->line, al->file, src->dir);
			zerr_hint(e,
				  "name the file as it is in the directory, without a path (in a "
				  "subdirectory of a Flyway location: its path inside the location)");
			return -1;
		}
	}
	return 0;
}

/* Lint one file into ctx. */
static int srclint_one(struct lint_ctx *ctx, const struct srcconf *conf,
		       const struct src_migration *m, int learn_only, const struct srclint_opts *o,
		       struct lint_report *out, struct zerr *e)
{
	struct lint_allow *allows = xcalloc(m->nallows ? m->nallows : 1, sizeof(*allows));
	struct lint_file f = { 0 };

	for (size_t k = 0; k < m->nallows; k++) {
		if (!lint_rule_find(m->allows[k].rule)) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: allow=%s: there is no such lint rule",
				 m->path, m->allows[k].line, m->allows[k].rule);
			zerr_hint(e, "\"zdm-hook lint --rules\" lists the rule ids");
			free(allows);
			return -1;
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
	f.learn_only = learn_only;
	f.batched = m->backfill;
	f.run_scope = o ? o->run_scope : 0;
	f.empty_db = o ? o->empty_db : 0;
	if (!m->transactional && m->sc.execute_in_transaction == 0)
		f.mixed_setting = "executeInTransaction=false in its script configuration";
	else if (!m->transactional && !m->tx_directive && m->mixed)
		f.mixed_setting = "Flyway's mixed=true";
	{
		size_t from = out->n;
		lint_file(ctx, &f, out);
		srclint_conf_allows(conf, m, out, from);
	}
	free(allows);
	return 0;
}

int srclint_since(const struct src_set *src, const char *since, unsigned char **learn,
		  struct zerr *e)
{
	const char *from = since ? NULL : src->conf.since_at;

	*learn = NULL;
	if (!since)
		since = src->conf.since;
	if (!since)
		return 0;
	if (!source_version_valid(since)) {
		if (from)
			zerr_set(e, ZDM_EXIT_USAGE, "%s: since \"%s\" is not a version", from,
				 since);
		else
			zerr_set(e, ZDM_EXIT_USAGE, "--since \"%s\" is not a version", since);
		zerr_hint(e, "a version as in a file name: numbers separated by \".\" or \"_\" "
			     "(e.g. 41 or 2.1)");
		return -1;
	}
	*learn = xcalloc(src->n + src->nbaselines + 1, 1);
	for (size_t i = 0; i < src->n; i++)
		if (src->v[i].version && source_version_cmp(src->v[i].version, since) <= 0)
			(*learn)[i] = 1;
	for (size_t i = 0; i < src->nbaselines; i++)
		if (source_version_cmp(src->baselines[i].version, since) <= 0)
			(*learn)[src->n + i] = 1;
	return 0;
}

int srclint_run_opts(const struct src_set *src, const unsigned char *learn_only,
		     const struct srclint_opts *o, struct lint_report *out, struct zerr *e)
{
	struct lint_ctx *ctx = lint_ctx_new();
	const struct src_migration *b = o ? o->baseline : NULL;
	unsigned char *since_learn = NULL;
	int rc = -1;

	if (srclint_check_conf(src, e) < 0)
		goto cleanup;
	if (!learn_only) {
		if (srclint_since(src, NULL, &since_learn, e) < 0)
			goto cleanup;
		learn_only = since_learn;
	}
	for (size_t i = 0; i < src->n; i++) {
		const struct src_migration *m = &src->v[i];
		/* a B file stands for the versions at or below its own */
		int below = b && m->kind == SRC_VERSIONED &&
			    source_version_cmp(m->version, b->version) <= 0;
		if (b && !below) {
			if (srclint_one(ctx, &src->conf, b, 0, o, out, e) < 0)
				goto cleanup;
			b = NULL;
		}
		if (below)
			continue;
		if (srclint_one(ctx, &src->conf, m, learn_only ? learn_only[i] : 0, o, out, e) < 0)
			goto cleanup;
	}
	if (b && srclint_one(ctx, &src->conf, b, 0, o, out, e) < 0)
		goto cleanup;
	/* the static lint (no run options): every B file is what a fresh
	 * database runs in place of the versions at or below it, so each is
	 * linted too, on its own (a context of its own, as on that database) */
	for (size_t i = 0; !o && i < src->nbaselines; i++) {
		struct lint_ctx *bctx = lint_ctx_new();
		int brc = srclint_one(bctx, &src->conf, &src->baselines[i],
				      learn_only ? learn_only[src->n + i] : 0, NULL, out, e);
		lint_ctx_free(bctx);
		if (brc < 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	free(since_learn);
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
