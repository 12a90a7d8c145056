/*
 * mix — an application version's query mix, read from a SQL file:
 *
 *   -- op: read weight=60
 *   SELECT id, full_name, email FROM users WHERE id = $1
 *   -- op: insert weight=10
 *   INSERT INTO users (full_name, email) VALUES ($2, $3)
 *
 * Parameters: $1 a random existing id (bigint), $2 a random name (text),
 * $3 an email unique to the request (text). One statement per op.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

int lg_valid_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '.' && s[n] != '_' && s[n] != '-')
			return 0;
	return n > 0 && n < LG_NAME_MAX;
}

/* The highest $N in sql outside quotes and comments, or -1 when a $N is
 * out of range or a second statement follows a semicolon. */
static int lg_scan_sql(const char *sql)
{
	int max = 0;
	const char *p = sql;

	while (*p) {
		if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (*p && *p != q)
				p++;
			if (*p)
				p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (*p == '$' && isdigit((unsigned char)p[1])) {
			long n = strtol(p + 1, (char **)&p, 10);
			if (n < 1 || n > LG_MAX_PARAMS)
				return -1;
			if (n > max)
				max = (int)n;
		} else if (*p == ';') {
			return -2;
		} else {
			p++;
		}
	}
	return max;
}

static int lg_finish_op(struct lg_mix *m, struct sb *sql, int line, struct zerr *e)
{
	struct lg_op *op = &m->ops[m->nops - 1];
	int n;

	while (sql->len &&
	       (isspace((unsigned char)sql->buf[sql->len - 1]) || sql->buf[sql->len - 1] == ';'))
		sql->buf[--sql->len] = '\0';
	if (sql->len == 0)
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: op \"%s\" has no statement", m->path,
				line, op->name);
	n = lg_scan_sql(sql->buf);
	if (n == -1)
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: op \"%s\" uses a parameter other than $1..$%d", m->path,
				line, op->name, LG_MAX_PARAMS);
	if (n == -2)
		return zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: op \"%s\" holds more than one statement",
				m->path, line, op->name);
	op->sql = sb_steal(sql);
	op->nparams = n;
	sb_init(sql);
	return 0;
}

/* "-- op: NAME [weight=N]" (p is after "op:") into a new op. */
static int lg_parse_op_line(struct lg_mix *m, char *p, int line, struct zerr *e)
{
	struct lg_op *op;
	char *tok, *save = NULL;
	long long w = 1;

	tok = strtok_r(p, " \t\r", &save);
	if (!tok || !lg_valid_name(tok))
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: \"-- op:\" needs a name of [A-Za-z0-9._-]", m->path, line);
	m->ops = xrealloc(m->ops, (m->nops + 1) * sizeof(*m->ops));
	op = &m->ops[m->nops++];
	memset(op, 0, sizeof(*op));
	op->name = xstrdup(tok);
	while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL) {
		if (strncmp(tok, "weight=", 7) != 0 || util_parse_uint(tok + 7, 1000000, &w) < 0 ||
		    w < 1)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s:%d: unknown or malformed \"%s\" (want weight=1..1000000)",
					m->path, line, tok);
	}
	op->weight = (int)w;
	m->total_weight += w;
	return 0;
}

int lg_mix_load(struct lg_mix *m, const char *version, const char *path, struct zerr *e)
{
	char *text = NULL, *line, *save = NULL;
	size_t len;
	struct sb sql;
	int lineno = 0, rc = 0;

	memset(m, 0, sizeof(*m));
	m->version = xstrdup(version);
	m->path = xstrdup(path);
	if (util_read_file(path, 1 << 20, &text, &len, e) < 0)
		return -1;
	sb_init(&sql);
	/* strtok_r would skip empty lines and so miscount; split by hand */
	for (line = text; line && rc == 0; line = save) {
		char *nl = strchr(line, '\n'), *p = line;

		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "--", 2) == 0) {
			p += 2;
			while (*p == ' ' || *p == '\t')
				p++;
			if (strncmp(p, "op:", 3) != 0)
				continue;
			if (m->nops && lg_finish_op(m, &sql, lineno, e) < 0)
				rc = -1;
			else
				rc = lg_parse_op_line(m, p + 3, lineno, e);
			continue;
		}
		if (m->nops == 0) {
			while (*p == ' ' || *p == '\t' || *p == '\r')
				p++;
			if (*p)
				rc = zerr_set(e, ZDM_EXIT_USAGE,
					      "%s:%d: SQL before the first \"-- op: NAME\" line",
					      path, lineno);
			continue;
		}
		sb_adds(&sql, line);
		sb_addc(&sql, '\n');
	}
	if (rc == 0 && m->nops == 0)
		rc = zerr_set(e, ZDM_EXIT_USAGE, "%s: no \"-- op: NAME\" line", path);
	if (rc == 0)
		rc = lg_finish_op(m, &sql, lineno, e);
	sb_release(&sql);
	free(text);
	return rc;
}

void lg_mix_free(struct lg_mix *m)
{
	size_t i;

	for (i = 0; i < m->nops; i++) {
		free(m->ops[i].name);
		free(m->ops[i].sql);
	}
	free(m->ops);
	free(m->version);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

const struct lg_op *lg_mix_pick(const struct lg_mix *m, unsigned long long r)
{
	long long x = (long long)(r % (unsigned long long)m->total_weight);
	size_t i;

	for (i = 0; i + 1 < m->nops; i++) {
		if (x < m->ops[i].weight)
			break;
		x -= m->ops[i].weight;
	}
	return &m->ops[i];
}
