/* Table-driven tests of the SQL splitter: each case is a script and the
 * statements (as text) it must split into, or the error it must give. */
#include <stdlib.h>

#include "sql.h"
#include "unit.h"

struct split_case {
	const char *name;
	const char *src;
	const char *want[6]; /* expected statement texts, NULL-terminated */
	int want_lines[6]; /* line of each statement */
	const char *error; /* substring of the expected error, or NULL */
};

static const struct split_case split_cases[] = {
	{ "two simple", "select 1; select 2;", { "select 1", "select 2" }, { 1, 1 }, NULL },
	{ "no trailing semicolon",
	  "select 1;\nselect 2",
	  { "select 1", "select 2" },
	  { 1, 2 },
	  NULL },
	{ "empty statements dropped", ";;\n;select 1;;", { "select 1" }, { 2 }, NULL },
	{ "only comments", "-- nothing\n/* at all */\n", { NULL }, { 0 }, NULL },
	{ "semicolon in string",
	  "insert into t values ('a;b');select 1",
	  { "insert into t values ('a;b')", "select 1" },
	  { 1, 1 },
	  NULL },
	{ "doubled quote",
	  "select 'it''s;';select 2",
	  { "select 'it''s;'", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "standard strings: backslash is literal",
	  "select 'a\\';select 2",
	  { "select 'a\\'", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "E string backslash escape",
	  "select E'a\\';b';select 2",
	  { "select E'a\\';b'", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "lower-case e string", "select e'\\'';", { "select e'\\''" }, { 1 }, NULL },
	{ "quoted identifier with semicolon",
	  "create table \"a;b\" (x int); select 1",
	  { "create table \"a;b\" (x int)", "select 1" },
	  { 1, 1 },
	  NULL },
	{ "quoted identifier doubled quote",
	  "select \"a\"\";\";select 2",
	  { "select \"a\"\";\"", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "dollar quote",
	  "create function f() returns int as $$ select 1; $$ language sql;select 2",
	  { "create function f() returns int as $$ select 1; $$ language sql", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "tagged dollar quote containing $$",
	  "do $body$ begin perform '$$;'; end $body$;select 2",
	  { "do $body$ begin perform '$$;'; end $body$", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "positional parameter is not a dollar quote",
	  "prepare p as select $1; select 2",
	  { "prepare p as select $1", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "identifier with dollar",
	  "select a$b; select 2",
	  { "select a$b", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "line comment with semicolon",
	  "select 1 -- not; here\n;select 2",
	  { "select 1", "select 2" },
	  { 1, 2 },
	  NULL },
	{ "nested block comment",
	  "select /* a /* b; */ c; */ 1; select 2",
	  { "select /* a /* b; */ c; */ 1", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "leading comment not part of statement",
	  "-- header\n\nselect 1;",
	  { "select 1" },
	  { 3 },
	  NULL },
	{ "semicolon inside parentheses",
	  "create rule r as on insert to t do also (select 1; select 2); select 3",
	  { "create rule r as on insert to t do also (select 1; select 2)", "select 3" },
	  { 1, 1 },
	  NULL },
	{ "begin atomic body",
	  "create function f() returns int language sql begin atomic select 1; select 2; end; select 3",
	  { "create function f() returns int language sql begin atomic select 1; select 2; end",
	    "select 3" },
	  { 1, 1 },
	  NULL },
	{ "begin atomic with case",
	  "create or replace procedure p() begin atomic select case when true then 1 end; end;select 3",
	  { "create or replace procedure p() begin atomic select case when true then 1 end; end",
	    "select 3" },
	  { 1, 1 },
	  NULL },
	{ "parameter named begin is not a body",
	  "create function f(begin int) returns int language sql as $$ select 1 $$; select 2;",
	  { "create function f(begin int) returns int language sql as $$ select 1 $$", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "output column named begin",
	  "create function f() returns table (begin timestamptz, x int) language sql as 'select now(), 1'; select 2",
	  { "create function f() returns table (begin timestamptz, x int) language sql as 'select now(), 1'",
	    "select 2" },
	  { 1, 1 },
	  NULL },
	{ "begin atomic with nested case and end",
	  "create function f(x int) returns int language sql begin atomic select case x when 1 then 2 else 3 end; end; select 9",
	  { "create function f(x int) returns int language sql begin atomic select case x when 1 then 2 else 3 end; end",
	    "select 9" },
	  { 1, 1 },
	  NULL },
	{ "transaction begin is a statement",
	  "begin; select 1; commit;",
	  { "begin", "select 1", "commit" },
	  { 1, 1, 1 },
	  NULL },
	{ "utf-8 identifiers",
	  "create table größe (ä int);select 'ü;'",
	  { "create table größe (ä int)", "select 'ü;'" },
	  { 1, 1 },
	  NULL },
	{ "U& string and B/X strings",
	  "select U&'d\\0061t;', B'101', X'1F';select 2",
	  { "select U&'d\\0061t;', B'101', X'1F'", "select 2" },
	  { 1, 1 },
	  NULL },
	{ "multi-line positions",
	  "\n\n  create table t (\n  id int\n);\n\nselect 1;",
	  { "create table t (\n  id int\n)", "select 1" },
	  { 3, 7 },
	  NULL },
	{ "casts and operators",
	  "select 1::int4 + -2 /3; select 'x' || 'y'",
	  { "select 1::int4 + -2 /3", "select 'x' || 'y'" },
	  { 1, 1 },
	  NULL },
	{ "unterminated string",
	  "select 1;\nselect 'abc;\n",
	  { NULL },
	  { 0 },
	  "unterminated quoted string starting at line 2" },
	{ "unterminated E string",
	  "select E'abc\\';",
	  { NULL },
	  { 0 },
	  "unterminated quoted string starting at line 1" },
	{ "unterminated identifier",
	  "select \"abc;",
	  { NULL },
	  { 0 },
	  "unterminated quoted identifier" },
	{ "unterminated dollar quote",
	  "do $x$ begin end $y$;",
	  { NULL },
	  { 0 },
	  "unterminated dollar-quoted string" },
	{ "unterminated block comment",
	  "select 1; /* /* */",
	  { NULL },
	  { 0 },
	  "unterminated block comment starting at line 1" },
};

static void test_split(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(split_cases); i++) {
		const struct split_case *c = &split_cases[i];
		struct sql_script s;
		struct zerr e = { 0 };
		size_t want_n = 0;
		int rc = sql_split(c->src, strlen(c->src), "t.sql", &s, &e);

		if (c->error) {
			CHECK(rc < 0, "%s: expected an error", c->name);
			CHECK(rc < 0 && strstr(e.msg, c->error) != NULL,
			      "%s: error \"%s\" lacks \"%s\"", c->name, e.msg, c->error);
			continue;
		}
		CHECK(rc == 0, "%s: unexpected error %s", c->name, e.msg);
		if (rc < 0)
			continue;
		while (want_n < 6 && c->want[want_n])
			want_n++;
		CHECK(s.n == want_n, "%s: got %zu statements, want %zu", c->name, s.n, want_n);
		for (size_t k = 0; k < s.n && k < want_n; k++) {
			char *text = sql_stmt_text(c->src, &s.v[k]);
			CHECK(strcmp(text, c->want[k]) == 0, "%s: statement %zu is [%s], want [%s]",
			      c->name, k, text, c->want[k]);
			CHECK(s.v[k].line == c->want_lines[k],
			      "%s: statement %zu at line %d, want %d", c->name, k, s.v[k].line,
			      c->want_lines[k]);
			free(text);
		}
		sql_script_release(&s);
	}
}

static void test_position(void)
{
	const char *src = "-- x\nselect\n  ä, nosuch\nfrom t";
	struct sql_script s;
	struct zerr e = { 0 };
	int line, col;

	CHECK(sql_split(src, strlen(src), "t.sql", &s, &e) == 0, "split: %s", e.msg);
	/* "select\n  ä, nosuch": the n of nosuch is character 13 */
	sql_position_to_line(src, &s.v[0], 13, &line, &col);
	CHECK(line == 3 && col == 6, "position 13 -> %d:%d, want 3:6", line, col);
	sql_position_to_line(src, &s.v[0], 1, &line, &col);
	CHECK(line == 2 && col == 1, "position 1 -> %d:%d, want 2:1", line, col);
	sql_script_release(&s);
}

static void test_head(void)
{
	const char *src = "create unique index concurrently if not exists i on t (a)";
	struct sql_script s;
	struct zerr e = { 0 };
	char head[64];

	CHECK(sql_split(src, strlen(src), "t.sql", &s, &e) == 0, "split: %s", e.msg);
	sql_stmt_head(&s.v[0], 4, head, sizeof(head));
	CHECK(strcmp(head, "CREATE UNIQUE INDEX CONCURRENTLY") == 0, "head is %s", head);
	sql_stmt_head(&s.v[0], 40, head, 12);
	CHECK(strcmp(head, "CREATE UNIQ") == 0, "truncated head is %s", head);
	sql_script_release(&s);
}

struct kind_case {
	const char *src;
	enum sql_txkind kind;
	const char *cic_name; /* expected sql_cic_index_name, or NULL */
};

static const struct kind_case kind_cases[] = {
	{ "select 1", SQL_TX_NORMAL, NULL },
	{ "BEGIN", SQL_TX_CONTROL, NULL },
	{ "start transaction isolation level serializable", SQL_TX_CONTROL, NULL },
	{ "commit", SQL_TX_CONTROL, NULL },
	{ "end", SQL_TX_CONTROL, NULL },
	{ "savepoint a", SQL_TX_CONTROL, NULL },
	{ "prepare transaction 'x'", SQL_TX_CONTROL, NULL },
	{ "prepare q as select 1", SQL_TX_NORMAL, NULL },
	{ "create index concurrently i on t (a)", SQL_TX_CONCURRENT, "i" },
	{ "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Idx\" ON ONLY s.t (a)",
	  SQL_TX_CONCURRENT, "s.\"Idx\"" },
	{ "create index concurrently on t (a)", SQL_TX_CONCURRENT, NULL },
	{ "create index i on t (a)", SQL_TX_NORMAL, NULL },
	{ "drop index concurrently if exists i", SQL_TX_CONCURRENT, NULL },
	{ "drop index i", SQL_TX_NORMAL, NULL },
	{ "reindex index concurrently i", SQL_TX_CONCURRENT, NULL },
	{ "reindex (verbose) table concurrently t", SQL_TX_CONCURRENT, NULL },
	{ "reindex index i", SQL_TX_NORMAL, NULL },
	{ "alter table p detach partition c concurrently", SQL_TX_CONCURRENT, NULL },
	{ "alter table p detach partition c", SQL_TX_NORMAL, NULL },
	{ "vacuum (analyze) t", SQL_TX_NONTX, NULL },
	{ "alter system set work_mem = '8MB'", SQL_TX_NONTX, NULL },
	{ "create database x", SQL_TX_NONTX, NULL },
	{ "discard all", SQL_TX_NONTX, NULL },
	{ "discard plans", SQL_TX_NORMAL, NULL },
	{ "create table concurrently_named (a int)", SQL_TX_NORMAL, NULL },
};

static void test_kind(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(kind_cases); i++) {
		const struct kind_case *c = &kind_cases[i];
		struct sql_script s;
		struct zerr e = { 0 };
		char *name;

		CHECK(sql_split(c->src, strlen(c->src), "t.sql", &s, &e) == 0, "split: %s", e.msg);
		if (s.n != 1)
			continue;
		CHECK(sql_stmt_txkind(&s.v[0]) == c->kind, "[%s]: kind %d, want %d", c->src,
		      sql_stmt_txkind(&s.v[0]), c->kind);
		name = sql_cic_index_name(&s.v[0]);
		CHECK((name == NULL) == (c->cic_name == NULL) &&
			      (!name || strcmp(name, c->cic_name) == 0),
		      "[%s]: index name %s, want %s", c->src, name ? name : "NULL",
		      c->cic_name ? c->cic_name : "NULL");
		free(name);
		sql_script_release(&s);
	}
}

struct detach_case {
	const char *src;
	const char *parent, *child; /* expected sql_detach_names, or NULL */
};

static const struct detach_case detach_cases[] = {
	{ "alter table p detach partition c concurrently", "p", "c" },
	{ "ALTER TABLE IF EXISTS ONLY s.\"P\" DETACH PARTITION s . \"c 1\" CONCURRENTLY", "s.\"P\"",
	  "s.\"c 1\"" },
	{ "alter table db.s.p detach partition db.s.c concurrently", "db.s.p", "db.s.c" },
	{ "alter table p detach partition c finalize", NULL, NULL },
	{ "alter table p detach partition c", NULL, NULL },
	{ "alter table p detach partition concurrently", NULL, NULL },
	{ "alter table p add column c int", NULL, NULL },
	{ "alter index p detach partition c concurrently", NULL, NULL },
};

static void test_detach(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(detach_cases); i++) {
		const struct detach_case *c = &detach_cases[i];
		struct sql_script s;
		struct zerr e = { 0 };
		char *parent, *child;
		int yes;

		CHECK(sql_split(c->src, strlen(c->src), "t.sql", &s, &e) == 0, "split: %s", e.msg);
		if (s.n != 1)
			continue;
		yes = sql_detach_names(&s.v[0], &parent, &child);
		CHECK(yes == (c->parent != NULL), "[%s]: detach %d", c->src, yes);
		CHECK(yes ? strcmp(parent, c->parent) == 0 && strcmp(child, c->child) == 0
			  : !parent && !child,
		      "[%s]: parent %s, child %s", c->src, parent ? parent : "NULL",
		      child ? child : "NULL");
		free(parent);
		free(child);
		sql_script_release(&s);
	}
}

struct reindex_case {
	const char *src;
	const char *name; /* expected sql_reindex_target, or NULL */
	int table;
};

static const struct reindex_case reindex_cases[] = {
	{ "reindex index concurrently t_email_idx", "t_email_idx", 0 },
	{ "REINDEX TABLE CONCURRENTLY s.\"T 1\"", "s.\"T 1\"", 1 },
	{ "reindex (verbose, tablespace fast) index concurrently db.s.i", "db.s.i", 0 },
	{ "reindex (concurrently) table t", "t", 1 },
	{ "reindex (concurrently true, verbose (false)) table t", "t", 1 },
	{ "reindex index i", "i", 0 },
	{ "reindex schema concurrently s", NULL, 0 },
	{ "reindex database concurrently d", NULL, 0 },
	{ "reindex system d", NULL, 0 },
	{ "reindex table concurrently", NULL, 0 },
	{ "reindex (verbose table t", NULL, 0 },
	{ "reindex index concurrently i j", NULL, 0 },
	{ "create index concurrently i on t (c)", NULL, 0 },
};

static void test_reindex(void)
{
	for (size_t i = 0; i < ZDM_ARRAY_LEN(reindex_cases); i++) {
		const struct reindex_case *c = &reindex_cases[i];
		struct sql_script s;
		struct zerr e = { 0 };
		char *name;
		int yes, table;

		CHECK(sql_split(c->src, strlen(c->src), "t.sql", &s, &e) == 0, "split: %s", e.msg);
		if (s.n != 1)
			continue;
		yes = sql_reindex_target(&s.v[0], &table, &name);
		CHECK(yes == (c->name != NULL), "[%s]: reindex %d", c->src, yes);
		CHECK(yes ? strcmp(name, c->name) == 0 && table == c->table : !name && !table,
		      "[%s]: name %s, table %d", c->src, name ? name : "NULL", table);
		free(name);
		sql_script_release(&s);
	}
}

int main(void)
{
	test_kind();
	test_detach();
	test_reindex();
	test_split();
	test_position();
	test_head();
	return unit_done("sql");
}
