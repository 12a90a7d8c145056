/*
 * fuzz-yaml — libFuzzer harness for the YAML reader and editor
 * (hook/lib/ydoc.c, plugin/yedit.c).
 *
 * The input is a YAML stream. Every document loaded is walked (the
 * lookups and predicates render and the assertions loader use), written
 * back with yedit_emit, and the emitted text loaded again: it must load,
 * as one document with the same shape and the same scalar bytes, since
 * render re-emits documents it changes and Kubernetes reads them back.
 * Then the tree is edited the way render edits manifests (a mapping
 * created under a key, a value set, a key deleted, an item appended and
 * removed) and the round trip is checked again, the edits included.
 * Nodes keep byte ranges into the source: each must lie inside it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yedit.h"
#include "ydoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_yaml_check(int ok)
{
	if (!ok)
		abort();
}

/* Walk n: ranges inside the source, lookups on every mapping. */
static void fuzz_yaml_walk(const struct ynode *n, size_t len, int depth)
{
	fuzz_yaml_check(depth <= 64 && n->start <= n->end && n->end <= len);
	fuzz_yaml_check(n->line >= 1 && n->col >= 1);
	(void)ynode_is_null(n);
	(void)ynode_bool(n);
	(void)ynode_type_name(n);
	if (n->type == Y_SCALAR) {
		fuzz_yaml_check(n->value && n->n == 0);
		return;
	}
	fuzz_yaml_check(n->type == Y_SEQ || n->n % 2 == 0);
	if (n->type == Y_MAP) {
		(void)ynode_get(n, "metadata");
		(void)yedit_is(ynode_get(n, "kind"), "Job");
	}
	for (size_t i = 0; i < n->n; i++)
		fuzz_yaml_walk(n->items[i], len, depth + 1);
}

/* Would a plain scalar with this text be something else than a string
 * (null, a boolean, a number)? */
static int fuzz_yaml_typed(const struct ynode *n)
{
	char *end;

	if (ynode_is_null(n) || ynode_bool(n) >= 0)
		return 1;
	if (!n->len || strlen(n->value) != n->len)
		return 0;
	(void)strtod(n->value, &end);
	return *end == '\0';
}

/* Same shape, same tags, same scalar bytes; a plain scalar that is not a
 * string (5, true, null) still plain. */
static int fuzz_yaml_same(const struct ynode *a, const struct ynode *b)
{
	if (a->type != b->type || a->n != b->n)
		return 0;
	if ((a->tag == NULL) != (b->tag == NULL) || (a->tag && strcmp(a->tag, b->tag)))
		return 0;
	if (a->type == Y_SCALAR && !a->tag && ynode_is_null(a) && ynode_is_null(b))
		return 1; /* null, ~ and an empty plain scalar are one value */
	if (a->type == Y_SCALAR)
		return a->len == b->len && !memcmp(a->value, b->value, a->len) &&
		       (a->tag || a->plain == b->plain || !fuzz_yaml_typed(a));
	for (size_t i = 0; i < a->n; i++)
		if (!fuzz_yaml_same(a->items[i], b->items[i]))
			return 0;
	return 1;
}

/* Stop with what was emitted, for the report. */
static void fuzz_yaml_fail(const char *why, const struct sb *out)
{
	fprintf(stderr, "fuzz-yaml: %s; emitted:\n%.*s\n", why, (int)out->len,
		out->buf ? out->buf : "");
	abort();
}

/* Emit root and load it back: one document, the same tree. */
static void fuzz_yaml_round_trip(const struct ynode *root)
{
	struct sb out;
	struct ystream again;
	struct zerr e = { 0 };

	sb_init(&out);
	if (yedit_emit(root, &out, &e) < 0) {
		/* libyaml's emitter refuses what it cannot write (e.g. a tag
		 * it cannot spell): an error, never a crash */
		fuzz_yaml_check(e.code != 0);
		sb_release(&out);
		return;
	}
	if (ydoc_load_buf(out.buf, out.len, "emitted", &again, &e) < 0)
		fuzz_yaml_fail(e.msg, &out); /* render would write YAML that does not load */
	if (again.n != 1 || !again.docs[0].root)
		fuzz_yaml_fail("not one document", &out);
	if (!fuzz_yaml_same(root, again.docs[0].root))
		fuzz_yaml_fail("not the same tree", &out);
	ystream_release(&again);
	sb_release(&out);
}

/* Edit a mapping the way render does. */
static void fuzz_yaml_edit(struct ynode *m)
{
	struct ynode *ann, *seq;

	ann = yedit_map_at(m, "annotations");
	if (ann) {
		yedit_set(ann, "argocd.argoproj.io/sync-wave", yedit_scalar("-5", 0));
		yedit_set(ann, "argocd.argoproj.io/sync-wave", yedit_scalar("-6", 0));
		(void)yedit_del(ann, "helm.sh/hook");
		fuzz_yaml_check(yedit_is(ynode_get(ann, "argocd.argoproj.io/sync-wave"), "-6"));
	}
	(void)yedit_del(m, "ttlSecondsAfterFinished");
	seq = ynode_get(m, "env");
	if (seq && seq->type == Y_SEQ) {
		struct ynode *it = yedit_map();
		yedit_set(it, "name", yedit_scalar("ZDM_RELEASE", 1));
		yedit_append(seq, it);
		yedit_remove(seq, 0);
		yedit_remove(seq, seq->n + 5);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ystream ys;
	struct zerr e = { 0 };

	if (ydoc_load_buf((const char *)data, size, "fuzz.yaml", &ys, &e) < 0) {
		fuzz_yaml_check(e.code != 0 && e.msg[0]);
		return 0;
	}
	for (size_t i = 0; i < ys.n; i++) {
		struct ynode *root = ys.docs[i].root;

		fuzz_yaml_check(ys.docs[i].start <= ys.len);
		if (!root)
			continue;
		fuzz_yaml_walk(root, ys.len, 0);
		/* a null document writes as nothing (render never emits one) */
		if (ynode_is_null(root))
			continue;
		fuzz_yaml_round_trip(root);
		if (root->type == Y_MAP) {
			fuzz_yaml_edit(root);
			fuzz_yaml_round_trip(root);
		}
	}
	ystream_release(&ys);
	return 0;
}
