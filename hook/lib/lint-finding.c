/*
 * lint-finding — what one file's run (struct lint_run) remembers and how a
 * finding is made: the objects this file creates, names quoted back as
 * SQL for messages and hints, statement snippets, and lint_add_at, which
 * appends a finding with its rule, class and position and decides whether
 * it refuses (a contract in a guarded contract file is allowed by phase).
 * The shared reports for unknown statements and for the CONCURRENTLY /
 * no-transaction family live here too.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint-int.h"

/* --------------------------------------------------------------- the run */

int lint_made(const struct lint_run *r, char kind, const char *name)
{
	for (size_t i = 0; i < r->nmade; i++)
		if (r->made[i][0] == kind && strcmp(r->made[i] + 2, name) == 0)
			return 1;
	return 0;
}

/* Remember an object of this file (see struct lint_run.made). */
void lint_remember(struct lint_run *r, char kind, const char *name)
{
	r->made = lint_grow(r->made, &r->capmade, r->nmade, sizeof(*r->made));
	r->made[r->nmade++] = xasprintf("%c:%s", kind, name);
}

/* Was this table created earlier in the file being linted, or (with
 * run_scope) by an earlier file of the same run? Either way it did not
 * exist before the run, so no application can be using it. */
int lint_here(const struct lint_run *r, const char *table)
{
	const struct lint_table *t = lint_table_find(r->ctx, table);
	return t && (t->created == r->file || (r->f->run_scope && t->in_run));
}

/* A normalised name written back as SQL for the examples in hints:
 * "schema.name" parts that are not plain lower-case identifiers get
 * double quotes. */
void lint_sqlname(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	const char *part = name;

	for (;;) {
		const char *dot = strchr(part, '.');
		size_t len = dot ? (size_t)(dot - part) : strlen(part);
		int plain = len > 0 && (islower((unsigned char)part[0]) || part[0] == '_');
		for (size_t i = 0; i < len && plain; i++)
			plain = islower((unsigned char)part[i]) ||
				isdigit((unsigned char)part[i]) || part[i] == '_' || part[i] == '$';
		if (!plain && n + 1 < cap)
			out[n++] = '"';
		for (size_t i = 0; i < len && n + 2 < cap; i++) {
			if (!plain && part[i] == '"')
				out[n++] = '"';
			out[n++] = part[i];
		}
		if (!plain && n + 1 < cap)
			out[n++] = '"';
		if (!dot || n + 1 >= cap)
			break;
		out[n++] = '.';
		part = dot + 1;
	}
	out[n] = '\0';
}

/* lint_sqlname into the next buffer of the ring: valid for the few calls
 * that build one message. */
const char *lint_q(struct lint_run *r, const char *name)
{
	char *out = r->qbuf[r->qnext++ % ZDM_ARRAY_LEN(r->qbuf)];

	lint_sqlname(name, out, sizeof(r->qbuf[0]));
	return out;
}

/* lint_q of a name made from a format, e.g. "<table>_<column>_fkey". */

const char *lint_qf(struct lint_run *r, const char *fmt, ...)
{
	char name[2 * LINT_NAME];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return lint_q(r, name);
}

/* Was this table created, or this view made, in the file being linted? */
int lint_here_rel(const struct lint_run *r, const char *name)
{
	return lint_here(r, name) || lint_made(r, 'v', name);
}

/* Copy source text from byte offset a to b with whitespace runs squeezed,
 * cut with "..." beyond max bytes. Caller frees. */
static char *lint_snippet(const struct lint_run *r, size_t a, size_t b, size_t max)
{
	struct sb s;
	int space = 0;

	sb_init(&s);
	if (b > r->f->len)
		b = r->f->len;
	for (size_t i = a; i < b; i++) {
		char ch = r->f->src[i];
		if (isspace((unsigned char)ch)) {
			space = 1;
			continue;
		}
		if (space && s.len > 0)
			sb_addc(&s, ' ');
		space = 0;
		if (s.len >= max) {
			sb_adds(&s, "...");
			break;
		}
		sb_addc(&s, ch);
	}
	return sb_steal(&s);
}

