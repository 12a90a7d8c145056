/*
 * ydoc — YAML documents as small trees, loaded with libyaml.
 *
 * Every node knows its line and column (1-based) and the byte range it
 * spans in the source, so callers can report file:line:col and copy a
 * document through byte for byte. Two modes:
 *
 *   YDOC_STRICT  zdm's own files and rendered manifests: aliases are
 *                refused (untrusted input: no billion laughs), and so are
 *                duplicate mapping keys (null, ~ and an empty key are one
 *                key, null)
 *   YDOC_HELM    a chart's values files, read as Helm reads them: a
 *                duplicate key replaces the earlier one (the last wins;
 *                each one is recorded in ystream.dups with its path and
 *                both lines), aliases are expanded (a copy of the anchored
 *                node: the copy's root takes the alias's position, its
 *                children keep the anchor's), within a budget of
 *                YDOC_MAX_EXPANDED copied nodes, and merge keys (<<: a
 *                mapping or a list of mappings) add the keys the mapping
 *                does not set itself, the earlier mapping of a list first
 *
 * Ownership: ystream_release frees the stream, every node and the
 * source copy it keeps.
 */
#ifndef ZDM_YDOC_H
#define ZDM_YDOC_H

#include <stddef.h>

#include "util.h"

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_type type;
	char *value; /* scalar text (NUL-terminated), else NULL */
	size_t len;
	int plain; /* an unquoted scalar (so "null" vs null differ) */
	char *tag; /* explicit tag, or NULL */
	int line, col; /* 1-based; col counts characters */
	size_t start, end; /* byte range in the source */
	struct ynode **items; /* seq: items; map: key, value, key, value ... */
	size_t n; /* number of items (map: 2 x pairs) */
};

struct ydoc {
	struct ynode *root; /* NULL for an empty document */
	size_t start, end; /* byte range of the document (incl. "---") */
	int line;
};

/* A duplicate key read in YDOC_HELM mode: the later value won. */
struct ydup {
	char *path; /* dotted path of the key, e.g. "image.tag" or "list[2].name" */
	int line, col; /* the duplicate (the value kept) */
	int first_line; /* the key it replaced */
};

struct ystream {
	char *name;
	char *src;
	size_t len;
	struct ydoc *docs;
	size_t n;
	struct ydup *dups; /* YDOC_HELM: duplicate keys, in document order */
	size_t ndups;
};

enum ydoc_mode { YDOC_STRICT = 0, YDOC_HELM };

/* Nodes YDOC_HELM may copy for aliases and merge keys in one stream. */
#define YDOC_MAX_EXPANDED 100000

/* Strict mode (ydoc_load_buf, ydoc_load_file) or the given one. */
int ydoc_load_buf(const char *buf, size_t len, const char *name, struct ystream *out,
		  struct zerr *e);
int ydoc_load_file(const char *path, struct ystream *out, struct zerr *e);
int ydoc_load_buf_mode(const char *buf, size_t len, const char *name, enum ydoc_mode mode,
		       struct ystream *out, struct zerr *e);
int ydoc_load_file_mode(const char *path, enum ydoc_mode mode, struct ystream *out, struct zerr *e);
void ystream_release(struct ystream *s);
/* Free a node and everything below it (NULL is fine). */
void ynode_free(struct ynode *n);
/* Append child to a sequence's or mapping's items (ownership passes). */
void ynode_push(struct ynode *parent, struct ynode *child);

/* Value of key in a mapping; NULL when absent or when m is not a map. */
struct ynode *ynode_get(const struct ynode *m, const char *key);
/* The node at a dotted path below m ("zdm.hooks.jobWeight"), or NULL. */
const struct ynode *ynode_dig(const struct ynode *m, const char *path);
/* A plain << key (a merge key in YDOC_HELM mode). */
int ynode_is_merge_key(const struct ynode *n);
/* A plain null / ~ / empty scalar. */
int ynode_is_null(const struct ynode *n);
/* Scalar as boolean (true/false/yes/no/on/off); -1 when not one. */
int ynode_bool(const struct ynode *n);
const char *ynode_type_name(const struct ynode *n);

#endif
