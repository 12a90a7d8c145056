/*
 * zdm-loadgen report | series — the request CSV summed up.
 *
 * report: for each phase of a TSV file (NAME<TAB>START_MS<TAB>END_MS, one a
 * line, epoch milliseconds, END exclusive), for each application version
 * and for all of them: requests, errors, p50/p99/max latency (nearest
 * rank, over every request of the phase, failed ones included), then the
 * errors by kind (SQLSTATE and message). A table on stdout; --csv-out
 * appends one row per phase and version to a CSV (header when new).
 *
 * series: the same per time bucket, one file per version (PREFIX.V.dat)
 * and for all (PREFIX.all.dat), for gnuplot:
 *   t_s n errors p50_ms p99_ms max_ms
 * t_s is the bucket's start in seconds after --t0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define LG_MAX_KINDS 64 /* distinct errors kept apart; more go to "other" */

struct lg_row {
	long long t_ms;
	long long lat_us;
	int ver;
	int err; /* -1: ok; else an index into kinds */
};

struct lg_data {
	struct lg_row *rows;
	size_t n, cap;
	char *vers[LG_MAX_MIX];
	size_t nvers;
	char *kinds[LG_MAX_KINDS + 1];
	size_t nkinds;
};

struct lg_phase {
	char *name;
	long long start, end;
};

static void lg_data_free(struct lg_data *d)
{
	size_t i;

	free(d->rows);
	for (i = 0; i < d->nvers; i++)
		free(d->vers[i]);
	for (i = 0; i < d->nkinds; i++)
		free(d->kinds[i]);
}

static int lg_intern_ver(struct lg_data *d, const char *v)
{
	size_t i;

	for (i = 0; i < d->nvers; i++)
		if (strcmp(d->vers[i], v) == 0)
			return (int)i;
	if (d->nvers == LG_MAX_MIX)
		return -1;
	d->vers[d->nvers] = xstrdup(v);
	return (int)d->nvers++;
}

static int lg_intern_kind(struct lg_data *d, const char *kind)
{
	size_t i;

	for (i = 0; i < d->nkinds; i++)
		if (strcmp(d->kinds[i], kind) == 0)
			return (int)i;
	if (d->nkinds == LG_MAX_KINDS) {
		d->kinds[d->nkinds++] = xstrdup("(other errors)");
		return LG_MAX_KINDS;
	}
	if (d->nkinds > LG_MAX_KINDS)
		return LG_MAX_KINDS;
	d->kinds[d->nkinds] = xstrdup(kind);
	return (int)d->nkinds++;
}

/* The unquoted message field of a CSV row (s points at its opening quote). */
static void lg_unquote(const char *s, struct sb *out)
{
	if (*s != '"') {
		sb_adds(out, s);
		return;
	}
	for (s++; *s; s++) {
		if (*s == '"') {
			if (s[1] != '"')
				break;
			s++;
		}
		sb_addc(out, *s);
	}
}

static int lg_load_csv(struct lg_data *d, const char *path, struct zerr *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;
	struct sb kind;

	memset(d, 0, sizeof(*d));
	if (!f)
		return zerr_set(e, ZDM_EXIT_USAGE, "cannot open \"%s\": %s", path, strerror(errno));
	sb_init(&kind);
	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		char *field[8], *p = line, *end;
		struct lg_row row;
		int nf;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (lineno == 1 && strcmp(line, LG_CSV_HEADER) == 0)
			continue;
		if (len == 0)
			continue;
		for (nf = 0; nf < 7; nf++) {
			field[nf] = p;
			p = strchr(p, ',');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (nf < 7) {
			rc = zerr_set(e, ZDM_EXIT_USAGE, "%s:%ld: want 8 fields", path, lineno);
			break;
		}
		field[7] = p;
		errno = 0;
		row.t_ms = strtoll(field[0], &end, 10);
		if (errno || *end)
			rc = -1;
		row.lat_us = strtoll(field[3], &end, 10);
		if (errno || *end)
			rc = -1;
		row.ver = lg_intern_ver(d, field[1]);
		if (row.ver < 0)
			rc = zerr_set(e, ZDM_EXIT_USAGE, "%s:%ld: more than %d versions", path,
				      lineno, LG_MAX_MIX);
		else if (rc < 0 || (strcmp(field[4], "1") != 0 && strcmp(field[4], "0") != 0))
			rc = zerr_set(e, ZDM_EXIT_USAGE, "%s:%ld: malformed row", path, lineno);
		if (rc < 0)
			break;
		row.err = -1;
		if (field[4][0] == '0') {
			sb_reset(&kind);
			sb_addf(&kind, "%s %s: ", field[5][0] ? field[5] : "-----", field[2]);
			lg_unquote(field[7], &kind);
			row.err = lg_intern_kind(d, kind.buf);
		}
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 4096;
			d->rows = xrealloc(d->rows, d->cap * sizeof(*d->rows));
		}
		d->rows[d->n++] = row;
	}
	if (rc == 0 && ferror(f))
		rc = zerr_set(e, ZDM_EXIT_FAILED, "cannot read \"%s\"", path);
	free(line);
	sb_release(&kind);
	fclose(f);
	return rc;
}

