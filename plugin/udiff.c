/*
 * udiff — a line diff by longest common subsequence, printed as unified
 * hunks.
 *
 * The texts inject compares are small (templates) or differ only at the
 * end (values.yaml plus an appended block), so the common head and tail
 * are stripped first and a plain O(n*m) LCS table is run on what is left;
 * past UDIFF_MAX_CELLS the middle is shown as one replaced block, which
 * is still a correct diff, only a less minimal one.
 */
#include "udiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UDIFF_CONTEXT 3
#define UDIFF_MAX_CELLS (8u * 1024 * 1024)

struct udiff_line {
	const char *p;
	size_t n; /* with the '\n', when the line has one */
};

struct udiff_op {
	char tag; /* ' ', '-' or '+' */
	const struct udiff_line *line;
};

/* Split text into lines (the last may lack a newline). */
static struct udiff_line *udiff_split(const char *t, size_t len, size_t *n)
{
	struct udiff_line *v = NULL;
	size_t cap = 0, i = 0;

	*n = 0;
	while (t && i < len) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - t) + 1 : len;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[*n].p = t + i;
		v[*n].n = end - i;
		(*n)++;
		i = end;
	}
	return v;
}

static int udiff_eq(const struct udiff_line *a, const struct udiff_line *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

static void udiff_push(struct udiff_op **ops, size_t *n, size_t *cap, char tag,
		       const struct udiff_line *l)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 128;
		*ops = xrealloc(*ops, *cap * sizeof(**ops));
	}
	(*ops)[*n].tag = tag;
	(*ops)[*n].line = l;
	(*n)++;
}

/* The edit script of a[0..na) -> b[0..nb) between a common head and
 * tail; LCS on the middle. */
static struct udiff_op *udiff_script(const struct udiff_line *a, size_t na,
				     const struct udiff_line *b, size_t nb, size_t *nops)
{
	struct udiff_op *ops = NULL;
	size_t cap = 0, head = 0, tail = 0, i, j, ma, mb;

	*nops = 0;
	while (head < na && head < nb && udiff_eq(&a[head], &b[head]))
		head++;
	while (tail < na - head && tail < nb - head &&
	       udiff_eq(&a[na - 1 - tail], &b[nb - 1 - tail]))
		tail++;
	ma = na - head - tail;
	mb = nb - head - tail;
	for (i = 0; i < head; i++)
		udiff_push(&ops, nops, &cap, ' ', &a[i]);
	if (ma && mb && (ma + 1) * (mb + 1) <= UDIFF_MAX_CELLS) {
		/* L[i][j] = LCS length of a-middle[i..] and b-middle[j..] */
		uint32_t *L = xcalloc((ma + 1) * (mb + 1), sizeof(*L));
		const struct udiff_line *A = a + head, *B = b + head;
#define UDIFF_L(x, y) L[(x) * (mb + 1) + (y)]
		for (i = ma; i-- > 0;)
			for (j = mb; j-- > 0;)
				UDIFF_L(i, j) = udiff_eq(&A[i], &B[j])
							? UDIFF_L(i + 1, j + 1) + 1
							: (UDIFF_L(i + 1, j) >= UDIFF_L(i, j + 1)
								   ? UDIFF_L(i + 1, j)
								   : UDIFF_L(i, j + 1));
		i = j = 0;
		while (i < ma && j < mb) {
			if (udiff_eq(&A[i], &B[j])) {
				udiff_push(&ops, nops, &cap, ' ', &A[i]);
				i++, j++;
			} else if (UDIFF_L(i + 1, j) >= UDIFF_L(i, j + 1)) {
				udiff_push(&ops, nops, &cap, '-', &A[i++]);
			} else {
				udiff_push(&ops, nops, &cap, '+', &B[j++]);
			}
		}
#undef UDIFF_L
		for (; i < ma; i++)
			udiff_push(&ops, nops, &cap, '-', &A[i]);
		for (; j < mb; j++)
			udiff_push(&ops, nops, &cap, '+', &B[j]);
		free(L);
	} else {
		for (i = 0; i < ma; i++)
			udiff_push(&ops, nops, &cap, '-', &a[head + i]);
		for (j = 0; j < mb; j++)
			udiff_push(&ops, nops, &cap, '+', &b[head + j]);
	}
	for (i = na - tail; i < na; i++)
		udiff_push(&ops, nops, &cap, ' ', &a[i]);
	return ops;
}

/* "start,len" of a hunk side, as diff -u writes it. */
static void udiff_range(struct sb *out, size_t start, size_t len)
{
	if (len == 1)
		sb_addf(out, "%zu", start + 1);
	else
		sb_addf(out, "%zu,%zu", len ? start + 1 : start, len);
}

static void udiff_hunk(struct sb *out, const struct udiff_op *ops, size_t from, size_t to,
		       size_t a_start, size_t b_start)
{
	size_t alen = 0, blen = 0, k;

	for (k = from; k < to; k++) {
		if (ops[k].tag != '+')
			alen++;
		if (ops[k].tag != '-')
			blen++;
	}
	sb_adds(out, "@@ -");
	udiff_range(out, a_start, alen);
	sb_adds(out, " +");
	udiff_range(out, b_start, blen);
	sb_adds(out, " @@\n");
	for (k = from; k < to; k++) {
		const struct udiff_line *l = ops[k].line;
		sb_addc(out, ops[k].tag);
		sb_add(out, l->p, l->n);
		if (!l->n || l->p[l->n - 1] != '\n')
			sb_adds(out, "\n\\ No newline at end of file\n");
	}
}

void udiff_write(struct sb *out, const char *label_a, const char *a, size_t alen,
		 const char *label_b, const char *b, size_t blen)
{
	struct udiff_line *la, *lb;
	struct udiff_op *ops;
	size_t na, nb, nops, k, apos = 0, bpos = 0;

	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
		return;
	la = udiff_split(a, alen, &na);
	lb = udiff_split(b, blen, &nb);
	ops = udiff_script(la, na, lb, nb, &nops);
	sb_addf(out, "--- %s\n+++ %s\n", label_a, label_b);
	k = 0;
	while (k < nops) {
		size_t first, last, from, to, a_start, b_start, m;

		/* next change */
		while (k < nops && ops[k].tag == ' ') {
			apos++, bpos++;
			k++;
		}
		if (k == nops)
			break;
		first = last = k;
		/* extend while the next change is within 2 * context */
		for (m = k + 1; m < nops; m++) {
			if (ops[m].tag != ' ') {
				if (m - last - 1 > 2 * UDIFF_CONTEXT)
					break;
				last = m;
			}
		}
		from = first >= UDIFF_CONTEXT ? first - UDIFF_CONTEXT : 0;
		to = last + 1 + UDIFF_CONTEXT < nops ? last + 1 + UDIFF_CONTEXT : nops;
		a_start = apos - (first - from);
		b_start = bpos - (first - from);
		udiff_hunk(out, ops, from, to, a_start, b_start);
		/* advance the positions over first..to */
		for (m = first; m < to; m++) {
			if (ops[m].tag != '+')
				apos++;
			if (ops[m].tag != '-')
				bpos++;
		}
		k = to;
	}
	free(ops);
	free(la);
	free(lb);
}
