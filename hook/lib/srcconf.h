/*
 * srcconf — the settings a migrations directory carries with it, so that
 * a Flyway project is adopted without editing a migration:
 *
 *   flyway.toml   Flyway's TOML configuration ([flyway] and
 *                 [flyway.placeholders]); when present, flyway.conf is
 *                 not read (Flyway ignores .conf files then)
 *   flyway.conf   Flyway's Java-properties configuration (flyway.KEY=...,
 *                 ${VAR} expanded from the environment)
 *   zdm.yaml      zdm's own settings: since, encoding, mixed, locations,
 *                 placeholders, ignore-migration-patterns and lint
 *                 allowances per file and rule, each with a reason
 *
 * Precedence (highest first): a command-line flag (--placeholder
 * NAME=VALUE, --encoding, ...), the environment
 * (ZDM_* variables; ZDM_PLACEHOLDER_<NAME> and Flyway's
 * FLYWAY_PLACEHOLDERS_<NAME>, name lower-cased), zdm.yaml, flyway.toml or
 * flyway.conf, the default. The loader (source_load) reads them itself, so
 * every command that loads a directory gets them.
 *
 * Keys of Flyway's that zdm reads: encoding, placeholders.*,
 * placeholderReplacement, placeholderPrefix, placeholderSuffix, mixed,
 * ignoreMigrationPatterns, baselineOnMigrate, baselineVersion, table
 * (only for ${flyway:table}), locations (source.c resolves them),
 * outOfOrder (the default of --out-of-order) and validateOnMigrate
 * (false: plan_validate logs what Flyway would not check instead of
 * refusing it). Other keys are ignored. A malformed file is exit 2 with
 * file:line.
 *
 * Ownership: srcconf_load fills a struct srcconf that owns its strings;
 * srcconf_release frees them.
 */
#ifndef ZDM_SRCCONF_H
#define ZDM_SRCCONF_H

#include <stddef.h>

#include "util.h"

struct srcconf_placeholder {
	char *name;
	char *value;
	char *from; /* "zdm.yaml:12", "flyway.conf:3", "environment ..." */
};

struct srcconf_allow {
	char *file; /* a migration's file name */
	char *rule;
	char *reason;
	int line; /* in zdm.yaml */
};

struct srcconf {
	char *encoding; /* NULL: UTF-8 */
	int mixed;
	int placeholder_replacement; /* Flyway's default: on */
	char *prefix, *suffix; /* "${", "}" */
	struct srcconf_placeholder *ph;
	size_t nph;
	char *since;
	char *since_at; /* "zdm.yaml:3", where since was set */
	char *ignore_patterns;
	char *table; /* flyway.table, for ${flyway:table} */
	int baseline_on_migrate; /* flyway.baselineOnMigrate */
	char *locations; /* flyway.locations, comma-separated (NULL: none) */
	char *locations_at; /* "flyway.conf:3", where it was set */
	int out_of_order; /* flyway.outOfOrder; -1: not set */
	int validate_on_migrate; /* flyway.validateOnMigrate; -1: not set */
	char *validate_at; /* where validateOnMigrate was set */
	char *baseline_version; /* flyway.baselineVersion (NULL: "1") */
	struct srcconf_allow *allows;
	size_t nallows;
	char *zdm_yaml; /* path of the zdm.yaml read, or NULL */
	char *flyway_file; /* path of the flyway.toml/.conf read, or NULL */
};

/* A script configuration, V1__x.sql.conf beside V1__x.sql (Flyway's
 * per-script settings; see srcconf.c for the keys and their source). */
struct srcconf_script {
	int execute_in_transaction; /* -1: not set; as transaction=on/off */
	int placeholder_replacement; /* -1: not set; beats the set's */
	char *encoding; /* NULL: not set; beats --encoding and the set's */
};
/* Parse text (the file at path, NUL-terminated, modified) into s. A
 * malformed line, a bad boolean or an unknown key is exit 2 with
 * path:line. */
int srcconf_script_parse(const char *path, char *text, struct srcconf_script *s, struct zerr *e);
void srcconf_script_release(struct srcconf_script *s);

/* Read the settings files of dir and the environment; the flag values
 * (NULL when not given) are not read here: callers apply them over. */
int srcconf_load(const char *dir, struct srcconf *c, struct zerr *e);
void srcconf_release(struct srcconf *c);

/* Apply --placeholder NAME=VALUE flags (n of them, later ones win) over
 * what the files and the environment gave. */
void srcconf_placeholder_flags(struct srcconf *c, const char *const *assign, size_t n);

/* The value of placeholder name, or NULL. */
const char *srcconf_placeholder(const struct srcconf *c, const char *name);

#endif