static int lg_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int lg_cmp_row(const void *a, const void *b)
{
	const struct lg_row *x = a, *y = b;

	return x->t_ms < y->t_ms ? -1 : x->t_ms > y->t_ms;
}

struct lg_stats {
	long long n, errors, p50, p99, max;
};

/* Nearest-rank percentiles of v[0..n), sorted in place. */
static void lg_stats_of(long long *v, long long n, long long errors, struct lg_stats *s)
{
	s->n = n;
	s->errors = errors;
	s->p50 = s->p99 = s->max = 0;
	if (n == 0)
		return;
	qsort(v, (size_t)n, sizeof(*v), lg_cmp_ll);
	s->p50 = v[(n * 50 + 99) / 100 - 1];
	s->p99 = v[(n * 99 + 99) / 100 - 1];
	s->max = v[n - 1];
}

/* Rows [from, to) of version ver (-1: all) into stats. */
static void lg_range_stats(const struct lg_data *d, size_t from, size_t to, int ver, long long *buf,
			   struct lg_stats *s)
{
	long long n = 0, errors = 0;
	size_t i;

	for (i = from; i < to; i++) {
		if (ver >= 0 && d->rows[i].ver != ver)
			continue;
		buf[n++] = d->rows[i].lat_us;
		if (d->rows[i].err >= 0)
			errors++;
	}
	lg_stats_of(buf, n, errors, s);
}

/* The first row at or after t (rows sorted by time). */
static size_t lg_lower(const struct lg_data *d, long long t)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->rows[mid].t_ms < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int lg_load_phases(const char *path, struct lg_phase **out, size_t *count, struct zerr *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	long lineno = 0;
	struct lg_phase *ph = NULL;
	int rc = 0;

	if (!f)
		return zerr_set(e, ZDM_EXIT_USAGE, "cannot open \"%s\": %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) != -1) {
		char *t1, *t2, *end1, *end2;
		long long a, b;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		t1 = strchr(line, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2) {
			rc = zerr_set(e, ZDM_EXIT_USAGE,
				      "%s:%ld: want NAME<TAB>START_MS<TAB>END_MS", path, lineno);
			break;
		}
		*t1 = *t2 = '\0';
		errno = 0;
		a = strtoll(t1 + 1, &end1, 10);
		b = strtoll(t2 + 1, &end2, 10);
		if (errno || *end1 || *end2 || b < a || t1 == line) {
			rc = zerr_set(e, ZDM_EXIT_USAGE, "%s:%ld: malformed phase", path, lineno);
			break;
		}
		ph = xrealloc(ph, (n + 1) * sizeof(*ph));
		ph[n].name = xstrdup(line);
		ph[n].start = a;
		ph[n].end = b;
		n++;
	}
	free(line);
	fclose(f);
	*out = ph;
	*count = n;
	return rc;
}

static void lg_print_ms(FILE *f, long long us)
{
	if (us >= 100000)
		fprintf(f, " %9.0f", (double)us / 1000.0);
	else
		fprintf(f, " %9.2f", (double)us / 1000.0);
}

