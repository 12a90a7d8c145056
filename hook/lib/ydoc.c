/*
 * ydoc — build node trees from libyaml's event stream.
 *
 * One loop pulls events and one helper (ydoc_free_event) frees them; a
 * stack of open collections receives each finished node. libyaml gives
 * byte offsets in its marks (mark.index), which become the nodes' ranges.
 */
#include "ydoc.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YDOC_MAX_DEPTH 64

/* libyaml's mark.index counts characters, not bytes: turn it into a byte
 * offset by walking the UTF-8 source forward (events come in document
 * order, so each walk starts where the previous one stopped). */
struct ydoc_pos {
	const unsigned char *src;
	size_t len;
	size_t first; /* byte of character 0: libyaml skips a UTF-8 BOM */
	size_t chars; /* characters before byte */
	size_t byte;
};

static size_t ydoc_byte(struct ydoc_pos *p, size_t chars)
{
	if (chars < p->chars || p->byte < p->first) {
		p->chars = 0;
		p->byte = p->first;
	}
	while (p->chars < chars && p->byte < p->len) {
		p->byte++;
		while (p->byte < p->len && (p->src[p->byte] & 0xC0) == 0x80)
			p->byte++;
		p->chars++;
	}
	return p->byte;
}
#define YDOC_MAX_FILE (16u * 1024 * 1024)

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n->tag);
	free(n);
}

void ynode_push(struct ynode *parent, struct ynode *child)
{
	parent->items = xrealloc(parent->items, (parent->n + 1) * sizeof(*parent->items));
	parent->items[parent->n++] = child;
}

static struct ynode *ynode_new(enum ynode_type type, const yaml_mark_t *m, const yaml_char_t *tag,
			       struct ydoc_pos *pos)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->start = ydoc_byte(pos, m->index);
	if (tag)
		n->tag = xstrdup((const char *)tag);
	return n;
}

static int ydoc_fail(struct zerr *e, const char *name, int line, int col, const char *what)
{
	return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d:%d: %s", name, line, col, what);
}

/* Attach a finished node to the collection on top of the stack (or make
 * it the document root); check duplicate keys in mappings. */
static int ydoc_attach(struct ynode **stack, int depth, struct ydoc *doc, struct ynode *n,
		       const char *name, struct zerr *e)
{
	struct ynode *top;

	if (depth == 0) {
		doc->root = n;
		return 0;
	}
	top = stack[depth - 1];
	if (top->type == Y_MAP && top->n % 2 == 0 && n->type == Y_SCALAR) {
		for (size_t i = 0; i < top->n; i += 2) {
			const struct ynode *k = top->items[i];
			/* null, Null, NULL, ~ and nothing are one key: null */
			if (k->type == Y_SCALAR && (strcmp(k->value, n->value) == 0 ||
						    (ynode_is_null(k) && ynode_is_null(n)))) {
				char msg[512];
				int line = n->line, col = n->col;
				snprintf(msg, sizeof(msg),
					 "duplicate key \"%s\" (first at line %d)",
					 n->len || !n->plain ? n->value : "null", k->line);
				ynode_free(n);
				return ydoc_fail(e, name, line, col, msg);
			}
		}
	}
	ynode_push(top, n);
	return 0;
}

