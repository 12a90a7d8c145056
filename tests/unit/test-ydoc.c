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

int main(void)
{
	test_utf8_offsets();
	test_bad();
	test_tree();
	return unit_done("ydoc");
}