static void lg_csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int lg_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "phases", required_argument, NULL, 'p' },
		{ "label", required_argument, NULL, 'l' },
		{ "csv-out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *csv = NULL, *phases = NULL, *label = "run", *csv_out = NULL;
	struct lg_data d;
	struct lg_phase *ph = NULL;
	size_t nph = 0, p, k;
	struct zerr e = { 0 };
	long long *buf = NULL, *kcount = NULL;
	FILE *co = NULL;
	int o, rc = 0;

	memset(&d, 0, sizeof(d));
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			csv = optarg;
			break;
		case 'p':
			phases = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'o':
			csv_out = optarg;
			break;
		default:
			fprintf(stderr,
				"zdm-loadgen report: error: unknown or incomplete option \"%s\"\n",
				argv[optind - 1]);
			return ZDM_EXIT_USAGE;
		}
	}
	if (!csv || !phases || optind < argc) {
		fprintf(stderr, "usage: zdm-loadgen report --csv CSV --phases TSV [--label NAME] "
				"[--csv-out FILE]\n");
		return ZDM_EXIT_USAGE;
	}
	if (lg_load_csv(&d, csv, &e) < 0 || lg_load_phases(phases, &ph, &nph, &e) < 0) {
		rc = -1;
		goto out;
	}
	qsort(d.rows, d.n, sizeof(*d.rows), lg_cmp_row);
	buf = xmalloc((d.n ? d.n : 1) * sizeof(*buf));
	kcount = xcalloc(LG_MAX_KINDS + 1, sizeof(*kcount));
	if (csv_out) {
		long size;

		co = fopen(csv_out, "a");
		if (!co) {
			zerr_set(&e, ZDM_EXIT_FAILED, "cannot write \"%s\": %s", csv_out,
				 strerror(errno));
			rc = -1;
			goto out;
		}
		fseek(co, 0, SEEK_END);
		size = ftell(co);
		if (size == 0)
			fputs("label,phase,version,start_ms,end_ms,requests,errors,p50_us,p99_us,"
			      "max_us,top_error\n",
			      co);
	}
	printf("%-14s %-28s %-7s %9s %7s %9s %9s %9s\n", "scenario", "phase", "version", "requests",
	       "errors", "p50 ms", "p99 ms", "max ms");
	for (p = 0; p < nph; p++) {
		size_t from = lg_lower(&d, ph[p].start), to = lg_lower(&d, ph[p].end), i;
		int v;

		for (v = -1; v < (int)d.nvers; v++) {
			struct lg_stats s;
			const char *vname = v < 0 ? "all" : d.vers[v];
			long long top = 0;
			int topk = -1;

			lg_range_stats(&d, from, to, v, buf, &s);
			if (v >= 0 && s.n == 0)
				continue;
			printf("%-14s %-28s %-7s %9lld %7lld", label, ph[p].name, vname, s.n,
			       s.errors);
			lg_print_ms(stdout, s.p50);
			lg_print_ms(stdout, s.p99);
			lg_print_ms(stdout, s.max);
			putchar('\n');
			memset(kcount, 0, (LG_MAX_KINDS + 1) * sizeof(*kcount));
			for (i = from; i < to; i++)
				if (d.rows[i].err >= 0 && (v < 0 || d.rows[i].ver == v))
					kcount[d.rows[i].err]++;
			for (k = 0; k < d.nkinds; k++)
				if (kcount[k] > top) {
					top = kcount[k];
					topk = (int)k;
				}
			if (v < 0)
				for (k = 0; k < d.nkinds; k++)
					if (kcount[k])
						printf("%-14s %-28s   %lld x %s\n", "", "",
						       kcount[k], d.kinds[k]);
			if (co) {
				fprintf(co, "%s,", label);
				lg_csv_field(co, ph[p].name);
				fprintf(co, ",%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,", vname,
					ph[p].start, ph[p].end, s.n, s.errors, s.p50, s.p99, s.max);
				lg_csv_field(co, topk >= 0 ? d.kinds[topk] : "");
				fputc('\n', co);
			}
		}
	}
	if (co && fclose(co) != 0) {
		zerr_set(&e, ZDM_EXIT_FAILED, "cannot write \"%s\"", csv_out);
		rc = -1;
	}
	co = NULL;
