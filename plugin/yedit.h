/*
 * yedit — change a ydoc tree in place and write it back out as YAML.
 *
 * `helm zdm render` keeps every document it does not change byte for
 * byte (ydoc's byte ranges); a document it changes (an annotation added,
 * a hook annotation removed, an environment variable set) is edited as a
 * tree here and re-emitted with libyaml in block style. Scalars keep
 * what makes them the same value: a plain scalar stays plain (so 5, true
 * and null keep their type) unless libyaml cannot write it plain (one
 * with an empty line in it holds a line break): then it is quoted, the
 * same string, without a "!" tag; a quoted one is written double-quoted
 * (every byte of it escaped as needed, as zdm's templates write file
 * contents); explicit tags are kept. Comments inside a re-emitted
 * document are lost; the caller keeps the lines before it (the "---" and
 * "# Source:" comment).
 *
 * Ownership: nodes made here are allocated the way ydoc allocates its own
 * (so ystream_release frees them once they are linked into a document);
 * yedit_set and yedit_del free what they replace or remove; a node never
 * linked into a tree is freed with ynode_free (ydoc.h).
 */
#ifndef ZDM_YEDIT_H
#define ZDM_YEDIT_H

#include "util.h"
#include "ydoc.h"

/* New nodes: a scalar (plain: 1 for an unquoted one), an empty mapping,
 * an empty sequence. */
struct ynode *yedit_scalar(const char *value, int plain);
struct ynode *yedit_map(void);
struct ynode *yedit_seq(void);

/* Set key in mapping m to val (taking it): replaces the value in place
 * when the key exists, else appends the pair. */
void yedit_set(struct ynode *m, const char *key, struct ynode *val);
/* Remove key from m; returns 1 when it was there. */
int yedit_del(struct ynode *m, const char *key);
/* The mapping under key, created (appended) when missing; NULL when the
 * key holds something else than a mapping or null. */
struct ynode *yedit_map_at(struct ynode *m, const char *key);
/* Append item (taken) to sequence s. */
void yedit_append(struct ynode *s, struct ynode *item);
/* Remove item i of sequence s (freed). */
void yedit_remove(struct ynode *s, size_t i);

/* Is n a scalar whose text is exactly value? */
int yedit_is(const struct ynode *n, const char *value);

/* Write the node as the body of a YAML document (block style, no "---",
 * ends with a newline) to out. -1 with e set when libyaml refuses. */
int yedit_emit(const struct ynode *root, struct sb *out, struct zerr *e);

#endif
