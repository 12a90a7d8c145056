/*
 * source — load a migrations directory (see source.h for the rules).
 *
 * Loading is all-or-nothing: any malformed name, duplicate version,
 * unreadable file, lexical error or bad directive fails the whole load
 * with a message naming the file (and line), before any database work.
 * Nothing named like a migration is skipped: a directory, a dangling
 * symlink, a symlink loop, a FIFO or a file that cannot be read is an
 * error, and so is a file that is not valid UTF-8 (the server would
 * refuse it half way through a run) or holds a NUL byte.
 *
 * Reading and parsing are apart: source_load and source_load_files read
 * the files, source_load_texts takes contents already in memory (the
 * fuzzer and tests), and both go through source_parse_text.
 */
#include "source.h"

#include "recipe.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SOURCE_MAX_FILE (64u * 1024 * 1024)

static const char source_name_hint[] =
	"name migrations V<version>__<description>.sql (e.g. V2__add_display_name.sql "
	"or V2.1__fix.sql), R__<description>.sql for repeatable ones or "
	"B<version>__<description>.sql for a baseline";

int32_t source_checksum(const char *data, size_t len)
{
	uint32_t crc = 0;
	size_t i = 0, start;

	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		start = i;
		while (i < len && data[i] != '\n' && data[i] != '\r')
			i++;
		crc = util_crc32(crc, data + start, i - start);
		while (i < len && (data[i] == '\n' || data[i] == '\r'))
			i++;
	}
	return (int32_t)crc;
}

/* Skip leading zeros of a digit run [p, p+n). */
static void source_trim_zeros(const char **p, size_t *n)
{
	while (*n > 1 && **p == '0') {
		(*p)++;
		(*n)--;
	}
}

int source_version_valid(const char *s)
{
	int digits = 0;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if ((*s == '.' || *s == '_') && digits > 0 && s[1])
			digits = 0;
		else
			return 0;
	}
	return digits > 0;
}

int source_version_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
		const char *pa = a, *pb = b;
		int c;

		/* a missing part counts as 0: "1" == "1.0" */
		if (na == 0) {
			pa = "0";
			na = 1;
		}
		if (nb == 0) {
			pb = "0";
			nb = 1;
		}
		source_trim_zeros(&pa, &na);
		source_trim_zeros(&pb, &nb);
		if (na != nb)
			return na < nb ? -1 : 1;
		c = memcmp(pa, pb, na);
		if (c)
			return c < 0 ? -1 : 1;
		a += strspn(a, "0123456789");
		b += strspn(b, "0123456789");
		if (*a)
			a++;
		if (*b)
			b++;
		if (!*a && !*b)
			return 0;
	}
}

static char *source_underscores_to(const char *s, size_t n, char to)
{
	char *r = xstrndup(s, n);
	for (char *p = r; *p; p++)
		if (*p == '_')
			*p = to;
	return r;
}

/* A Flyway SQL callback: "<event>.sql" or "<event>__<description>.sql"
 * (flyway-core .../api/callback/Event.java). zdm does not run them; they
 * are ignored like any non-migration file. */
static int source_is_callback(const char *name, size_t stem)
{
	static const char *const events[] = {
		"beforeMigrate",
		"beforeRepeatables",
		"beforeEachMigrate",
		"beforeEachMigrateStatement",
		"afterEachMigrateStatement",
		"afterEachMigrateStatementError",
		"afterEachMigrate",
		"afterEachMigrateError",
		"afterMigrate",
		"afterMigrateApplied",
		"afterVersioned",
		"afterMigrateError",
		"beforeUndo",
		"beforeEachUndo",
		"beforeEachUndoStatement",
		"afterEachUndoStatement",
		"afterEachUndoStatementError",
		"afterEachUndo",
		"afterEachUndoError",
		"afterUndo",
		"afterUndoError",
		"beforeClean",
		"afterClean",
		"afterCleanError",
		"beforeInfo",
		"afterInfo",
		"afterInfoError",
		"beforeValidate",
		"afterValidate",
		"afterValidateError",
		"beforeBaseline",
		"afterBaseline",
		"afterBaselineError",
		"beforeRepair",
		"afterRepair",
		"afterRepairError",
		"createSchema",
		"beforeConnect",
		"afterConnect",
	};

	for (size_t i = 0; i < ZDM_ARRAY_LEN(events); i++) {
		size_t n = strlen(events[i]);
		if (strncmp(name, events[i], n) == 0 &&
		    (n == stem || (n + 2 < stem && name[n] == '_' && name[n + 1] == '_')))
			return 1;
	}
	return 0;
}

int source_parse_name(const char *name, enum src_kind *kind, char **version, char **description,
		      struct zerr *e)
{
	size_t len = strlen(name), stem;
	const char *sep, *v;
	size_t vlen;

