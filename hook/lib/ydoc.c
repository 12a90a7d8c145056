/*
 * ydoc — build node trees from libyaml's event stream.
 *
 * One loop pulls events and one helper (ydoc_free_event) frees them; a
 * stack of open collections receives each finished node. libyaml gives
 * byte offsets in its marks (mark.index), which become the nodes' ranges.
 *
 * YDOC_HELM adds three things to the same loop: a table of anchors (each
 * a copy of its node, so a later duplicate key that frees the original
 * cannot leave it dangling), alias events turned into copies counted
 * against a budget, and, when a mapping ends, its merge keys resolved by
 * moving the merged pairs in.
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

struct ydoc_anchor {
	char *name;
	struct ynode *node; /* a copy, owned here */
};

/* The loader's state: the stack of open collections and, in YDOC_HELM
 * mode, the anchors and what is left of the copy budget. */
struct ydoc_load {
	enum ydoc_mode mode;
	const char *name;
	struct ynode *stack[YDOC_MAX_DEPTH];
	char *anchor[YDOC_MAX_DEPTH]; /* anchor of each open collection */
	int depth;
	struct ydoc_anchor *anchors;
	size_t nanchors;
	size_t budget;
	struct ystream *out;
};

/* Two keys that are the same key (null, Null, NULL, ~ and nothing are
 * one key: null). */
static int ydoc_same_key(const struct ynode *a, const struct ynode *b)
{
	return a && b && a->type == Y_SCALAR && b->type == Y_SCALAR &&
	       (strcmp(a->value, b->value) == 0 || (ynode_is_null(a) && ynode_is_null(b)));
}

static const char *ydoc_key_text(const struct ynode *k)
{
	return k->type != Y_SCALAR ? "?" : k->len || !k->plain ? k->value : "null";
}

/* A copy of n (positions included); counts against *budget, NULL when
 * it runs out. */
static struct ynode *ydoc_copy(const struct ynode *n, size_t *budget)
{
	struct ynode *c;

	if (*budget == 0)
		return NULL;
	(*budget)--;
	c = xcalloc(1, sizeof(*c));
	*c = *n;
	c->value = n->value ? xstrndup(n->value, n->len) : NULL;
	c->tag = n->tag ? xstrdup(n->tag) : NULL;
	c->items = n->n ? xcalloc(n->n, sizeof(*c->items)) : NULL;
	c->n = 0;
	for (size_t i = 0; i < n->n; i++) {
		struct ynode *k = n->items[i] ? ydoc_copy(n->items[i], budget) : NULL;
		if (n->items[i] && !k) {
			ynode_free(c);
			return NULL;
		}
		c->items[c->n++] = k;
	}
	return c;
}

/* The dotted path of key in the collection on top of the stack. */
static char *ydoc_path(const struct ydoc_load *L, const struct ynode *key)
{
	struct sb s;

	sb_init(&s);
	sb_adds(&s, "");
	for (int i = 0; i < L->depth; i++) {
		const struct ynode *c = L->stack[i];
		if (i == L->depth - 1)
			sb_addf(&s, "%s%s", s.len ? "." : "", ydoc_key_text(key));
		else if (c->type == Y_MAP && c->n)
			sb_addf(&s, "%s%s", s.len ? "." : "", ydoc_key_text(c->items[c->n - 1]));
		else if (c->type == Y_SEQ)
			sb_addf(&s, "[%zu]", c->n);
	}
	return sb_steal(&s);
}

/* Attach a finished node to the collection on top of the stack (or make
 * it the document root); a duplicate mapping key is an error (strict) or
 * replaces the earlier pair and is recorded (Helm). */
static int ydoc_attach(struct ydoc_load *L, struct ydoc *doc, struct ynode *n, struct zerr *e)
{
	struct ynode *top;

	if (L->depth == 0) {
		doc->root = n;
		return 0;
	}
	top = L->stack[L->depth - 1];
	if (top->type == Y_MAP && top->n % 2 == 0 && n->type == Y_SCALAR) {
		for (size_t i = 0; i < top->n; i += 2) {
			struct ynode *k = top->items[i];
			struct ydup *d;

			if (!ydoc_same_key(k, n))
				continue;
			if (L->mode == YDOC_STRICT) {
				char msg[512];
				int line = n->line, col = n->col;
				snprintf(msg, sizeof(msg),
					 "duplicate key \"%s\" (first at line %d)",
					 ydoc_key_text(n), k->line);
				ynode_free(n);
				return ydoc_fail(e, L->name, line, col, msg);
			}
			L->out->dups = xrealloc(L->out->dups,
						(L->out->ndups + 1) * sizeof(*L->out->dups));
			d = &L->out->dups[L->out->ndups++];
			d->path = ydoc_path(L, n);
			d->line = n->line;
			d->col = n->col;
			d->first_line = k->line;
			ynode_free(top->items[i]);
			ynode_free(top->items[i + 1]);
			memmove(&top->items[i], &top->items[i + 2],
				(top->n - i - 2) * sizeof(*top->items));
			top->n -= 2;
			break;
		}
	}
	ynode_push(top, n);
	return 0;
}

