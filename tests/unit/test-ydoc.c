/* Tests of the YAML tree loader: positions, byte ranges, refusals. */
#include <stdlib.h>

#include "unit.h"
#include "ydoc.h"

struct ydoc_bad {
	const char *src;
	const char *error;
};

static const struct ydoc_bad bad_cases[] = {
	{ "a: &x 1\nb: *x\n", "t.yaml:2:4: YAML aliases (*name) are not allowed" },
	{ "a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key \"a\" (first at line 1)" },
	{ "a: [1, 2\n", "t.yaml:2:1: invalid YAML" },
	{ "a: b: c\n", "t.yaml:1:5: invalid YAML" },
	{ "\t- x\n", "t.yaml:1:1: invalid YAML" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(bad_cases); i++) {
		struct ystream s;
		struct zerr e = { 0 };
		int rc = ydoc_load_buf(bad_cases[i].src, strlen(bad_cases[i].src), "t.yaml", &s,
				       &e);
		CHECK(rc < 0, "case %zu: expected an error", i);
		CHECK(strncmp(e.msg, bad_cases[i].error, strlen(bad_cases[i].error)) == 0,
		      "case %zu: error \"%s\", want prefix \"%s\"", i, e.msg, bad_cases[i].error);
		if (rc == 0)
			ystream_release(&s);
	}
}

static void test_tree(void)
{
	const char *src = "# c\n---\nkind: Job\nmeta:\n  name: \"x\"\n  n: null\nlist: [a, b]\n"
			  "---\nkind: Service\n...\n---\n";
	struct ystream s;
	struct zerr e = { 0 };
	struct ynode *meta, *name, *list;

	CHECK(ydoc_load_buf(src, strlen(src), "t.yaml", &s, &e) == 0, "load: %s", e.msg);
	CHECK(s.n == 3, "%zu documents, want 3", s.n);
	if (s.n != 3)
		return;
	meta = ynode_get(s.docs[0].root, "meta");
	name = ynode_get(meta, "name");
	list = ynode_get(s.docs[0].root, "list");
	CHECK(name && !strcmp(name->value, "x") && !name->plain, "quoted name");
	CHECK(name && name->line == 5 && name->col == 9, "name at %d:%d", name->line, name->col);
	CHECK(ynode_is_null(ynode_get(meta, "n")), "null value");
	CHECK(list && list->type == Y_SEQ && list->n == 2, "flow list");
	CHECK(!strcmp(ynode_get(s.docs[1].root, "kind")->value, "Service"), "second document");
	CHECK(s.docs[2].root == NULL || ynode_is_null(s.docs[2].root), "empty third document");
	CHECK(strncmp(src + s.docs[1].start, "---\nkind: Service", 17) == 0,
	      "document start offset");
	CHECK(ynode_bool(ynode_get(s.docs[0].root, "kind")) == -1, "not a bool");
	ystream_release(&s);
}

static void test_utf8_offsets(void)
{
	/* libyaml counts characters; ranges must be bytes */
	const char *src = "a: \"é☕\"\n---\nb: ☕☕☕\nc: [x]\n";
	struct ystream s;
	struct zerr e = { 0 };
	struct ynode *b, *c;

	CHECK(ydoc_load_buf(src, strlen(src), "t.yaml", &s, &e) == 0, "load: %s", e.msg);
	if (s.n != 2)
		return;
	CHECK(strncmp(src + s.docs[1].start, "---\nb:", 6) == 0, "second document at byte %zu",
	      s.docs[1].start);
	b = ynode_get(s.docs[1].root, "b");
	c = ynode_get(s.docs[1].root, "c");
	CHECK(b && b->end - b->start == strlen("☕☕☕") &&
		      strncmp(src + b->start, "☕☕☕", b->end - b->start) == 0,
	      "scalar byte range [%zu, %zu)", b ? b->start : 0, b ? b->end : 0);
	CHECK(c && strncmp(src + c->start, "[x]", 3) == 0 && c->end - c->start == 3,
	      "flow sequence byte range");
	CHECK(b && b->line == 3 && b->col == 4, "b at %d:%d", b ? b->line : 0, b ? b->col : 0);
	ystream_release(&s);
	/* with a byte order mark, which libyaml skips before counting */
	src = "\xEF\xBB\xBFk: \"é\"\nz: 1\n";
	CHECK(ydoc_load_buf(src, strlen(src), "t.yaml", &s, &e) == 0, "load: %s", e.msg);
	c = ynode_get(s.docs[0].root, "z");
	CHECK(c && strncmp(src + c->start, "1", 1) == 0, "after a BOM: byte %zu", c ? c->start : 0);
	ystream_release(&s);
}