	*version = *description = NULL;
	if (name[0] == '.')
		return 0;
	if (len < 4 || strcasecmp(name + len - 4, ".sql") != 0)
		return 0;
	if (strcmp(name + len - 4, ".sql") != 0) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\": the extension must be lower-case \".sql\"",
			 name);
		zerr_hint(e, "%s", source_name_hint);
		return -1;
	}
	stem = len - 4;
	if (source_is_callback(name, stem))
		return 0;
	if (name[0] == 'v' || name[0] == 'r' || name[0] == 'u' || name[0] == 'b') {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\": the prefix must be upper-case \"%c\"", name,
			 toupper((unsigned char)name[0]));
		zerr_hint(e, "%s", source_name_hint);
		return -1;
	}
	if (name[0] == 'U') {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\": undo migrations (U...) are not supported",
			 name);
		zerr_hint(e, "zdm rolls forward: write a new V migration that reverses the change");
		return -1;
	}
	if (name[0] != 'V' && name[0] != 'R' && name[0] != 'B') {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is not a migration file name", name);
		zerr_hint(e, "%s; keep other SQL outside the migrations directory",
			  source_name_hint);
		return -1;
	}
	sep = strstr(name, "__");
	if (!sep || (size_t)(sep - name) >= stem) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "\"%s\": no \"__\" (two underscores) between %s and description", name,
			 name[0] == 'R' ? "prefix" : "version");
		zerr_hint(e, "%s", source_name_hint);
		return -1;
	}
	if ((size_t)(sep + 2 - name) >= stem) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\": the description after \"__\" is empty", name);
		zerr_hint(e, "%s", source_name_hint);
		return -1;
	}
	if ((size_t)(name + stem - (sep + 2)) > 200) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\": the description is longer than 200 characters",
			 name);
		return -1;
	}
	v = name + 1;
	vlen = (size_t)(sep - v);
	if (name[0] == 'R') {
		if (vlen != 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "\"%s\": repeatable migrations have no version",
				 name);
			zerr_hint(e,
				  "name it R__<description>.sql, or V%.*s__... for a versioned one",
				  (int)vlen, v);
			return -1;
		}
		*kind = SRC_REPEATABLE;
	} else {
		int digits = 0;
		if (vlen == 0) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "\"%s\": the version between \"%c\" and \"__\" is empty", name,
				 name[0]);
			zerr_hint(e, "%s", source_name_hint);
			return -1;
		}
		for (size_t i = 0; i < vlen; i++) {
			if (isdigit((unsigned char)v[i])) {
				digits++;
				continue;
			}
			if ((v[i] == '.' || v[i] == '_') && digits > 0 && i + 1 < vlen) {
				digits = 0;
				continue;
			}
			zerr_set(e, ZDM_EXIT_USAGE,
				 "\"%s\": version \"%.*s\" must be numbers separated by \".\" or \"_\"",
				 name, (int)vlen, v);
			zerr_hint(e, "%s", source_name_hint);
			return -1;
		}
		if (vlen > 50) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "\"%s\": the version is longer than 50 characters", name);
			return -1;
		}
		*kind = name[0] == 'B' ? SRC_BASELINE : SRC_VERSIONED;
		*version = source_underscores_to(v, vlen, '.');
	}
	*description = source_underscores_to(sep + 2, (size_t)(name + stem - (sep + 2)), ' ');
	return 1;
}

int source_parse_kvs(const char *text, size_t len, struct source_kv *kvs, int max, struct zerr *e)
{
	const char *p = text, *end = text + len;
	int n = 0;

	while (p < end) {
		const char *k;
		size_t klen;
		struct sb val;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		k = p;
		while (p < end && *p != '=' && !isspace((unsigned char)*p))
			p++;
		klen = (size_t)(p - k);
		if (klen == 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "a directive needs a name before \"=\"");
			goto fail;
		}
		if (n == max || klen >= sizeof(kvs[0].key)) {
			zerr_set(e, ZDM_EXIT_USAGE, "too many or too long directives");
			goto fail;
		}
		sb_init(&val);
		if (p >= end || *p != '=') {
			/* a bare word: a flag such as "backfill" */
			memcpy(kvs[n].key, k, klen);
			kvs[n].key[klen] = '\0';
			kvs[n].value = NULL;
			sb_release(&val);
			n++;
			continue;
		}
		p++;
		if (p < end && *p == '"') {
			p++;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p++;
				sb_addc(&val, *p++);
			}
			if (p >= end) {
				sb_release(&val);
				zerr_set(e, ZDM_EXIT_USAGE,
					 "unterminated \" in the value of \"%.*s\"", (int)klen, k);
				goto fail;
			}
			p++;
		} else {
			while (p < end && !isspace((unsigned char)*p))
				sb_addc(&val, *p++);
		}
		memcpy(kvs[n].key, k, klen);
		kvs[n].key[klen] = '\0';
		kvs[n].value = sb_steal(&val);
		n++;
	}
	return n;
fail:
	while (n > 0)
		free(kvs[--n].value);
	return -1;
}

/* Apply one file-level directive to m. */
static int source_apply_directive(struct src_migration *m, const char *key, const char *value,
				  struct zerr *e)
{
	static const char *const bf_keys[] = { "table", "key", "batch-size", "batch-time",
					       "delay" };
	int is_bf_key = 0;

	for (size_t i = 0; i < ZDM_ARRAY_LEN(bf_keys); i++)
		if (strcmp(key, bf_keys[i]) == 0)
			is_bf_key = 1;
	if (strcmp(key, "backfill") == 0) {
		if (value)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"backfill takes no value: write "
					"\"-- zdm: backfill table=<table>\"");
		m->backfill = 1;
		return 0;
	}
	if (!value)
		return zerr_set(e, ZDM_EXIT_USAGE, "directive \"%s\" needs a value (%s=...)", key,
				key);
	if (is_bf_key && !m->backfill)
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s= belongs to a backfill: write \"-- zdm: backfill "
				"table=<table> %s=...\"",
				key, key);
	if (strcmp(key, "table") == 0 || strcmp(key, "key") == 0) {
		if (!*value)
			return zerr_set(e, ZDM_EXIT_USAGE, "%s= needs a name", key);
		free(key[0] == 't' ? m->bf_table : m->bf_key);
		if (key[0] == 't')
			m->bf_table = xstrdup(value);
		else
			m->bf_key = xstrdup(value);
		return 0;
	}
	if (strcmp(key, "batch-size") == 0) {
		if (util_parse_uint(value, 10000000, &m->bf_batch_size) < 0 ||
		    m->bf_batch_size == 0)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"batch-size=%s: give a number of rows from 1 "
					"to 10000000",
					value);
		return 0;
	}
	if (strcmp(key, "batch-time") == 0 || strcmp(key, "delay") == 0) {
		long long ms;
		if (util_parse_duration(value, &ms) < 0 || (key[0] == 'b' && ms == 0))
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s=%s: not a duration (use e.g. 100ms, 1s)", key, value);
		if (key[0] == 'b')
			m->bf_batch_time_ms = ms;
		else
			m->bf_delay_ms = ms;
		return 0;
	}
	if (strcmp(key, "transaction") == 0) {
		if (strcmp(value, "off") == 0)
			m->transactional = 0;
		else if (strcmp(value, "on") == 0)
			m->transactional = 1;
		else
			return zerr_set(e, ZDM_EXIT_USAGE, "transaction=%s: use on or off", value);
		m->tx_directive = 1;
	} else if (strcmp(key, "lock-timeout") == 0 || strcmp(key, "statement-timeout") == 0) {
		long long ms;
		if (util_parse_duration(value, &ms) < 0)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s=%s: not a duration (use e.g. 500ms, 3s, 10m)", key,
					value);
		if (key[0] == 'l')
			m->lock_timeout_ms = ms;
		else
			m->statement_timeout_ms = ms;
	} else if (strcmp(key, "phase") == 0) {
		if (strcmp(value, "contract") == 0)
			m->phase = SRC_PHASE_CONTRACT;
		else if (strcmp(value, "expand") == 0)
			m->phase = SRC_PHASE_EXPAND;
		else
			return zerr_set(e, ZDM_EXIT_USAGE, "phase=%s: use expand or contract",
					value);
	} else if (strcmp(key, "requires-app") == 0) {
		if (!*value)
			return zerr_set(e, ZDM_EXIT_USAGE, "requires-app needs an app version");
		free(m->requires_app);
		m->requires_app = xstrdup(value);
	} else {
		zerr_set(e, ZDM_EXIT_USAGE, "unknown directive \"%s\"", key);
		zerr_hint(e, "known: transaction=on|off, lock-timeout=DURATION, "
			     "statement-timeout=DURATION, phase=expand|contract, "
			     "requires-app=VERSION, backfill table=T [key=K] [batch-size=N] "
			     "[batch-time=D] [delay=D], allow=RULE reason=\"...\"");
		return -1;
	}
	return 0;
}