/* Remember a copy of n under the anchor name (a later anchor of the same
 * name hides it). */
static void ydoc_anchor_add(struct ydoc_load *L, const char *name, const struct ynode *n)
{
	size_t unlimited = (size_t)-1;

	L->anchors = xrealloc(L->anchors, (L->nanchors + 1) * sizeof(*L->anchors));
	L->anchors[L->nanchors].name = xstrdup(name);
	L->anchors[L->nanchors].node = ydoc_copy(n, &unlimited);
	L->nanchors++;
}

/* The node for an alias: a copy of its anchor at the alias's position. */
static struct ynode *ydoc_alias(struct ydoc_load *L, const yaml_event_t *ev, struct ydoc_pos *pos,
				struct zerr *e)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	struct ynode *c;
	size_t i;

	for (i = L->nanchors; i-- > 0;)
		if (!strcmp(L->anchors[i].name, name))
			break;
	if (i == (size_t)-1) {
		char msg[512];
		snprintf(msg, sizeof(msg), "alias *%s names no anchor (&%s) before it", name, name);
		ydoc_fail(e, L->name, line, col, msg);
		return NULL;
	}
	c = ydoc_copy(L->anchors[i].node, &L->budget);
	if (!c) {
		char msg[512];
		snprintf(msg, sizeof(msg), "YAML aliases expand to more than %d nodes",
			 YDOC_MAX_EXPANDED);
		ydoc_fail(e, L->name, line, col, msg);
		zerr_hint(e, "write the values out instead of nesting aliases (a \"billion "
			     "laughs\" document)");
		return NULL;
	}
	c->line = line;
	c->col = col;
	c->start = ydoc_byte(pos, ev->start_mark.index);
	c->end = ydoc_byte(pos, ev->end_mark.index);
	return c;
}

static int ydoc_has_key(const struct ynode *m, const struct ynode *key)
{
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (!ynode_is_merge_key(m->items[i]) && ydoc_same_key(m->items[i], key))
			return 1;
	return 0;
}

/* Resolve the merge keys (<<) of a finished mapping: move in the pairs of
 * the merged mappings whose keys it does not have, then drop the <<
 * pairs. */
static int ydoc_merge(struct ydoc_load *L, struct ynode *m, struct zerr *e)
{
	size_t nmerge = 0, i, w;

	for (i = 0; i + 1 < m->n; i += 2) {
		struct ynode *v = m->items[i + 1];
		size_t nsrc = v->type == Y_SEQ ? v->n : 1;

		if (!ynode_is_merge_key(m->items[i]))
			continue;
		nmerge++;
		for (size_t s = 0; s < nsrc; s++) {
			struct ynode *src = v->type == Y_SEQ ? v->items[s] : v;
			if (!src || src->type != Y_MAP) {
				ydoc_fail(e, L->name, (src ? src : v)->line, (src ? src : v)->col,
					  "a merge key (<<) takes a mapping or a list of mappings");
				return -1;
			}
			for (size_t k = 0; k + 1 < src->n; k += 2) {
				if (!src->items[k] || ynode_is_merge_key(src->items[k]) ||
				    ydoc_has_key(m, src->items[k]))
					continue;
				ynode_push(m, src->items[k]);
				ynode_push(m, src->items[k + 1]);
				src->items[k] = src->items[k + 1] = NULL;
			}
		}
	}
	if (!nmerge)
		return 0;
	for (i = w = 0; i + 1 < m->n; i += 2) {
		if (ynode_is_merge_key(m->items[i])) {
			ynode_free(m->items[i]);
			ynode_free(m->items[i + 1]);
			continue;
		}
		m->items[w++] = m->items[i];
		m->items[w++] = m->items[i + 1];
	}
	m->n = w;
	return 0;
}

