/*
 * sql — a PostgreSQL lexer and statement splitter.
 *
 * It knows exactly as much of PostgreSQL's lexical grammar as is needed to
 * find statement boundaries without a server: single-quoted strings
 * (standard-conforming, plus E'', B'', X'', U&'' and N'' forms), quoted
 * identifiers, dollar quotes with tags, `--` comments, nested block
 * comments, parentheses (a `;` inside them does not end a statement, as in
 * psql) and SQL-standard function bodies (`BEGIN ATOMIC ... END`).
 *
 * Why a lexer of our own and not libpg_query (Debian libpg-query-dev,
 * PostgreSQL's own parser): zdm-hook ships as a static binary in a small
 * image, and libpg_query would add megabytes of server code and track one
 * server version's grammar; every finding needs exact byte positions
 * (file:line:col, snippets, the statement text sent to the server), which
 * a token stream over the file's own bytes gives directly; and the
 * classifier must treat what it does not recognise as unknown, never as
 * safe: a full parser that rejects newer syntax would either fail the
 * file or tempt a fallback, where our tokens always split the script and
 * leave judgement to lint, which reports what it cannot read.
 *
 * A split script keeps pointers into the caller's source text: the source
 * must outlive the script. sql_script_release frees what sql_split made.
 */
#ifndef ZDM_SQL_H
#define ZDM_SQL_H

#include <stddef.h>

#include "util.h"

enum sql_tok {
	SQL_TOK_EOF = 0,
	SQL_TOK_WORD, /* keyword or unquoted identifier */
	SQL_TOK_QIDENT, /* "quoted identifier" */
	SQL_TOK_STRING, /* any string constant, dollar-quoted included */
	SQL_TOK_NUMBER,
	SQL_TOK_PARAM, /* $1 */
	SQL_TOK_PUNCT, /* one operator or punctuation character */
	SQL_TOK_SEMI,
	SQL_TOK_COMMENT,
};

struct sql_token {
	enum sql_tok type;
	const char *p; /* into the source; not NUL-terminated */
	size_t len;
	size_t off; /* byte offset in the source */
	int line; /* 1-based */
	int col; /* 1-based, in bytes */
};

struct sql_lexer {
	const char *src;
	size_t len;
	size_t pos;
	int line;
	int col;
};

void sql_lexer_init(struct sql_lexer *lx, const char *src, size_t len);
/* Next token, whitespace skipped, comments returned as SQL_TOK_COMMENT.
 * Returns -1 with e set (code 2) on an unterminated string, identifier,
 * dollar quote or comment, naming the line where it started. */
int sql_lex_next(struct sql_lexer *lx, struct sql_token *t, struct zerr *e);

/* Case-insensitive comparison of a WORD token against an upper- or
 * lower-case keyword. */
int sql_tok_is(const struct sql_token *t, const char *kw);
int sql_tok_is_punct(const struct sql_token *t, char c);

struct sql_stmt {
	size_t off; /* first significant byte */
	size_t len; /* up to, not including, the `;` */
	int line; /* line of the first token */
	int col;
	int end_line; /* line of the last token */
	struct sql_token *toks; /* significant tokens (no comments) */
	size_t ntoks;
	/* comments that stand on their own lines right before the
	 * statement (for per-statement directives): first and last line */
	int lead_comment_line; /* 0 when there is none */
};

struct sql_script {
	struct sql_stmt *v;
	size_t n;
};

/* Split src into statements. Empty statements (only comments or lone
 * semicolons) are dropped. name is used in error messages only.
 * Returns -1 with e set on a lexical error. */
int sql_split(const char *src, size_t len, const char *name, struct sql_script *out,
	      struct zerr *e);
void sql_script_release(struct sql_script *s);

/* Map PostgreSQL's 1-based character position inside a statement's text
 * to a line and column of the source file. */
void sql_position_to_line(const char *src, const struct sql_stmt *st, long charpos, int *line,
			  int *col);

/* The statement's text, as it was written (caller frees). */
char *sql_stmt_text(const char *src, const struct sql_stmt *st);

/* Name the statement for messages: "CREATE UNIQUE INDEX CONCURRENTLY",
 * "VACUUM", "BEGIN", "ALTER TABLE" (the leading keywords, without the
 * names they act on). */
void sql_stmt_name(const struct sql_stmt *st, char *buf, size_t size);

/* Write the first n significant words of the statement upper-cased and
 * joined by single spaces into buf, e.g. "CREATE UNIQUE INDEX". */
void sql_stmt_head(const struct sql_stmt *st, size_t n, char *buf, size_t size);

/* How a statement relates to transactions. */
enum sql_txkind {
	SQL_TX_NORMAL = 0, /* runs inside a transaction */
	SQL_TX_CONTROL, /* BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ... */
	SQL_TX_CONCURRENT, /* CREATE/DROP/REINDEX INDEX CONCURRENTLY,
			      * DETACH PARTITION ... CONCURRENTLY */
	SQL_TX_NONTX, /* VACUUM, CREATE DATABASE, ALTER SYSTEM, ... */
};
enum sql_txkind sql_stmt_txkind(const struct sql_stmt *st);

/* For CREATE [UNIQUE] INDEX CONCURRENTLY: the index name as written
 * (quoted if it was), schema-qualified with the table's schema when the
 * table name is qualified. NULL when the statement names no index or is
 * not such a statement (caller frees). */
char *sql_cic_index_name(const struct sql_stmt *st);

/* For ALTER TABLE [IF EXISTS] [ONLY] parent DETACH PARTITION child
 * CONCURRENTLY: 1 with *parent and *child the names as written (quoted if
 * they were, qualified if they were; caller frees), else 0 with both
 * NULL. */
int sql_detach_names(const struct sql_stmt *st, char **parent, char **child);

/* For REINDEX [(options)] {INDEX | TABLE} [CONCURRENTLY] name: 1 with
 * *name as written (caller frees) and *table 1 for TABLE, 0 for INDEX;
 * else 0 with *name NULL (SCHEMA, DATABASE, SYSTEM; not a REINDEX). */
int sql_reindex_target(const struct sql_stmt *st, int *table, char **name);

#endif
