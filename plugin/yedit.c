/*
 * yedit — tree edits and the emitter (see yedit.h).
 *
 * The emitter walks the tree and feeds libyaml one event per node into a
 * buffer; every libyaml call's result is checked. Line width is
 * unlimited so long strings are never folded, and UTF-8 is written as is.
 */
#include "yedit.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ynode *yedit_scalar(const char *value, int plain)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = Y_SCALAR;
	n->value = xstrdup(value);
	n->len = strlen(value);
	n->plain = plain;
	return n;
}

struct ynode *yedit_map(void)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = Y_MAP;
	return n;
}

struct ynode *yedit_seq(void)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = Y_SEQ;
	return n;
}

/* Index of key's value in m, or 0 when absent (a value is never item 0). */
static size_t yedit_find(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (m->items[i]->type == Y_SCALAR && !strcmp(m->items[i]->value, key))
			return i + 1;
	return 0;
}

void yedit_set(struct ynode *m, const char *key, struct ynode *val)
{
	size_t i = yedit_find(m, key);

	if (i) {
		ynode_free(m->items[i]);
		m->items[i] = val;
		return;
	}
	ynode_push(m, yedit_scalar(key, 1));
	ynode_push(m, val);
}

int yedit_del(struct ynode *m, const char *key)
{
	size_t i = yedit_find(m, key);

	if (!i)
		return 0;
	ynode_free(m->items[i - 1]);
	ynode_free(m->items[i]);
	memmove(&m->items[i - 1], &m->items[i + 1], (m->n - i - 1) * sizeof(*m->items));
	m->n -= 2;
	return 1;
}

struct ynode *yedit_map_at(struct ynode *m, const char *key)
{
	size_t i = yedit_find(m, key);

	if (i && m->items[i]->type == Y_MAP)
		return m->items[i];
	if (i && !ynode_is_null(m->items[i]))
		return NULL;
	yedit_set(m, key, yedit_map());
	return m->items[yedit_find(m, key)];
}

void yedit_append(struct ynode *s, struct ynode *item)
{
	ynode_push(s, item);
}

void yedit_remove(struct ynode *s, size_t i)
{
	if (i >= s->n)
		return;
	ynode_free(s->items[i]);
	memmove(&s->items[i], &s->items[i + 1], (s->n - i - 1) * sizeof(*s->items));
	s->n--;
}

int yedit_is(const struct ynode *n, const char *value)
{
	return n && n->type == Y_SCALAR && !strcmp(n->value, value);
}

static int yedit_write(void *data, unsigned char *buf, size_t size)
{
	sb_add(data, (const char *)buf, size);
	return 1;
}

static int yedit_fail(yaml_emitter_t *em, struct zerr *e)
{
	return zerr_set(e, ZDM_EXIT_FAILED, "cannot write YAML: %s",
			em->problem ? em->problem : "the emitter refused an event");
}

/* Emit n; key: it is a mapping key. An empty plain key (null) is
 * written "~": libyaml writes an empty key quoted, the empty string. */
static int yedit_node(yaml_emitter_t *em, const struct ynode *n, int key, struct zerr *e)
{
	yaml_event_t ev;
	yaml_char_t *tag = (yaml_char_t *)n->tag;
	int ok;

	switch (n->type) {
	case Y_SCALAR: {
		yaml_scalar_style_t style = n->plain ? YAML_PLAIN_SCALAR_STYLE
						     : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		int null_key = key && n->plain && !n->len && !tag;
		ok = yaml_scalar_event_initialize(&ev, NULL, tag,
						  (yaml_char_t *)(null_key ? "~" : n->value),
						  null_key ? 1 : (int)n->len, !tag && n->plain,
						  !tag, style);
		break;
	}
	case Y_SEQ:
		ok = yaml_sequence_start_event_initialize(&ev, NULL, tag, !tag,
							  YAML_ANY_SEQUENCE_STYLE);
		break;
	default:
		ok = yaml_mapping_start_event_initialize(&ev, NULL, tag, !tag,
							 YAML_ANY_MAPPING_STYLE);
		break;
	}
	if (!ok || !yaml_emitter_emit(em, &ev))
		return yedit_fail(em, e);
	if (n->type == Y_SCALAR)
		return 0;
	for (size_t i = 0; i < n->n; i++)
		if (yedit_node(em, n->items[i], n->type == Y_MAP && i % 2 == 0, e) < 0)
			return -1;
	ok = n->type == Y_SEQ ? yaml_sequence_end_event_initialize(&ev)
			      : yaml_mapping_end_event_initialize(&ev);
	if (!ok || !yaml_emitter_emit(em, &ev))
		return yedit_fail(em, e);
	return 0;
}

int yedit_emit(const struct ynode *root, struct sb *out, struct zerr *e)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = -1;

	if (!yaml_emitter_initialize(&em))
		return zerr_set(e, ZDM_EXIT_FAILED, "cannot initialise the YAML emitter");
	yaml_emitter_set_output(&em, yedit_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&em, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em, &ev)) {
		yedit_fail(&em, e);
		goto cleanup;
	}
	if (yedit_node(&em, root, 0, e) < 0)
		goto cleanup;
	if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev) ||
	    !yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev) ||
	    !yaml_emitter_flush(&em)) {
		yedit_fail(&em, e);
		goto cleanup;
	}
	rc = 0;
cleanup:
	yaml_emitter_delete(&em);
	return rc;
}