int source_check_backfill_option(const char *key, const char *value, struct zerr *e)
{
	struct src_migration m = { 0 };
	int rc;

	m.backfill = 1;
	rc = source_apply_directive(&m, key, value, e);
	free(m.bf_table);
	free(m.bf_key);
	return rc;
}

static int source_name_tok(const struct sql_token *t)
{
	return t->type == SQL_TOK_WORD || t->type == SQL_TOK_QIDENT;
}

/* A backfill file: one "UPDATE <table> [[AS] alias] SET ... WHERE ..."
 * naming the directive's table, no RETURNING; remember where WHERE is
 * and how the statement names the table. */
static int source_check_backfill(struct src_migration *m, struct zerr *e)
{
	const struct sql_stmt *st;
	const struct sql_token *t;
	size_t i = 1, n, name_start, where = 0;
	int depth = 0;
	char *written;

	if (!m->bf_table)
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: backfill needs table=<the table it updates>", m->path,
				m->directive_line);
	if (!m->transactional)
		return zerr_set(e, ZDM_EXIT_USAGE,
				"%s:%d: a backfill runs each batch in its own "
				"transaction: drop transaction=off",
				m->path, m->directive_line);
	if (m->script.n != 1) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s: a backfill file holds exactly one UPDATE statement, "
			 "not %zu statements",
			 m->path, m->script.n);
		zerr_hint(e, "put other statements in migrations of their own");
		return -1;
	}
	st = &m->script.v[0];
	t = st->toks;
	n = st->ntoks;
	if (n < 4 || !sql_tok_is(&t[0], "update")) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: a backfill file holds one UPDATE statement",
			 m->path, st->line);
		zerr_hint(e,
			  "write: UPDATE %s SET ... WHERE <rows still to do>, e.g. WHERE new_col IS NULL",
			  m->bf_table);
		return -1;
	}
	if (sql_tok_is(&t[i], "only"))
		i++;
	name_start = i;
	if (!source_name_tok(&t[i])) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s:%d:%d: the backfill UPDATE names no table: \"%.*s\" "
			 "is not a table name",
			 m->path, t[i].line, t[i].col, (int)(t[i].len > 40 ? 40 : t[i].len),
			 t[i].p);
		zerr_hint(e, "write: UPDATE %s SET ... WHERE <rows still to do>", m->bf_table);
		return -1;
	}
	i++;
	if (i + 1 < n && sql_tok_is_punct(&t[i], '.') && source_name_tok(&t[i + 1]))
		i += 2;
	written = xstrndup(t[name_start].p, (size_t)(t[i - 1].p + t[i - 1].len - t[name_start].p));
	if (strcasecmp(written, m->bf_table) != 0) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s:%d: the UPDATE is of \"%s\", the directive says "
			 "table=%s",
			 m->path, st->line, written, m->bf_table);
		free(written);
		return -1;
	}
	m->bf_target = written;
	if (i < n && sql_tok_is(&t[i], "as"))
		i++;
	if (i < n && source_name_tok(&t[i]) && !sql_tok_is(&t[i], "set")) {
		free(m->bf_target);
		m->bf_target = xstrndup(t[i].p, t[i].len); /* the alias */
		i++;
	}
	for (; i < n; i++) {
		if (sql_tok_is_punct(&t[i], '('))
			depth++;
		else if (sql_tok_is_punct(&t[i], ')'))
			depth--;
		else if (depth == 0 && sql_tok_is(&t[i], "where") && !where)
			where = i;
		else if (depth == 0 && sql_tok_is(&t[i], "returning"))
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s:%d: a backfill UPDATE cannot have RETURNING", m->path,
					t[i].line);
	}
	if (!where) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s:%d: a backfill UPDATE needs a WHERE that selects the rows "
			 "still to do",
			 m->path, st->line);
		zerr_hint(e,
			  "e.g. UPDATE %s SET display_name = full_name WHERE display_name IS NULL: "
			  "each batch re-evaluates it, so rows changed meanwhile converge",
			  m->bf_table);
		return -1;
	}
	m->bf_where = t[where].off - st->off;
	if (!m->bf_batch_size)
		m->bf_batch_size = 1000;
	if (!m->bf_batch_time_ms)
		m->bf_batch_time_ms = 50;
	return 0;
}

/* Parse every `-- zdm:` comment of m. Header directives must come before
 * the first statement; allow= ones attach to the next statement. */
/* A file without transaction=: run it without a transaction when its
 * statements cannot run in one, as Flyway does. Flyway's rule
 * (flyway-core .../internal/sqlscript/ParserSqlScript.java, addStatement:
 * "Detected both transactional and non-transactional statements within
 * the same migration (even though mixed is false)"): every statement is
 * transactional unless the database's parser says it cannot run in a
 * transaction (flyway-database-postgresql .../PostgreSQLParser.java,
 * detectCanExecuteInTransaction); one of each is an error unless mixed
 * is on, and then the file runs without a transaction. zdm's list is
 * sql_stmt_txkind's, which also knows REINDEX ... CONCURRENTLY and
 * DETACH PARTITION ... CONCURRENTLY (PostgreSQL refuses both inside a
 * transaction; Flyway's parser does not detect them). */
