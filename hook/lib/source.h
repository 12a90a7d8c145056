/*
 * source — a directory of migration files, parsed and validated.
 *
 * Names are Flyway's: V<version>__<description>.sql (versioned, applied
 * once in version order), R__<description>.sql (repeatable, re-applied
 * whenever its checksum changes) and B<version>__<description>.sql
 * (baseline: on a database with no applied versions the highest one is
 * applied instead of the versions at or below it; kept apart, in
 * src_set.baselines). Versions compare numerically part by
 * part ("1.1" == "1_1" == "1.01"; "1.0" == "1"). Non-.sql files and hidden
 * entries (a ConfigMap mount's "..data") are ignored; a .sql file that is
 * not a valid migration name is an error, so nothing is silently skipped.
 * The directory is read flat, unless the settings name Flyway locations:
 * then those are read instead, recursively (source_locations in
 * source.c), and a file's name is its path relative to its location.
 *
 * A file without a transaction= directive whose statements cannot run in
 * a transaction (CREATE/DROP INDEX CONCURRENTLY, VACUUM, CREATE DATABASE,
 * ALTER SYSTEM, ...: sql_stmt_txkind) runs without one, as Flyway does;
 * such a statement together with one that should run in a transaction
 * (SET counts, as in Flyway) is an error unless the set's mixed setting
 * is on (Flyway's "mixed"), which runs the whole file without one.
 *
 * Flyway's script configuration V1__x.sql.conf beside a migration
 * (srcconf_script) is read with it: executeInTransaction acts as a
 * transaction= directive (both, disagreeing, is an error), encoding and
 * placeholderReplacement beat the set's. It is not a migration.
 *
 * Directives live in `-- zdm:` comments. File-level ones (transaction=,
 * lock-timeout=, statement-timeout=, phase=, requires-app=) must be in the
 * leading comment block; `allow=<rule> reason="..."` may stand before any
 * statement and applies to that statement.
 *
 * Ownership: source_load fills a struct src_set that owns everything in
 * it (file contents included); source_release frees it all.
 */
#ifndef ZDM_SOURCE_H
#define ZDM_SOURCE_H

#include <stdint.h>

#include "sql.h"
#include "srcconf.h"
#include "util.h"

enum src_kind { SRC_VERSIONED, SRC_REPEATABLE, SRC_BASELINE };
enum src_phase { SRC_PHASE_EXPAND = 0, SRC_PHASE_CONTRACT };

struct src_allow {
	size_t stmt; /* index into script.v */
	int line; /* line of the directive */
	char *rule;
	char *reason;
};

struct recipe;

struct src_migration {
	enum src_kind kind;
	char *file; /* base name, e.g. "V2__add_name.sql" */
	char *path; /* dir + "/" + file */
	char *version; /* "1.1" (underscores shown as dots); NULL for R__ */
	char *description; /* underscores shown as spaces */
	char *sql; /* contents, BOM removed */
	size_t len;
	int32_t checksum; /* Flyway-compatible CRC-32 */
	struct sql_script script;

	/* directives */
	int transactional; /* 0 with transaction=off, or as detected */
	int tx_directive; /* transaction= was written in the file */
	int tx_detected; /* no directive; runs without a transaction because
			    * its statements cannot run in one (as Flyway) */
	int mixed; /* Flyway's "mixed" setting for this file */
	struct srcconf_script sc; /* its V1__x.sql.conf (-1 / NULL: none) */
	char *sc_path; /* that file's path, or NULL */
	long long lock_timeout_ms; /* -1: the run's default */
	long long statement_timeout_ms;
	enum src_phase phase;
	char *requires_app; /* for phase=contract */
	int directive_line; /* line of the first directive, or 0 */
	struct src_allow *allows;
	size_t nallows;

	/* -- zdm: backfill table=T [key=K] [batch-size=N] [batch-time=D] [delay=D]
	 * The body is one "UPDATE T [[AS] alias] SET ... WHERE cond". */
	int backfill;
	char *bf_table; /* as written in the directive */
	char *bf_key; /* NULL: the single-column primary key */
	long long bf_batch_size; /* first batch size */
	long long bf_batch_time_ms; /* target duration of one batch */
	long long bf_delay_ms; /* pause between batches */
	size_t bf_where; /* offset of WHERE in the statement text */
	char *bf_target; /* how the statement names the table (alias) */