int ydoc_load_buf_mode(const char *buf, size_t len, const char *name, enum ydoc_mode mode,
		       struct ystream *out, struct zerr *e)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ydoc_load L;
	int done = 0, rc = -1;
	struct ydoc *doc = NULL;
	size_t cap = 0;
	struct ydoc_pos pos = { (const unsigned char *)buf, len,
				len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0, 0, 0 };

	memset(out, 0, sizeof(*out));
	memset(&L, 0, sizeof(L));
	L.mode = mode;
	L.name = name;
	L.budget = YDOC_MAX_EXPANDED;
	L.out = out;
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
		const yaml_char_t *anchor;

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
			if (mode == YDOC_STRICT) {
				ydoc_fail(e, name, (int)ev.start_mark.line + 1,
					  (int)ev.start_mark.column + 1,
					  "YAML aliases (*name) are not allowed");
				zerr_hint(e, "write the value out in full");
				yaml_event_delete(&ev);
				goto cleanup;
			}
			n = ydoc_alias(&L, &ev, &pos, e);
			if (!n || ydoc_attach(&L, doc, n, e) < 0) {
				yaml_event_delete(&ev);
				goto cleanup;
			}
			break;
		case YAML_SCALAR_EVENT:
			n = ynode_new(Y_SCALAR, &ev.start_mark, ev.data.scalar.tag, &pos);
			n->value = xstrndup((const char *)ev.data.scalar.value,
					    ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->end = ydoc_byte(&pos, ev.end_mark.index);
			if (mode == YDOC_HELM && ev.data.scalar.anchor)
				ydoc_anchor_add(&L, (const char *)ev.data.scalar.anchor, n);
			if (ydoc_attach(&L, doc, n, e) < 0) {
				yaml_event_delete(&ev);
				goto cleanup;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (L.depth == YDOC_MAX_DEPTH) {
				ydoc_fail(e, name, (int)ev.start_mark.line + 1,
					  (int)ev.start_mark.column + 1, "YAML nested too deeply");
				yaml_event_delete(&ev);
				goto cleanup;
			}
			anchor = ev.type == YAML_SEQUENCE_START_EVENT
					 ? ev.data.sequence_start.anchor
					 : ev.data.mapping_start.anchor;
			L.anchor[L.depth] = mode == YDOC_HELM && anchor
						    ? xstrdup((const char *)anchor)
						    : NULL;
			L.stack[L.depth++] = ynode_new(ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ
											    : Y_MAP,
						       &ev.start_mark,
						       ev.type == YAML_SEQUENCE_START_EVENT
							       ? ev.data.sequence_start.tag
							       : ev.data.mapping_start.tag,
						       &pos);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			n = L.stack[--L.depth];
			n->end = ydoc_byte(&pos, ev.end_mark.index);
			if (mode == YDOC_HELM && n->type == Y_MAP && ydoc_merge(&L, n, e) < 0) {
				L.depth++;
				yaml_event_delete(&ev);
				goto cleanup;
			}
			if (L.anchor[L.depth]) {
				ydoc_anchor_add(&L, L.anchor[L.depth], n);
				free(L.anchor[L.depth]);
				L.anchor[L.depth] = NULL;
			}
			if (ydoc_attach(&L, doc, n, e) < 0) {
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
	while (L.depth > 0) {
		L.depth--;
		ynode_free(L.stack[L.depth]);
		free(L.anchor[L.depth]);
	}
	for (size_t i = 0; i < L.nanchors; i++) {
		free(L.anchors[i].name);
		ynode_free(L.anchors[i].node);
	}
	free(L.anchors);
	yaml_parser_delete(&parser);
	if (rc < 0)
		ystream_release(out);
	return rc;
}

int ydoc_load_buf(const char *buf, size_t len, const char *name, struct ystream *out,
		  struct zerr *e)
{
	return ydoc_load_buf_mode(buf, len, name, YDOC_STRICT, out, e);
}

int ydoc_load_file_mode(const char *path, enum ydoc_mode mode, struct ystream *out, struct zerr *e)
{
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (util_read_file(path, YDOC_MAX_FILE, &buf, &len, e) < 0)
		return -1;
	rc = ydoc_load_buf_mode(buf, len, path, mode, out, e);
	free(buf);
	return rc;
}

int ydoc_load_file(const char *path, struct ystream *out, struct zerr *e)
{
	return ydoc_load_file_mode(path, YDOC_STRICT, out, e);
}

void ystream_release(struct ystream *s)
{
	for (size_t i = 0; i < s->n; i++)
		ynode_free(s->docs[i].root);
	for (size_t i = 0; i < s->ndups; i++)
		free(s->dups[i].path);
	free(s->dups);
	free(s->docs);
	free(s->name);
	free(s->src);
	memset(s, 0, sizeof(*s));
}

const struct ynode *ynode_dig(const struct ynode *m, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	const struct ynode *n = m;

	for (char *k = strtok_r(copy, ".", &save); k && n; k = strtok_r(NULL, ".", &save))
		n = ynode_get(n, k);
	free(copy);
	return n;
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

int ynode_is_merge_key(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && n->plain && !strcmp(n->value, "<<");
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