static int source_detect_tx(struct src_migration *m, struct zerr *e)
{
	const struct sql_stmt *notx = NULL, *tx = NULL;

	for (size_t i = 0; i < m->script.n; i++) {
		const struct sql_stmt *st = &m->script.v[i];
		enum sql_txkind k = sql_stmt_txkind(st);
		if (k == SQL_TX_CONCURRENT || k == SQL_TX_NONTX) {
			if (!notx)
				notx = st;
		} else if (k == SQL_TX_NORMAL && !tx) {
			tx = st;
		}
	}
	if (!notx)
		return 0;
	if (tx && !m->mixed) {
		char a[64], b[64];
		sql_stmt_name(notx, a, sizeof(a));
		sql_stmt_name(tx, b, sizeof(b));
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s:%d: %s cannot run inside a transaction, and line %d (%s) should "
			 "run in one: Flyway refuses this mix too (\"mixed\" is false)",
			 m->path, notx->line, a, tx->line, b);
		zerr_hint(e, "split the file: the statements that cannot run in a transaction in "
			     "a file of their own, the others in another; or set mixed=true, and "
			     "the whole file runs without a transaction, statement by statement");
		return -1;
	}
	m->transactional = 0;
	m->tx_detected = 1;
	return 0;
}

static int source_parse_directives(struct src_migration *m, struct zerr *e)
{
	struct sql_lexer lx;
	struct sql_token t;
	int seen_sql = 0;

	sql_lexer_init(&lx, m->sql, m->len);
	for (;;) {
		struct source_kv kvs[8];
		const char *p;
		size_t n;
		int nkv, i, is_allow = 0;
		const char *allow = NULL, *reason = NULL;

		if (sql_lex_next(&lx, &t, e) < 0)
			return -1; /* sql_split reports lexical errors first */
		if (t.type == SQL_TOK_EOF)
			break;
		if (t.type != SQL_TOK_COMMENT) {
			seen_sql = 1;
			continue;
		}
		if (t.len < 2 || t.p[0] != '-')
			continue;
		p = t.p + 2;
		n = t.len - 2;
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n < 4 || memcmp(p, "zdm:", 4) != 0)
			continue;
		p += 4;
		n -= 4;
		if (!m->directive_line)
			m->directive_line = t.line;
		nkv = source_parse_kvs(p, n, kvs, (int)ZDM_ARRAY_LEN(kvs), e);
		if (nkv < 0)
			goto located;
		for (i = 0; i < nkv; i++) {
			if (strcmp(kvs[i].key, "allow") == 0) {
				is_allow = 1;
				allow = kvs[i].value;
			} else if (strcmp(kvs[i].key, "reason") == 0) {
				reason = kvs[i].value;
			}
		}
		if (is_allow) {
			struct src_allow *a;
			if (nkv != 2 || !reason || !allow || !*reason || !*allow) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "allow= needs a rule id and a reason, and nothing else");
				zerr_hint(e,
					  "write: -- zdm: allow=RULE-ID reason=\"why this is safe here\"");
				goto located_free;
			}
			m->allows = xrealloc(m->allows, (m->nallows + 1) * sizeof(*m->allows));
			a = &m->allows[m->nallows++];
			a->line = t.line;
			a->stmt = (size_t)-1;
			a->rule = xstrdup(allow);
			a->reason = xstrdup(reason);
		} else {
			for (i = 0; i < nkv; i++) {
				if (strcmp(kvs[i].key, "reason") == 0) {
					zerr_set(e, ZDM_EXIT_USAGE, "reason= goes with allow=");
					goto located_free;
				}
				if (seen_sql) {
					zerr_set(e, ZDM_EXIT_USAGE,
						 "directive \"%s\" must be in the comment block at the top of the file",
						 kvs[i].key);
					zerr_hint(e, "move it above the first statement");
					goto located_free;
				}
				if (source_apply_directive(m, kvs[i].key, kvs[i].value, e) < 0)
					goto located_free;
			}
		}
		for (i = 0; i < nkv; i++)
			free(kvs[i].value);
		continue;
located_free:
		for (i = 0; i < nkv; i++)
			free(kvs[i].value);
located:
		zerr_prefix(e, "%s:%d", m->path, t.line);
		return -1;
	}
	if (m->phase == SRC_PHASE_CONTRACT && !m->requires_app) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s:%d: phase=contract needs requires-app=<the app version that no longer uses the old schema>",
			 m->path, m->directive_line);
		zerr_hint(e, "e.g. -- zdm: phase=contract requires-app=2.0.0");
		return -1;
	}
	if (m->sc.execute_in_transaction >= 0) {
		if (m->tx_directive && m->transactional != m->sc.execute_in_transaction) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s: executeInTransaction=%s disagrees with the file's "
				 "transaction=%s directive (line %d)",
				 m->sc_path, m->sc.execute_in_transaction ? "true" : "false",
				 m->transactional ? "on" : "off", m->directive_line);
			zerr_hint(e, "keep one of them: the script configuration (Flyway reads it) "
				     "or the directive");
			return -1;
		}
		m->transactional = m->sc.execute_in_transaction;
		m->tx_directive = 1;
	}
	if (!m->tx_directive && source_detect_tx(m, e) < 0)
		return -1;
	if (m->backfill && source_check_backfill(m, e) < 0)
		return -1;
	if (m->requires_app && m->phase != SRC_PHASE_CONTRACT) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s:%d: requires-app only applies with phase=contract",
			 m->path, m->directive_line);
		return -1;
	}
	/* attach each allow to the statement that follows it */
	for (size_t i = 0; i < m->nallows; i++) {
		struct src_allow *a = &m->allows[i];
		for (size_t k = 0; k < m->script.n; k++) {
			if (m->script.v[k].line > a->line) {
				a->stmt = k;
				break;
			}
		}
		if (a->stmt == (size_t)-1)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s:%d: allow=%s is not followed by a statement", m->path,
					a->line, a->rule);
	}
	return 0;
}

static void source_migration_release(struct src_migration *m)
{
	free(m->file);
	free(m->path);
	free(m->version);
	free(m->description);
	free(m->sql);
	free(m->requires_app);
	recipe_free(m->recipe);
	free(m->bf_table);
	free(m->bf_key);
	free(m->bf_target);
	sql_script_release(&m->script);
	for (size_t i = 0; i < m->nallows; i++) {
		free(m->allows[i].rule);
		free(m->allows[i].reason);
	}
	free(m->allows);
	srcconf_script_release(&m->sc);
	free(m->sc_path);
}