int ydoc_load_buf(const char *buf, size_t len, const char *name, struct ystream *out,
		  struct zerr *e)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ynode *stack[YDOC_MAX_DEPTH];
	int depth = 0, done = 0, rc = -1;
	struct ydoc *doc = NULL;
	size_t cap = 0;
	struct ydoc_pos pos = { (const unsigned char *)buf, len,
				len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0, 0, 0 };

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name);
	out->src = xstrndup(buf, len);
	out->len = len;
	if (!yaml_parser_initialize(&parser)) {
		zerr_set(e, ZDM_EXIT_FAILED, "%s: cannot initialise the YAML parser", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)out->src, len);
	while (!done) {
		struct ynode *n;

		if (!yaml_parser_parse(&parser, &ev)) {
			char msg[512];
			snprintf(msg, sizeof(msg), "invalid YAML: %s%s%s",
				 parser.problem ? parser.problem : "syntax error",
				 parser.context ? " " : "", parser.context ? parser.context : "");
			ydoc_fail(e, name, (int)parser.problem_mark.line + 1,
				  (int)parser.problem_mark.column + 1, msg);
			goto cleanup;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (out->n == cap) {
				cap = cap ? cap * 2 : 4;
				out->docs = xrealloc(out->docs, cap * sizeof(*out->docs));
			}
			doc = &out->docs[out->n++];
			memset(doc, 0, sizeof(*doc));
			doc->start = ydoc_byte(&pos, ev.start_mark.index);
			doc->line = (int)ev.start_mark.line + 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (doc)
				doc->end = ydoc_byte(&pos, ev.end_mark.index);
			break;
		case YAML_ALIAS_EVENT:
			ydoc_fail(e, name, (int)ev.start_mark.line + 1,
				  (int)ev.start_mark.column + 1,
				  "YAML aliases (*name) are not allowed");
			zerr_hint(e, "write the value out in full");
			yaml_event_delete(&ev);
			goto cleanup;
		case YAML_SCALAR_EVENT:
			n = ynode_new(Y_SCALAR, &ev.start_mark, ev.data.scalar.tag, &pos);
			n->value = xstrndup((const char *)ev.data.scalar.value,
					    ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->end = ydoc_byte(&pos, ev.end_mark.index);
			if (ydoc_attach(stack, depth, doc, n, name, e) < 0) {
				yaml_event_delete(&ev);
				goto cleanup;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == YDOC_MAX_DEPTH) {
				ydoc_fail(e, name, (int)ev.start_mark.line + 1,
					  (int)ev.start_mark.column + 1, "YAML nested too deeply");
				yaml_event_delete(&ev);
				goto cleanup;
			}
			stack[depth++] = ynode_new(ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ
											: Y_MAP,
						   &ev.start_mark,
						   ev.type == YAML_SEQUENCE_START_EVENT
							   ? ev.data.sequence_start.tag
							   : ev.data.mapping_start.tag,
						   &pos);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			n = stack[--depth];
			n->end = ydoc_byte(&pos, ev.end_mark.index);
			if (ydoc_attach(stack, depth, doc, n, name, e) < 0) {
				yaml_event_delete(&ev);
				goto cleanup;
			}
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
cleanup:
	while (depth > 0)
		ynode_free(stack[--depth]);
	yaml_parser_delete(&parser);
	if (rc < 0)
		ystream_release(out);
	return rc;
}

int ydoc_load_file(const char *path, struct ystream *out, struct zerr *e)
{
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (util_read_file(path, YDOC_MAX_FILE, &buf, &len, e) < 0)
		return -1;
	rc = ydoc_load_buf(buf, len, path, out, e);
	free(buf);
	return rc;
}

void ystream_release(struct ystream *s)
{
	for (size_t i = 0; i < s->n; i++)
		ynode_free(s->docs[i].root);
	free(s->docs);
	free(s->name);
	free(s->src);
	memset(s, 0, sizeof(*s));
}

struct ynode *ynode_get(const struct ynode *m, const char *key)
{
	if (!m || m->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (m->items[i]->type == Y_SCALAR && strcmp(m->items[i]->value, key) == 0)
			return m->items[i + 1];
	return NULL;
}

int ynode_is_null(const struct ynode *n)
{
	return !n || (n->type == Y_SCALAR && n->plain &&
		      (n->len == 0 || !strcmp(n->value, "null") || !strcmp(n->value, "~") ||
		       !strcmp(n->value, "Null") || !strcmp(n->value, "NULL")));
}

int ynode_bool(const struct ynode *n)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };

	if (!n || n->type != Y_SCALAR || !n->plain)
		return -1;
	for (size_t i = 0; i < ZDM_ARRAY_LEN(yes); i++)
		if (!strcmp(n->value, yes[i]))
			return 1;
	for (size_t i = 0; i < ZDM_ARRAY_LEN(no); i++)
		if (!strcmp(n->value, no[i]))
			return 0;
	return -1;
}

const char *ynode_type_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	return n->type == Y_MAP ? "a mapping" : n->type == Y_SEQ ? "a list" : "a scalar";
}