/* The statement's text from token k to its end, squeezed. */
char *lint_rest(const struct lint_run *r, size_t k)
{
	const struct sql_stmt *st = r->st;
	if (k >= st->ntoks)
		return xstrdup("");
	return lint_snippet(r, st->toks[k].off, st->off + st->len, 120);
}

/* The text of tokens [a, b), squeezed. */
char *lint_text(const struct lint_run *r, size_t a, size_t b)
{
	const struct sql_stmt *st = r->st;
	if (a >= b || a >= st->ntoks)
		return xstrdup("");
	return lint_snippet(r, st->toks[a].off, st->toks[b - 1].off + st->toks[b - 1].len, 80);
}

/* Append a finding; takes ownership of hint. */
void lint_add_at(struct lint_run *r, enum lint_rid id, size_t stmt, int line, int col, char *hint,
		 const char *fmt, ...)
{
	struct lint_report *out = r->out;
	struct lint_finding *f;
	struct sb msg;
	va_list ap;

	if (r->f->learn_only) {
		free(hint);
		return;
	}
	sb_init(&msg);
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	out->v = lint_grow(out->v, &out->cap, out->n, sizeof(*out->v));
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(r->f->path ? r->f->path : "");
	f->stmt = stmt;
	f->line = line;
	f->col = col > 0 ? col : 1;
	f->cls = lint_rules[id].cls;
	f->rule = lint_rules[id].id;
	f->message = sb_steal(&msg);
	f->hint = hint ? hint : xstrdup("");
	switch (f->cls) {
	case LINT_CONTRACT:
		if (r->f->guarded_contract) {
			f->allowed = LINT_ALLOWED_BY_PHASE;
			f->allow_reason = xstrdup(
				"guarded contract (phase=contract with requires-app)");
		} else {
			f->refusing = 1;
		}
		break;
	case LINT_BLOCKING:
	case LINT_TXMISUSE:
	case LINT_DIRECTIVE:
		f->refusing = 1;
		break;
	case LINT_EXPAND:
	case LINT_UNKNOWN:
		break;
	}
	if (f->refusing && r->f->empty_db && (f->cls == LINT_CONTRACT || f->cls == LINT_BLOCKING)) {
		f->refusing = 0;
		f->allowed = LINT_ALLOWED_BY_EMPTY_DB;
		f->allow_reason = xstrdup(
			"empty database: no application runs against it while it is built");
	}
}

const char lint_contract_hint[] = "do it in a guarded contract migration (\"-- zdm: phase=contract "
				  "requires-app=<first version that no longer uses it>\")";

/* Report a statement zdm does not recognise. */
void lint_unknown(struct lint_run *r, const struct sql_token *at, const char *what)
{
	char head[64];

	if (!what) {
		sql_stmt_head(r->st, 3, head, sizeof(head));
		what = head;
	}
	lint_add(r, R_UNKNOWN, at,
		 xstrdup("check it by hand; when it is safe, put -- zdm: allow=unknown-statement "
			 "reason=\"<why>\" on the line before it"),
		 "zdm does not recognise \"%s\" and cannot tell whether it is safe", what);
}

/* A statement that cannot run inside a transaction block. */
void lint_need_no_tx(struct lint_run *r, const struct sql_token *at, const char *what)
{
	if (r->f->transactional)
		lint_add(r, R_NEEDS_TX_OFF, at,
			 xasprintf("move it to its own file that starts with \"-- zdm: "
				   "transaction=off\", e.g. a file holding only \"%s ...;\"",
				   what),
			 "\"%s\" cannot run inside a transaction block, and zdm runs this "
			 "file in one",
			 what);
	else if (r->explicit_tx)
		lint_add(r, R_NEEDS_TX_OFF, at,
			 xstrdup("run it outside BEGIN ... COMMIT: a transaction=off file "
				 "runs each statement on its own"),
			 "\"%s\" cannot run inside the transaction opened at line %d", what,
			 r->explicit_tx);
}

/* Mark the statement as one of the CONCURRENTLY family. */
void lint_cic(struct lint_run *r, const struct sql_token *at, const char *what)
{
	r->kind = LINT_KIND_CIC;
	if (!r->cic_line) {
		r->cic_line = at->line;
		lint_fmt(r->cic_what, sizeof(r->cic_what), "%s", what);
	}
	lint_need_no_tx(r, at, what);
}