out:
	if (co)
		fclose(co);
	for (p = 0; p < nph; p++)
		free(ph[p].name);
	free(ph);
	free(buf);
	free(kcount);
	lg_data_free(&d);
	if (rc < 0) {
		fprintf(stderr, "zdm-loadgen report: error: %s\n", e.msg);
		return e.code ? e.code : 1;
	}
	return 0;
}

int lg_series_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "t0", required_argument, NULL, 't' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *csv = NULL, *prefix = NULL;
	long long t0 = -1, bucket = 1000;
	struct lg_data d;
	struct zerr e = { 0 };
	long long *buf = NULL;
	int o, v, rc = 0;

	memset(&d, 0, sizeof(d));
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			csv = optarg;
			break;
		case 'o':
			prefix = optarg;
			break;
		case 't':
			if (util_parse_uint(optarg, 1LL << 50, &t0) < 0) {
				fprintf(stderr, "zdm-loadgen series: error: --t0 wants epoch ms\n");
				return ZDM_EXIT_USAGE;
			}
			break;
		case 'b':
			if (util_parse_duration(optarg, &bucket) < 0 || bucket < 1) {
				fprintf(stderr,
					"zdm-loadgen series: error: --bucket wants a duration\n");
				return ZDM_EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr,
				"zdm-loadgen series: error: unknown or incomplete option \"%s\"\n",
				argv[optind - 1]);
			return ZDM_EXIT_USAGE;
		}
	}
	if (!csv || !prefix || optind < argc) {
		fprintf(stderr, "usage: zdm-loadgen series --csv CSV [--t0 MS] [--bucket DURATION] "
				"--out PREFIX\n");
		return ZDM_EXIT_USAGE;
	}
	if (lg_load_csv(&d, csv, &e) < 0) {
		rc = -1;
		goto out;
	}
	qsort(d.rows, d.n, sizeof(*d.rows), lg_cmp_row);
	if (t0 < 0)
		t0 = d.n ? d.rows[0].t_ms : 0;
	buf = xmalloc((d.n ? d.n : 1) * sizeof(*buf));
	for (v = -1; v < (int)d.nvers && rc == 0; v++) {
		char *path = xasprintf("%s.%s.dat", prefix, v < 0 ? "all" : d.vers[v]);
		FILE *f = fopen(path, "w");
		size_t i = 0;

		if (!f) {
			zerr_set(&e, ZDM_EXIT_FAILED, "cannot write \"%s\": %s", path,
				 strerror(errno));
			free(path);
			rc = -1;
			break;
		}
		fprintf(f, "# %s: t_s n errors p50_ms p99_ms max_ms (bucket %lld ms)\n",
			v < 0 ? "all" : d.vers[v], bucket);
		while (i < d.n) {
			long long b = d.rows[i].t_ms - t0;
			size_t j;
			struct lg_stats s;

			b = (b >= 0 ? b / bucket : -((-b + bucket - 1) / bucket)) * bucket;
			for (j = i; j < d.n && d.rows[j].t_ms - t0 < b + bucket; j++)
				;
			lg_range_stats(&d, i, j, v, buf, &s);
			if (s.n)
				fprintf(f, "%.3f %lld %lld %.3f %.3f %.3f\n", (double)b / 1000.0,
					s.n, s.errors, (double)s.p50 / 1000.0,
					(double)s.p99 / 1000.0, (double)s.max / 1000.0);
			i = j;
		}
		if (fclose(f) != 0) {
			zerr_set(&e, ZDM_EXIT_FAILED, "cannot write \"%s\"", path);
			rc = -1;
		}
		free(path);
	}
out:
	free(buf);
	lg_data_free(&d);
	if (rc < 0) {
		fprintf(stderr, "zdm-loadgen series: error: %s\n", e.msg);
		return e.code ? e.code : 1;
	}
	return 0;
}