/* Offset of the first byte of data that does not begin a well-formed
 * UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), or len when it is all valid. */
static size_t source_utf8_bad(const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3;
		else
			return i;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		else if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (i + n >= len)
			return i;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xBF)
				return i;
		i += n + 1;
	}
	return len;
}

/* Transcode *data from the configured encoding to UTF-8 (Flyway reads a
 * file with flyway.encoding, default UTF-8, and checksums its lines
 * re-encoded as UTF-8: flyway-core .../internal/resolver/
 * ChecksumCalculator.java). Invalid input is an error. */
static int source_transcode(const char *enc, const struct src_migration *m, char **data,
			    size_t *len, struct zerr *e)
{
	const unsigned char *p = (const unsigned char *)*data;
	size_t n = *len, i = 0;
	struct sb out;
	int be = 1;

	if (!enc || !strcasecmp(enc, "UTF-8") || !strcasecmp(enc, "UTF8"))
		return 0;
	sb_init(&out);
	if (!strcasecmp(enc, "ISO-8859-1") || !strcasecmp(enc, "ISO8859_1") ||
	    !strcasecmp(enc, "LATIN1")) {
		for (i = 0; i < n; i++) {
			if (p[i] < 0x80) {
				sb_addc(&out, (char)p[i]);
			} else {
				sb_addc(&out, (char)(0xC0 | p[i] >> 6));
				sb_addc(&out, (char)(0x80 | (p[i] & 0x3F)));
			}
		}
	} else if (!strcasecmp(enc, "UTF-16") || !strcasecmp(enc, "UTF-16LE") ||
		   !strcasecmp(enc, "UTF-16BE")) {
		if (!strcasecmp(enc, "UTF-16LE"))
			be = 0;
		else if (!strcasecmp(enc, "UTF-16") && n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
			be = 0; /* Java's UTF-16: the BOM says, and is consumed */
			i = 2;
		} else if (!strcasecmp(enc, "UTF-16") && n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
			i = 2;
		}
		if (n % 2) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s: not valid %s: an odd number of bytes (%zu)", m->path, enc, n);
			goto bad;
		}
		for (; i < n; i += 2) {
			unsigned long cp = be ? (unsigned long)p[i] << 8 | p[i + 1]
					      : (unsigned long)p[i + 1] << 8 | p[i];
			if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
				unsigned long lo = be ? (unsigned long)p[i + 2] << 8 | p[i + 3]
						      : (unsigned long)p[i + 3] << 8 | p[i + 2];
				if (lo < 0xDC00 || lo > 0xDFFF)
					goto surrogate;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				goto surrogate;
			}
			if (cp < 0x80) {
				sb_addc(&out, (char)cp);
			} else if (cp < 0x800) {
				sb_addc(&out, (char)(0xC0 | cp >> 6));
				sb_addc(&out, (char)(0x80 | (cp & 0x3F)));
			} else if (cp < 0x10000) {
				sb_addc(&out, (char)(0xE0 | cp >> 12));
				sb_addc(&out, (char)(0x80 | (cp >> 6 & 0x3F)));
				sb_addc(&out, (char)(0x80 | (cp & 0x3F)));
			} else {
				sb_addc(&out, (char)(0xF0 | cp >> 18));
				sb_addc(&out, (char)(0x80 | (cp >> 12 & 0x3F)));
				sb_addc(&out, (char)(0x80 | (cp >> 6 & 0x3F)));
				sb_addc(&out, (char)(0x80 | (cp & 0x3F)));
			}
		}
	} else {
		zerr_set(e, ZDM_EXIT_USAGE, "%s: encoding \"%s\" is not supported", m->path, enc);
		zerr_hint(e, "use UTF-8, ISO-8859-1, UTF-16, UTF-16LE or UTF-16BE");
		sb_release(&out);
		return -1;
	}
	free(*data);
	*len = out.len;
	*data = out.len ? sb_steal(&out) : xstrdup("");
	sb_release(&out);
	return 0;
surrogate:
	zerr_set(e, ZDM_EXIT_USAGE, "%s: not valid %s: an unpaired surrogate at offset %zu",
		 m->path, enc, i);
bad:
	zerr_hint(e, "check the file's encoding (--encoding, \"encoding\" in zdm.yaml or "
		     "flyway.encoding)");
	sb_release(&out);
	return -1;
}

/* Flyway's placeholders: every prefix NAME suffix in the text (comments,
 * strings and dollar-quoted bodies included) is replaced before the text
 * is split, as flyway-core .../internal/parser/PlaceholderReplacingReader
 * does; a name with no value is an error, as in Flyway ("No value
 * provided for placeholder"). Built-ins: flyway:defaultSchema,
 * flyway:user, flyway:database, flyway:timestamp, flyway:filename,
 * flyway:table. */
static int source_placeholders(struct src_set *set, const struct src_migration *m, char **data,
			       size_t *len, struct zerr *e)
{
	const struct srcconf *c = &set->conf;
	const struct src_load_opts *lo = set->lo;
	const char *pre = c->prefix && *c->prefix ? c->prefix : "${";
	const char *suf = c->suffix && *c->suffix ? c->suffix : "}";
	size_t plen = strlen(pre), slen = strlen(suf);
	const char *p = *data, *end = *data + *len;
	char stamp[32];
	struct sb out;
	int line = 1, changed = 0;

	if (m->sc.placeholder_replacement >= 0 ? !m->sc.placeholder_replacement
					       : !c->placeholder_replacement)
		return 0;
	{
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	}
	sb_init(&out);
	while (p < end) {
		const char *close, *value = NULL;
		char *name;

		if ((size_t)(end - p) < plen || memcmp(p, pre, plen) != 0) {
			line += *p == '\n';
			sb_addc(&out, *p++);
			continue;
		}
		close = memmem(p + plen, (size_t)(end - p - plen), suf, slen);
		if (!close) {
			sb_add(&out, p, (size_t)(end - p));
			break;
		}
		name = xstrndup(p + plen, (size_t)(close - p - plen));
		if (!strcmp(name, "flyway:filename"))
			value = strrchr(m->file, '/') ? strrchr(m->file, '/') + 1 : m->file;
		else if (!strcmp(name, "flyway:timestamp"))
			value = stamp;
		else if (!strcmp(name, "flyway:table"))
			value = lo && lo->table ? lo->table
				: c->table      ? c->table
						: "zdm_schema_history";
		else if (!strcmp(name, "flyway:user") || !strcmp(name, "flyway:database") ||
			 !strcmp(name, "flyway:defaultSchema")) {
			if (!lo || !lo->user)
				set->db_builtins = 1; /* stand-ins until connected */
			if (!strcmp(name, "flyway:user"))
				value = lo && lo->user ? lo->user : "zdm";
			else if (!strcmp(name, "flyway:database"))
				value = lo && lo->database ? lo->database : "zdm";
			else
				value = lo && lo->schema ? lo->schema : "public";
		} else
			value = srcconf_placeholder(c, name);
		if (!value) {
			char upper[128];
			size_t k;
			for (k = 0; name[k] && k + 1 < sizeof(upper); k++)
				upper[k] = (char)toupper((unsigned char)name[k]);
			upper[k] = '\0';
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s:%d: no value provided for placeholder %s%s%s (Flyway refuses "
				 "it too)",
				 m->path, line, pre, name, suf);
			zerr_hint(e,
				  "give it a value: --placeholder %s=..., the environment "
				  "variable ZDM_PLACEHOLDER_%s, \"placeholders: { %s: ... }\" in "
				  "zdm.yaml, or flyway.placeholders.%s=... in flyway.conf",
				  name, upper, name, name);
			free(name);
			sb_release(&out);
			return -1;
		}
		sb_adds(&out, value);
		changed = 1;
		free(name);
		p = close + slen;
	}
	if (!changed) {
		sb_release(&out);
		return 0;
	}
	free(*data);
	*len = out.len;
	*data = sb_steal(&out);
	return 0;
}