	/* -- zdm: recipe=... (recipe.h): the body is not SQL to run, script
	 * is empty; the statements are compiled at apply time */
	struct recipe *recipe;
};

struct src_set {
	char *dir;
	struct src_migration *v; /* versioned in version order, then
				    * repeatables by description */
	size_t n;
	size_t nversioned;
	struct src_migration *baselines; /* B files in version order */
	size_t nbaselines;
	struct srcconf conf; /* the directory's settings files (srcconf.h) */
	const struct src_load_opts *lo; /* during loading only */
	int db_builtins; /* a file used ${flyway:user}, ${flyway:database} or
			  * ${flyway:defaultSchema} without their values */
};

/* What the caller knows better than the settings files: flags (NULL /
 * -1 when not given) and the values of Flyway's built-in placeholders
 * that need the database (NULL without one: ${flyway:user} and
 * ${flyway:database} then read "zdm", ${flyway:defaultSchema} "public"). */
struct src_load_opts {
	const char *encoding; /* --encoding */
	const char *const *placeholders; /* --placeholder NAME=VALUE (checked
					  * by opts: OPT_ASSIGN), beating the
					  * settings files and environment */
	size_t nplaceholders;
	int mixed; /* --mixed, -1 */
	const char *table; /* the history table, for ${flyway:table} */
	const char *user, *database, *schema;
};

/* Load every migration in dir. An entry named like a migration that is
 * not a readable regular file (a directory, a dangling symlink, a symlink
 * loop, a FIFO, an unreadable file) or whose contents are not UTF-8 text
 * is an error (exit 2) naming it; nothing is skipped. */
int source_load(const char *dir, struct src_set *out, struct zerr *e);
/* The same with the caller's flags and built-in values (lo may be NULL). */
int source_load_opts(const char *dir, const struct src_load_opts *lo, struct src_set *out,
		     struct zerr *e);
/* The same for an explicit list of files (each must be a migration). */
int source_load_files(const char *const *paths, size_t n, struct src_set *out, struct zerr *e);

/* A directory entry already in memory: its name and contents. */
struct src_text {
	const char *name;
	const char *data;
	size_t len;
};
/* The same as source_load for entries in memory (in any order): names
 * that are not migrations are ignored, the rest parsed and checked
 * exactly as files are. Paths are the bare names; out->dir is
 * "(memory)". */
int source_load_texts(const struct src_text *files, size_t n, struct src_set *out, struct zerr *e);
/* Check one option of a backfill directive (key=, batch-size=,
 * batch-time=, delay=) as a "-- zdm: backfill" line would take it; exit 2
 * with e set when its value is wrong. */
int source_check_backfill_option(const char *key, const char *value, struct zerr *e);
void source_release(struct src_set *s);

/* Parse one file name. Returns 1 for a migration (kind, version and
 * description set, caller frees both), 0 for a file to ignore, -1 with e
 * set for a malformed migration name. */
int source_parse_name(const char *name, enum src_kind *kind, char **version, char **description,
		      struct zerr *e);

/* One key=value pair of a `-- zdm:` directive line; value may be
 * "quoted" (NULL for a bare word). */
struct source_kv {
	char key[64];
	char *value;
};
/* Parse "key=value key2="v a l"" into kvs (values allocated). Returns the
 * count, or -1 with e set. */
int source_parse_kvs(const char *text, size_t len, struct source_kv *kvs, int max, struct zerr *e);

/* Is s a version as in a file name: numbers separated by "." or "_"? */
int source_version_valid(const char *s);

/* Compare two version strings numerically part by part. */
int source_version_cmp(const char *a, const char *b);

/* Flyway's checksum: CRC-32 of the bytes with line terminators and a
 * leading UTF-8 BOM removed, as a signed 32-bit integer. The loader
 * first transcodes a file to UTF-8 (the encoding setting), as Flyway
 * checksums the lines it read, re-encoded as UTF-8. */
int32_t source_checksum(const char *data, size_t len);

/* Find a versioned migration by version; NULL when absent. */
struct src_migration *source_find_version(struct src_set *s, const char *version);

#endif
