/*
 * udiff — unified diffs of two in-memory texts, as `diff -u` writes
 * them (3 lines of context, "\ No newline at end of file" markers), so
 * `helm zdm inject --dry-run` output can be read by people and applied
 * with `patch -p1` or `git apply`.
 */
#ifndef ZDM_UDIFF_H
#define ZDM_UDIFF_H

#include <stddef.h>

#include "util.h"

/* Append the diff of a[0..alen) -> b[0..blen) to out, with header
 * lines "--- label_a" and "+++ label_b" (use "/dev/null" for a side
 * that does not exist; a NULL text counts as empty). Nothing is
 * appended when the texts are equal. */
void udiff_write(struct sb *out, const char *label_a, const char *a, size_t alen,
		 const char *label_b, const char *b, size_t blen);

#endif