/* Check the contents of m (data[0..len), NUL-terminated) and parse them:
 * text checks, checksum, BOM, statements, directives. Takes data. */
static int source_parse_text(struct src_set *set, struct src_migration *m, char *data, size_t len,
			     struct zerr *e)
{
	const char *enc = m->sc.encoding                 ? m->sc.encoding
			  : set->lo && set->lo->encoding ? set->lo->encoding
							 : set->conf.encoding;
	const char *nul;
	size_t bad;

	if (source_transcode(enc, m, &data, &len, e) < 0) {
		free(data);
		return -1;
	}
	nul = memchr(data, '\0', len);
	bad = source_utf8_bad((const unsigned char *)data, len);

	if (nul || bad < len) {
		size_t off = nul ? (size_t)(nul - data) : bad, bol = 0;
		int line = 1;

		for (size_t i = 0; i < off; i++)
			if (data[i] == '\n') {
				line++;
				bol = i + 1;
			}
		if (nul) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s:%d:%zu: contains a NUL byte (offset %zu); "
				 "is it a text file?",
				 m->path, line, off - bol + 1, off);
			zerr_hint(e,
				  "a migration is SQL text in UTF-8; keep binary files out of the "
				  "migrations directory");
		} else {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s:%d:%zu: not valid UTF-8: byte 0x%02X at "
				 "offset %zu",
				 m->path, line, off - bol + 1, (unsigned char)data[off], off);
			zerr_detail(e,
				    "migrations are read as %s (--encoding, \"encoding\" in "
				    "zdm.yaml or flyway.encoding); a UTF-8 server would refuse "
				    "this file only after the files before it were applied",
				    enc ? enc : "UTF-8");
			zerr_hint(e,
				  "convert the file, e.g. iconv -f LATIN1 -t UTF-8 \"%s\" > "
				  "converted.sql, and check the text around line %d",
				  m->path, line);
		}
		free(data);
		return -1;
	}
	/* V and B files: the checksum of the file as read; R files: of the
	 * text after placeholder replacement, so that a changed value
	 * re-applies them (flyway-core .../internal/resolver/sql/
	 * SqlMigrationResolver.java, getChecksumForLoadableResource) */
	m->checksum = source_checksum(data, len);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		memmove(data, data + 3, len - 3);
		len -= 3;
		data[len] = '\0';
	}
	if (source_placeholders(set, m, &data, &len, e) < 0) {
		free(data);
		return -1;
	}
	if (m->kind == SRC_REPEATABLE)
		m->checksum = source_checksum(data, len);
	m->mixed = set->lo && set->lo->mixed >= 0 ? set->lo->mixed : set->conf.mixed;
	m->sql = data;
	m->len = len;
	if (recipe_detect(m->sql, m->len)) {
		if (m->kind != SRC_VERSIONED)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s: a recipe is a versioned migration: name the file "
					"V<version>__<description>.sql",
					m->path);
		m->recipe = recipe_parse(m->path, m->version, m->sql, m->len, e);
		return m->recipe ? 0 : -1;
	}
	if (sql_split(m->sql, m->len, m->path, &m->script, e) < 0)
		return -1;
	return source_parse_directives(m, e);
}

static int source_cmp(const void *pa, const void *pb)
{
	const struct src_migration *a = pa, *b = pb;

	if (a->kind != b->kind) /* versioned, repeatable, baseline */
		return a->kind < b->kind ? -1 : 1;
	if (a->kind != SRC_REPEATABLE)
		return source_version_cmp(a->version, b->version);
	return strcmp(a->description, b->description);
}

/* Parse name: 1 and a new entry at the end of out (path set, contents
 * not yet) when it is a migration, 0 when it is to be ignored, -1 with e
 * set for a malformed migration name (prefixed with where). */