/* Helm mode: what Helm's YAML reader makes of values files. */
static void test_helm(void)
{
	const char *src = "base: &b\n  image: {tag: \"1\", pullPolicy: Always}\n  n: 1\n"
			  "a: 1\nx:\n  y: 1\n  y: 2\na: 3\n"
			  "copy: *b\n"
			  "m:\n  <<: *b\n  n: 2\n"
			  "l:\n  - {p: 1}\n  - <<: [{q: 1, r: 1}, {q: 2, s: 2}]\n    r: 9\n";
	struct ystream s;
	struct zerr e = { 0 };
	const struct ynode *r, *m, *l1;

	CHECK(ydoc_load_buf_mode(src, strlen(src), "v.yaml", YDOC_HELM, &s, &e) == 0, "load: %s",
	      e.msg);
	if (!s.n)
		return;
	r = s.docs[0].root;
	CHECK(!strcmp(ynode_get(r, "a")->value, "3"), "last duplicate wins");
	CHECK(!strcmp(ynode_get(ynode_get(r, "x"), "y")->value, "2"), "nested duplicate");
	CHECK(s.ndups == 2, "%zu duplicates recorded, want 2", s.ndups);
	if (s.ndups == 2) {
		CHECK(!strcmp(s.dups[0].path, "x.y") && s.dups[0].line == 7 &&
			      s.dups[0].first_line == 6,
		      "dup 0: %s at %d (first %d)", s.dups[0].path, s.dups[0].line,
		      s.dups[0].first_line);
		CHECK(!strcmp(s.dups[1].path, "a") && s.dups[1].line == 8 &&
			      s.dups[1].first_line == 4,
		      "dup 1: %s at %d (first %d)", s.dups[1].path, s.dups[1].line,
		      s.dups[1].first_line);
	}
	CHECK(!strcmp(ynode_get(ynode_get(ynode_get(r, "copy"), "image"), "tag")->value, "1"),
	      "alias expanded");
	CHECK(ynode_get(r, "copy")->line == 9, "alias copy at the alias's line");
	m = ynode_get(r, "m");
	CHECK(m && m->n == 4 && !ynode_get(m, "<<"), "merge key resolved (%zu items)",
	      m ? m->n : 0);
	CHECK(!strcmp(ynode_get(m, "n")->value, "2"), "the mapping's own key beats the merge");
	CHECK(!strcmp(ynode_get(ynode_get(m, "image"), "pullPolicy")->value, "Always"),
	      "merged nested mapping");
	l1 = ynode_get(r, "l")->items[1];
	CHECK(!strcmp(ynode_get(l1, "q")->value, "1") && !strcmp(ynode_get(l1, "r")->value, "9") &&
		      !strcmp(ynode_get(l1, "s")->value, "2"),
	      "merge of a list: earlier mapping first, own keys win");
	ystream_release(&s);
}

static const struct ydoc_bad helm_bad[] = {
	{ "a: *nope\n", "t.yaml:1:4: alias *nope names no anchor (&nope) before it" },
	{ "a: &x 1\nb:\n  <<: *x\n", "t.yaml:3:7: a merge key (<<) takes a mapping" },
	{ "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, "
	  "*c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
	  "t.yaml:5:36: YAML aliases expand to more than 100000 nodes" },
};

static void test_helm_bad(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(helm_bad); i++) {
		struct ystream s;
		struct zerr e = { 0 };
		int rc = ydoc_load_buf_mode(helm_bad[i].src, strlen(helm_bad[i].src), "t.yaml",
					    YDOC_HELM, &s, &e);
		CHECK(rc < 0, "helm case %zu: expected an error", i);
		CHECK(strncmp(e.msg, helm_bad[i].error, strlen(helm_bad[i].error)) == 0,
		      "helm case %zu: error \"%s\", want prefix \"%s\"", i, e.msg,
		      helm_bad[i].error);
		if (rc == 0)
			ystream_release(&s);
	}
}

int main(void)
{
	test_helm();
	test_helm_bad();
	test_utf8_offsets();
	test_bad();
	test_tree();
	return unit_done("ydoc");
}