static int source_push(struct src_set *out, size_t *cap, const char *where, const char *name,
		       char *path, struct zerr *e)
{
	struct src_migration *m;
	enum src_kind kind;
	char *version, *desc;
	int rc;

	rc = source_parse_name(name, &kind, &version, &desc, e);
	if (rc <= 0) {
		if (rc < 0)
			zerr_prefix(e, "%s", where);
		free(path);
		return rc;
	}
	if (out->n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		out->v = xrealloc(out->v, *cap * sizeof(*out->v));
	}
	m = &out->v[out->n++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->version = version;
	m->description = desc;
	m->file = xstrdup(name);
	m->path = path;
	m->transactional = 1;
	m->lock_timeout_ms = m->statement_timeout_ms = -1;
	m->sc.execute_in_transaction = m->sc.placeholder_replacement = -1;
	return 1;
}

/* Why path (named like a migration) cannot be loaded as one, in e; 0
 * when it is a regular file. stat, not lstat: a ConfigMap mount's files
 * are symlinks, and they are followed. */
static int source_check_entry(const char *path, struct zerr *e)
{
	struct stat st, lst;
	char target[512];
	ssize_t n;

	if (stat(path, &st) == 0) {
		if (S_ISREG(st.st_mode))
			return 0;
		if (S_ISDIR(st.st_mode)) {
			zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is a directory, not a migration file",
				 path);
			zerr_hint(e,
				  "migrations are files directly in the migrations directory: "
				  "move the directory out of it, or rename it so its name does not "
				  "end in .sql");
		} else {
			zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is not a regular file (a %s)", path,
				 S_ISFIFO(st.st_mode)   ? "FIFO"
				 : S_ISSOCK(st.st_mode) ? "socket"
							: "device");
			zerr_hint(e, "a migration is a regular file (or a symlink to one); remove "
				     "it from the migrations directory");
		}
		return -1;
	}
	if (errno == ELOOP) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is a symlink loop", path);
		zerr_hint(e, "point the symlink at the migration file, or remove it");
		return -1;
	}
	if (errno == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is a dangling symlink: \"%s\" does not exist",
			 path, target);
		zerr_hint(e, "restore the file it points to, or remove the symlink");
		return -1;
	}
	zerr_set(e, ZDM_EXIT_USAGE, "cannot read \"%s\": %s", path, strerror(errno));
	zerr_hint(e, "make it readable by the user zdm-hook runs as, or move it out of the "
		     "migrations directory");
	return -1;
}

/* Parse m's script configuration (text, NUL-terminated, taken). */
static int source_script_conf(struct src_migration *m, char *path, char *text, struct zerr *e)
{
	int rc;

	m->sc_path = path;
	rc = srcconf_script_parse(path, text, &m->sc, e);
	free(text);
	if (rc < 0) {
		m->sc.execute_in_transaction = m->sc.placeholder_replacement = -1;
		return -1;
	}
	return 0;
}

/* Read and parse the file of the last entry of out, and its V1__x.sql.conf
 * when there is one. */
static int source_read_last(struct src_set *out, struct zerr *e)
{
	struct src_migration *m = &out->v[out->n - 1];
	char *data, *sc = xasprintf("%s.conf", m->path);
	size_t len;
	struct stat st;

	if (stat(sc, &st) == 0) {
		if (util_read_file(sc, SOURCE_MAX_FILE, &data, &len, e) < 0) {
			free(sc);
			return -1;
		}
		if (source_script_conf(m, sc, data, e) < 0)
			return -1;
	} else {
		free(sc);
	}
	if (source_check_entry(m->path, e) < 0)
		return -1;
	if (util_read_file(m->path, SOURCE_MAX_FILE, &data, &len, e) < 0) {
		zerr_hint(e, "make it readable by the user zdm-hook runs as, or move it out of "
			     "the migrations directory");
		return -1;
	}
	return source_parse_text(out, m, data, len, e);
}

/* Sort, count, check for duplicate versions and move the B files (sorted
 * last) to out->baselines. */
static int source_finish(struct src_set *out, struct zerr *e)
{
	util_sort(out->v, out->n, sizeof(*out->v), source_cmp);
	for (size_t i = 0; i < out->n; i++) {
		if (out->v[i].kind == SRC_VERSIONED)
			out->nversioned++;
		if (i > 0 && source_cmp(&out->v[i - 1], &out->v[i]) == 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" and \"%s\" have the same %s",
				 out->v[i - 1].path, out->v[i].path,
				 out->v[i].kind == SRC_REPEATABLE ? "description" : "version");
			zerr_hint(e, "every %s migration needs its own version; rename one",
				  out->v[i].kind == SRC_BASELINE ? "baseline" : "versioned");
			return -1;
		}
	}
	while (out->n > 0 && out->v[out->n - 1].kind == SRC_BASELINE) {
		out->n--;
		out->nbaselines++;
	}
	if (out->nbaselines) {
		out->baselines = xcalloc(out->nbaselines, sizeof(*out->baselines));
		memcpy(out->baselines, out->v + out->n, out->nbaselines * sizeof(*out->baselines));
	}
	return 0;
}

int source_load(const char *dir, struct src_set *out, struct zerr *e)
{
	return source_load_opts(dir, NULL, out, e);
}

/* Read the migrations of root/rel (rel "": root itself) into out. A
 * location (recurse) is scanned recursively as Flyway scans one, hidden
 * entries skipped, and a file's name (m->file) is its path relative to
 * the location, as Flyway records it in the history's script column;
 * --dir alone is read flat (a subdirectory named like a migration is an
 * error there). */
static int source_scan(struct src_set *out, size_t *cap, const char *root, const char *rel,
		       int recurse, int depth, struct zerr *e)
{
	char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = -1;

	if (!d) {
		zerr_set(e, ZDM_EXIT_USAGE, "cannot read the migrations directory \"%s\": %s", dir,
			 strerror(errno));
		zerr_hint(e, "set --dir or ZDM_MIGRATIONS_DIR (default ./migrations)");
		free(dir);
		return -1;
	}
	for (;;) {
		char *path, *sub;
		struct stat st;
		int got;

		errno = 0;
		if (!(de = readdir(d))) {
			if (errno) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "cannot read the migrations directory \"%s\": %s", dir,
					 strerror(errno));
				goto cleanup;
			}
			break;
		}
		if (recurse && de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (recurse && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(path);
			if (depth >= 32) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "\"%s/%s\": locations nested more than 32 directories deep "
					 "(a symlink loop?)",
					 dir, de->d_name);
				goto cleanup;
			}
			sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
			got = source_scan(out, cap, root, sub, recurse, depth + 1, e);
			free(sub);
			if (got < 0)
				goto cleanup;
			continue;
		}
		got = source_push(out, cap, dir, de->d_name, path, e);
		if (got > 0 && *rel) {
			free(out->v[out->n - 1].file);
			out->v[out->n - 1].file = xasprintf("%s/%s", rel, de->d_name);
		}
		if (got < 0 || (got > 0 && source_read_last(out, e) < 0))
			goto cleanup;
	}
	rc = 0;
cleanup:
	closedir(d);
	free(dir);
	return rc;
}

/* Flyway's locations (flyway.locations, or locations: in zdm.yaml), a
 * comma-separated list, each read recursively. filesystem:PATH is a
 * directory; a relative PATH is resolved from the migrations directory
 * (where the settings file is: Flyway resolves it from its working
 * directory, which is where it finds ./flyway.conf). classpath:PATH and an
 * unprefixed PATH (Flyway's default prefix) name a Java package: zdm reads
 * the directory of that name beside the settings file when there is one
 * (the layout of a resources directory), and refuses it otherwise. */
static int source_locations(struct src_set *out, size_t *cap, const char *dir, struct zerr *e)
{
	const struct srcconf *c = &out->conf;
	char *list = xstrdup(c->locations), *save = NULL;
	int rc = 0;

	for (char *tok = strtok_r(list, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		char *loc = util_trim(tok), *path;
		const char *p = loc, *colon = strchr(loc, ':');
		int classpath = 1;
		struct stat st;

		if (!*loc)
			continue;
		if (strncmp(loc, "filesystem:", 11) == 0) {
			p = loc + 11;
			classpath = 0;
		} else if (strncmp(loc, "classpath:", 10) == 0) {
			p = loc + 10;
			while (*p == '/')
				p++;
		} else if (colon && !memchr(loc, '/', (size_t)(colon - loc))) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s: location \"%s\": zdm reads filesystem: and classpath: "
				 "locations only",
				 c->locations_at, loc);
			zerr_hint(e,
				  "copy the files into a directory and name it with "
				  "filesystem:PATH (e.g. locations: \"filesystem:.\" in zdm.yaml, "
				  "which beats Flyway's file)");
			rc = -1;
			break;
		}
		path = *p == '/' ? xstrdup(p) : xasprintf("%s/%s", dir, *p ? p : ".");
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			if (classpath)
				zerr_set(e, ZDM_EXIT_USAGE,
					 "%s: location \"%s\" is on the Java classpath, which zdm "
					 "cannot read, and there is no directory \"%s\" to read "
					 "instead",
					 c->locations_at, loc, path);
			else
				zerr_set(e, ZDM_EXIT_USAGE,
					 "%s: location \"%s\": directory \"%s\" does not exist",
					 c->locations_at, loc, path);
			zerr_hint(e,
				  "a relative location is read from the migrations directory "
				  "(%s); override Flyway's with locations: \"filesystem:PATH,...\" "
				  "in zdm.yaml, e.g. \"filesystem:.\" for the directory itself",
				  dir);
			rc = -1;
		} else {
			rc = source_scan(out, cap, path, "", 1, 0, e);
		}
		free(path);
	}
	free(list);
	return rc;
}

int source_load_opts(const char *dir, const struct src_load_opts *lo, struct src_set *out,
		     struct zerr *e)
{
	size_t cap = 0;
	int rc = -1;
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->dir = xstrdup(dir);
	out->lo = lo;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		zerr_set(e, ZDM_EXIT_USAGE, "cannot read the migrations directory \"%s\": %s", dir,
			 stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
		zerr_hint(e, "set --dir or ZDM_MIGRATIONS_DIR (default ./migrations)");
		source_release(out);
		return -1;
	}
	if (srcconf_load(dir, &out->conf, e) < 0)
		goto cleanup;
	if (lo)
		srcconf_placeholder_flags(&out->conf, lo->placeholders, lo->nplaceholders);
	if (out->conf.locations) {
		if (source_locations(out, &cap, dir, e) < 0)
			goto cleanup;
	} else if (source_scan(out, &cap, dir, "", 0, 0, e) < 0) {
		goto cleanup;
	}
	rc = source_finish(out, e);
cleanup:
	out->lo = NULL;
	if (rc < 0)
		source_release(out);
	return rc;
}

int source_load_files(const char *const *paths, size_t n, struct src_set *out, struct zerr *e)
{
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	out->dir = xstrdup(n == 1 ? paths[0] : "the given files");
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(paths[i], '/');
		const char *name = slash ? slash + 1 : paths[i];
		char *dir = slash ? xstrndup(paths[i], (size_t)(slash - paths[i])) : xstrdup(".");
		int rc;

		if (slash && slash == paths[i]) {
			free(dir);
			dir = xstrdup("/");
		}
		/* the settings of the first file's directory */
		if (i == 0 && srcconf_load(dir, &out->conf, e) < 0) {
			free(dir);
			source_release(out);
			return -1;
		}
		rc = source_push(out, &cap, dir, name,
				 slash ? xasprintf("%s/%s", dir, name) : xstrdup(name), e);
		if (rc == 0)
			zerr_set(e, ZDM_EXIT_USAGE,
				 "\"%s/%s\" is not a migration (a .sql file "
				 "named V<version>__<description>.sql or R__<description>.sql)",
				 dir, name);
		free(dir);
		if (rc <= 0 || source_read_last(out, e) < 0) {
			source_release(out);
			return -1;
		}
	}
	if (source_finish(out, e) < 0) {
		source_release(out);
		return -1;
	}
	return 0;
}

int source_load_texts(const struct src_text *files, size_t n, struct src_set *out, struct zerr *e)
{
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	out->dir = xstrdup("(memory)");
	for (size_t i = 0; i < n; i++) {
		int rc = source_push(out, &cap, out->dir, files[i].name, xstrdup(files[i].name), e);

		for (size_t k = 0; rc > 0 && k < n; k++) {
			size_t nl = strlen(files[i].name);
			if (strncmp(files[k].name, files[i].name, nl) == 0 &&
			    strcmp(files[k].name + nl, ".conf") == 0)
				rc = source_script_conf(&out->v[out->n - 1], xstrdup(files[k].name),
							xstrndup(files[k].data, files[k].len),
							e) < 0
					     ? -1
					     : 1;
		}
		if (rc > 0)
			rc = source_parse_text(out, &out->v[out->n - 1],
					       xstrndup(files[i].data, files[i].len), files[i].len,
					       e);
		if (rc < 0) {
			source_release(out);
			return -1;
		}
	}
	if (source_finish(out, e) < 0) {
		source_release(out);
		return -1;
	}
	return 0;
}

void source_release(struct src_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		source_migration_release(&s->v[i]);
	for (size_t i = 0; i < s->nbaselines; i++)
		source_migration_release(&s->baselines[i]);
	free(s->v);
	free(s->baselines);
	srcconf_release(&s->conf);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

struct src_migration *source_find_version(struct src_set *s, const char *version)
{
	for (size_t i = 0; i < s->nversioned; i++)
		if (source_version_cmp(s->v[i].version, version) == 0)
			return &s->v[i];
	return NULL;
}
