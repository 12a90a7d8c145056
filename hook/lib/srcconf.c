/*
 * srcconf — a migrations directory's settings files (see srcconf.h).
 */
#include "srcconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ydoc.h"

extern char **environ;

#define SRCCONF_MAX_FILE (1024u * 1024)

static void srcconf_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static void srcconf_ph_set(struct srcconf *c, const char *name, const char *value, const char *from)
{
	for (size_t i = 0; i < c->nph; i++) {
		if (strcmp(c->ph[i].name, name) != 0)
			continue;
		srcconf_str(&c->ph[i].value, value);
		srcconf_str(&c->ph[i].from, from);
		return;
	}
	c->ph = xrealloc(c->ph, (c->nph + 1) * sizeof(*c->ph));
	c->ph[c->nph].name = xstrdup(name);
	c->ph[c->nph].value = xstrdup(value);
	c->ph[c->nph].from = xstrdup(from);
	c->nph++;
}

void srcconf_placeholder_flags(struct srcconf *c, const char *const *assign, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(assign[i], '=');
		char *name;

		if (!eq || eq == assign[i])
			continue; /* opts refused it (OPT_ASSIGN) */
		name = xstrndup(assign[i], (size_t)(eq - assign[i]));
		srcconf_ph_set(c, name, eq + 1, "--placeholder");
		free(name);
	}
}

const char *srcconf_placeholder(const struct srcconf *c, const char *name)
{
	for (size_t i = 0; i < c->nph; i++)
		if (strcmp(c->ph[i].name, name) == 0)
			return c->ph[i].value;
	return NULL;
}

static int srcconf_bool(const char *v, int *out)
{
	if (strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* One of Flyway's keys (without "flyway."), from a .conf or .toml line. */
static int srcconf_flyway_key(struct srcconf *c, const char *key, const char *value,
			      const char *where, struct zerr *e)
{
	if (strncmp(key, "placeholders.", 13) == 0 && key[13]) {
		srcconf_ph_set(c, key + 13, value, where);
		return 0;
	}
	if (strcmp(key, "encoding") == 0) {
		srcconf_str(&c->encoding, value);
	} else if (strcmp(key, "placeholderPrefix") == 0) {
		srcconf_str(&c->prefix, value);
	} else if (strcmp(key, "placeholderSuffix") == 0) {
		srcconf_str(&c->suffix, value);
	} else if (strcmp(key, "ignoreMigrationPatterns") == 0) {
		srcconf_str(&c->ignore_patterns, value);
	} else if (strcmp(key, "table") == 0) {
		srcconf_str(&c->table, value);
	} else if (strcmp(key, "baselineVersion") == 0) {
		srcconf_str(&c->baseline_version, value);
	} else if (strcmp(key, "locations") == 0) {
		srcconf_str(&c->locations, value);
		srcconf_str(&c->locations_at, where);
	} else if (strcmp(key, "outOfOrder") == 0 || strcmp(key, "validateOnMigrate") == 0) {
		int *b = key[0] == 'o' ? &c->out_of_order : &c->validate_on_migrate;
		if (srcconf_bool(value, b) < 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: %s=\"%s\" is not true or false", where,
				 key, value);
			return -1;
		}
		if (key[0] == 'v')
			srcconf_str(&c->validate_at, where);
	} else if (strcmp(key, "baselineOnMigrate") == 0) {
		if (srcconf_bool(value, &c->baseline_on_migrate) < 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: %s=\"%s\" is not true or false", where,
				 key, value);
			return -1;
		}
	} else if (strcmp(key, "mixed") == 0 || strcmp(key, "placeholderReplacement") == 0) {
		int b;
		if (srcconf_bool(value, &b) < 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: %s=\"%s\" is not true or false", where,
				 key, value);
			return -1;
		}
		if (key[0] == 'm')
			c->mixed = b;
		else
			c->placeholder_replacement = b;
	}
	return 0;
}

/* Expand ${VAR} from the environment in a flyway.conf value (Flyway
 * does, for its configuration files); an unset variable stays as it is. */
static char *srcconf_expand_env(const char *v)
{
	struct sb s;

	sb_init(&s);
	while (*v) {
		const char *end;
		if (v[0] == '$' && v[1] == '{' && (end = strchr(v + 2, '}')) != NULL) {
			char *name = xstrndup(v + 2, (size_t)(end - v - 2));
			const char *val = getenv(name);
			if (val)
				sb_adds(&s, val);
			else
				sb_add(&s, v, (size_t)(end - v + 1));
			free(name);
			v = end + 1;
			continue;
		}
		sb_addc(&s, *v);
		v++;
	}
	return sb_steal(&s);
}

/* One key of a properties file: key and value trimmed, where "path:line". */
typedef int (*srcconf_kv_fn)(void *arg, const char *key, const char *value, const char *where,
			     struct zerr *e);

/* flyway.conf's keys: flyway.KEY, ${VAR} expanded; others ignored. */
static int srcconf_conf_key(void *arg, const char *key, const char *value, const char *where,
			    struct zerr *e)
{
	char *x;
	int rc;

	if (strncmp(key, "flyway.", 7) != 0)
		return 0;
	x = srcconf_expand_env(value);
	rc = srcconf_flyway_key(arg, key + 7, x, where, e);
	free(x);
	return rc;
}

/* Java properties (flyway.conf, V1__x.sql.conf): "key=value" or "key:
 * value", # and ! comments, a trailing backslash continues the line. */
static int srcconf_properties(const char *path, char *text, srcconf_kv_fn fn, void *arg,
			      struct zerr *e)
{
	char *p = text;
	int line = 0;

	while (*p) {
		char *eol = strchr(p, '\n'), *k, *sep, *val;
		struct sb logical;
		char where[1100];
		int first = ++line;
		int rc;

		sb_init(&logical);
		for (;;) {
			size_t n = eol ? (size_t)(eol - p) : strlen(p);
			if (n > 0 && p[n - 1] == '\r')
				n--;
			if (n > 0 && p[n - 1] == '\\' && eol) {
				sb_add(&logical, p, n - 1);
				p = eol + 1;
				eol = strchr(p, '\n');
				line++;
				while (*p == ' ' || *p == '\t')
					p++;
				continue;
			}
			sb_add(&logical, p, n);
			p = eol ? eol + 1 : p + n;
			break;
		}
		k = util_trim(logical.buf ? logical.buf : (char *)"");
		if (!*k || *k == '#' || *k == '!') {
			sb_release(&logical);
			continue;
		}
		sep = k + strcspn(k, "=:");
		if (*sep) {
			*sep = '\0';
			val = util_trim(sep + 1);
		} else {
			val = sep;
		}
		k = util_trim(k);
		snprintf(where, sizeof(where), "%s:%d", path, first);
		rc = fn(arg, k, val, where, e);
		sb_release(&logical);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A TOML array of strings ["a", 'b'] (v after its "["), its items
 * joined with commas as Flyway's .conf lists are, in *out (caller frees).
 * -1 when it is not one. */
static int srcconf_toml_array(const char *v, char **out)
{
	struct sb s;
	int n = 0;

	sb_init(&s);
	for (;;) {
		const char *end;
		while (*v == ' ' || *v == '\t' || *v == ',' || *v == '\r' || *v == '\n' ||
		       *v == '#') {
			if (*v == '#')
				v += strcspn(v, "\n");
			else
				v++;
		}
		if (*v == ']')
			break;
		if ((*v != '"' && *v != '\'') || !(end = strchr(v + 1, *v))) {
			sb_release(&s);
			return -1;
		}
		if (n++)
			sb_addc(&s, ',');
		sb_add(&s, v + 1, (size_t)(end - v - 1));
		v = end + 1;
		while (*v == ' ' || *v == '\t' || *v == '\r')
			v++;
		if (*v == '#')
			v += strcspn(v, "\n");
		if (*v != ',' && *v != ']' && *v != '\n') {
			sb_release(&s);
			return -1;
		}
	}
	*out = s.len ? sb_steal(&s) : xstrdup("");
	sb_release(&s);
	return 0;
}

/* Whether the TOML array text a (from its "[") is closed: a "]" outside
 * quotes balancing the first "[" (comments after "#" skipped). */
static int srcconf_toml_closed(const char *a)
{
	int depth = 0;
	char q = 0;

	for (; *a; a++) {
		if (q) {
			if (*a == q)
				q = 0;
		} else if (*a == '"' || *a == '\'') {
			q = *a;
		} else if (*a == '#') {
			while (a[1] && a[1] != '\n')
				a++;
		} else if (*a == '[') {
			depth++;
		} else if (*a == ']' && --depth == 0) {
			return 1;
		}
	}
	return 0;
}

/* A TOML value: "string", 'literal', or a bare word (true, 42). */
static int srcconf_toml_value(char *v, char **out)
{
	size_t n;

	v = util_trim(v);
	if (*v == '"' || *v == '\'') {
		char q = *v;
		char *end = strchr(v + 1, q);
		if (!end)
			return -1;
		*end = '\0';
		if (*util_trim(end + 1) && *util_trim(end + 1) != '#')
			return -1;
		*out = v + 1;
		return 0;
	}
	n = strcspn(v, "#");
	v[n] = '\0';
	v = util_trim(v);
	if (!*v || *v == '[' || *v == '{')
		return *v ? 1 : -1; /* arrays and tables: not a key zdm reads */
	*out = v;
	return 0;
}

/* flyway.toml: [flyway] and [flyway.placeholders]; every other table
 * ([environments.*], [flywayDesktop], ...) is skipped. */
static int srcconf_toml(struct srcconf *c, const char *path, char *text, struct zerr *e)
{
	char section[256] = "";
	char *p = text;
	int line = 0;

	while (*p) {
		char *eol = strchr(p, '\n'), *s, *eq, *val = NULL;
		char where[1100];
		int rc;

		line++;
		if (eol)
			*eol = '\0';
		s = util_trim(p);
		p = eol ? eol + 1 : p + strlen(p);
		snprintf(where, sizeof(where), "%s:%d", path, line);
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end) {
				zerr_set(e, ZDM_EXIT_USAGE, "%s: a table header without \"]\"",
					 where);
				return -1;
			}
			*end = '\0';
			snprintf(section, sizeof(section), "%s",
				 util_trim(s + (s[1] == '[' ? 2 : 1)));
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: expected KEY = VALUE", where);
			zerr_hint(e, "e.g. encoding = \"ISO-8859-1\" under [flyway]");
			return -1;
		}
		*eq = '\0';
		if (*util_trim(eq + 1) == '[') {
			/* an array, perhaps over several lines: only
			 * [flyway] locations is read */
			struct sb arr;
			char *items = NULL;

			sb_init(&arr);
			sb_adds(&arr, util_trim(eq + 1));
			while (!srcconf_toml_closed(arr.buf) && *p) {
				eol = strchr(p, '\n');
				sb_addc(&arr, '\n');
				sb_add(&arr, p, eol ? (size_t)(eol - p) : strlen(p));
				p = eol ? eol + 1 : p + strlen(p);
				line++;
			}
			rc = srcconf_toml_closed(arr.buf) ? 0 : -1;
			s = util_trim(s);
			if (rc == 0 && strcmp(section, "flyway") == 0 &&
			    strcmp(s, "locations") == 0) {
				rc = srcconf_toml_array(arr.buf + 1, &items);
				if (rc == 0)
					rc = srcconf_flyway_key(c, s, items, where, e);
				else
					zerr_set(e, ZDM_EXIT_USAGE,
						 "%s: locations is not an array of strings", where);
			} else if (rc < 0) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "%s: the array of %s has no closing \"]\"", where, s);
			}
			free(items);
			sb_release(&arr);
			if (rc < 0)
				return -1;
			continue;
		}
		rc = srcconf_toml_value(eq + 1, &val);
		if (rc < 0) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "%s: the value of %s is not a TOML string or word", where,
				 util_trim(s));
			zerr_hint(e, "quote strings: key = \"value\"");
			return -1;
		}
		if (rc > 0)
			continue;
		s = util_trim(s);
		if (strcmp(section, "flyway") == 0) {
			if (srcconf_flyway_key(c, s, val, where, e) < 0)
				return -1;
		} else if (strcmp(section, "flyway.placeholders") == 0) {
			srcconf_ph_set(c, s, val, where);
		}
	}
	return 0;
}

static int srcconf_read(const char *path, char **text, int *found, struct zerr *e)
{
	struct stat st;
	size_t len;

	*found = 0;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return zerr_set(e, ZDM_EXIT_USAGE, "cannot read \"%s\": %s", path, strerror(errno));
	}
	*found = 1;
	return util_read_file(path, SRCCONF_MAX_FILE, text, &len, e);
}

static int srcconf_yaml_err(const char *path, const struct ynode *n, const char *what,
			    struct zerr *e)
{
	zerr_set(e, ZDM_EXIT_USAGE, "%s:%d:%d: %s", path, n ? n->line : 1, n ? n->col : 1, what);
	zerr_hint(e, "zdm.yaml keys: since, encoding, mixed, locations, placeholders (a map), "
		     "ignore-migration-patterns, lint: { allow: [ { file, rule, reason } ] }");
	return -1;
}

static int srcconf_yaml_allows(struct srcconf *c, const char *path, const struct ynode *lint,
			       struct zerr *e)
{
	const struct ynode *allow;

	if (lint->type != Y_MAP)
		return srcconf_yaml_err(path, lint, "lint: must be a map with \"allow\"", e);
	for (size_t i = 0; i < lint->n; i += 2)
		if (strcmp(lint->items[i]->value ? lint->items[i]->value : "", "allow") != 0)
			return srcconf_yaml_err(path, lint->items[i],
						"lint: the only key is \"allow\"", e);
	allow = ynode_get(lint, "allow");
	if (!allow || ynode_is_null(allow))
		return 0;
	if (allow->type != Y_SEQ)
		return srcconf_yaml_err(path, allow, "lint.allow: must be a list", e);
	for (size_t i = 0; i < allow->n; i++) {
		const struct ynode *it = allow->items[i], *f, *r, *why;
		if (it->type != Y_MAP)
			return srcconf_yaml_err(path, it,
						"lint.allow: each entry is { file, rule, reason }",
						e);
		for (size_t k = 0; k < it->n; k += 2) {
			const char *key = it->items[k]->value ? it->items[k]->value : "";
			if (strcmp(key, "file") && strcmp(key, "rule") && strcmp(key, "reason"))
				return srcconf_yaml_err(path, it->items[k],
							"lint.allow: unknown key (file, rule, reason)",
							e);
		}
		f = ynode_get(it, "file");
		r = ynode_get(it, "rule");
		why = ynode_get(it, "reason");
		if (!f || f->type != Y_SCALAR || !*f->value || !r || r->type != Y_SCALAR ||
		    !*r->value)
			return srcconf_yaml_err(path, it, "lint.allow: file and rule are required",
						e);
		if (!why || why->type != Y_SCALAR || !*util_trim(why->value))
			return srcconf_yaml_err(path, it,
						"lint.allow: a reason is required (why is it safe?)",
						e);
		c->allows = xrealloc(c->allows, (c->nallows + 1) * sizeof(*c->allows));
		c->allows[c->nallows].file = xstrdup(f->value);
		c->allows[c->nallows].rule = xstrdup(r->value);
		c->allows[c->nallows].reason = xstrdup(why->value);
		c->allows[c->nallows].line = it->line;
		c->nallows++;
	}
	return 0;
}

static int srcconf_yaml(struct srcconf *c, const char *path, struct zerr *e)
{
	struct ystream ys;
	const struct ynode *root;
	int rc = -1;

	memset(&ys, 0, sizeof(ys));
	if (ydoc_load_file(path, &ys, e) < 0)
		return -1;
	if (ys.n == 0 || !ys.docs[0].root) {
		rc = 0;
		goto cleanup;
	}
	if (ys.n > 1) {
		srcconf_yaml_err(path, NULL, "one YAML document expected", e);
		goto cleanup;
	}
	root = ys.docs[0].root;
	if (root->type != Y_MAP) {
		srcconf_yaml_err(path, root, "must be a map of settings", e);
		goto cleanup;
	}
	for (size_t i = 0; i < root->n; i += 2) {
		const struct ynode *k = root->items[i], *v = root->items[i + 1];
		const char *key = k->value ? k->value : "";
		char where[1100];

		snprintf(where, sizeof(where), "%s:%d", path, v->line);
		if (strcmp(key, "lint") == 0) {
			if (srcconf_yaml_allows(c, path, v, e) < 0)
				goto cleanup;
			continue;
		}
		if (strcmp(key, "placeholders") == 0) {
			if (v->type != Y_MAP) {
				srcconf_yaml_err(path, v, "placeholders: must be a map NAME: VALUE",
						 e);
				goto cleanup;
			}
			for (size_t j = 0; j < v->n; j += 2) {
				const struct ynode *pv = v->items[j + 1];
				char pw[1100];
				if (pv->type != Y_SCALAR) {
					srcconf_yaml_err(path, pv, "a placeholder's value is text",
							 e);
					goto cleanup;
				}
				snprintf(pw, sizeof(pw), "%s:%d", path, pv->line);
				srcconf_ph_set(c, v->items[j]->value, pv->value, pw);
			}
			continue;
		}
		if (v->type != Y_SCALAR) {
			srcconf_yaml_err(path, v, "this setting's value is a scalar", e);
			goto cleanup;
		}
		if (strcmp(key, "since") == 0) {
			srcconf_str(&c->since, v->value);
			srcconf_str(&c->since_at, where);
		} else if (strcmp(key, "encoding") == 0) {
			srcconf_str(&c->encoding, v->value);
		} else if (strcmp(key, "locations") == 0) {
			srcconf_str(&c->locations, v->value);
			srcconf_str(&c->locations_at, where);
		} else if (strcmp(key, "ignore-migration-patterns") == 0) {
			srcconf_str(&c->ignore_patterns, v->value);
		} else if (strcmp(key, "mixed") == 0) {
			if (srcconf_bool(v->value, &c->mixed) < 0) {
				srcconf_yaml_err(path, v, "mixed: true or false", e);
				goto cleanup;
			}
		} else {
			srcconf_yaml_err(path, k, "unknown setting", e);
			goto cleanup;
		}
	}
	rc = 0;
cleanup:
	ystream_release(&ys);
	return rc;
}

/* ZDM_PLACEHOLDER_<NAME> and Flyway's FLYWAY_PLACEHOLDERS_<NAME>: the
 * name lower-cased, as Flyway maps its variables. */
static void srcconf_env(struct srcconf *c)
{
	static const char *const prefixes[] = { "FLYWAY_PLACEHOLDERS_", "ZDM_PLACEHOLDER_" };

	for (size_t p = 0; p < ZDM_ARRAY_LEN(prefixes); p++) {
		size_t plen = strlen(prefixes[p]);
		for (char **env = environ; env && *env; env++) {
			const char *eq = strchr(*env, '=');
			char *name;
			char from[128];
			if (strncmp(*env, prefixes[p], plen) != 0 || !eq || eq == *env + plen)
				continue;
			name = xstrndup(*env + plen, (size_t)(eq - *env - plen));
			for (char *q = name; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			snprintf(from, sizeof(from), "environment variable %.*s", (int)(eq - *env),
				 *env);
			srcconf_ph_set(c, name, eq + 1, from);
			free(name);
		}
	}
	if (getenv("ZDM_ENCODING") && *getenv("ZDM_ENCODING"))
		srcconf_str(&c->encoding, getenv("ZDM_ENCODING"));
	if (getenv("ZDM_MIXED") && *getenv("ZDM_MIXED"))
		srcconf_bool(getenv("ZDM_MIXED"), &c->mixed);
}

int srcconf_load(const char *dir, struct srcconf *c, struct zerr *e)
{
	char *toml = xasprintf("%s/flyway.toml", dir), *conf = xasprintf("%s/flyway.conf", dir),
	     *yaml = xasprintf("%s/zdm.yaml", dir);
	char *text = NULL;
	int found = 0, rc = -1;
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->placeholder_replacement = 1;
	c->out_of_order = c->validate_on_migrate = -1;
	if (srcconf_read(toml, &text, &found, e) < 0)
		goto cleanup;
	if (found) {
		c->flyway_file = xstrdup(toml);
		if (srcconf_toml(c, toml, text, e) < 0)
			goto cleanup;
	} else {
		if (srcconf_read(conf, &text, &found, e) < 0)
			goto cleanup;
		if (found) {
			c->flyway_file = xstrdup(conf);
			if (srcconf_properties(conf, text, srcconf_conf_key, c, e) < 0)
				goto cleanup;
		}
	}
	if (stat(yaml, &st) == 0) {
		c->zdm_yaml = xstrdup(yaml);
		if (srcconf_yaml(c, yaml, e) < 0)
			goto cleanup;
	}
	srcconf_env(c);
	rc = 0;
cleanup:
	free(text);
	free(toml);
	free(conf);
	free(yaml);
	if (rc < 0)
		srcconf_release(c);
	return rc;
}

/* A script configuration's keys, as Flyway reads them (flyway-core
 * .../internal/sqlscript/SqlScriptMetadata.java): executeInTransaction
 * (ConfigUtils.removeBoolean: true or false, any case), encoding,
 * placeholderReplacement, and shouldExecute (Flyway Teams only); any
 * other key is an error (ConfigUtils.checkConfigurationForUnrecognised-
 * Properties). */
static int srcconf_script_key(void *arg, const char *key, const char *value, const char *where,
			      struct zerr *e)
{
	struct srcconf_script *s = arg;
	int *b = NULL;

	if (strcmp(key, "encoding") == 0) {
		srcconf_str(&s->encoding, value);
		return 0;
	}
	if (strcmp(key, "executeInTransaction") == 0)
		b = &s->execute_in_transaction;
	else if (strcmp(key, "placeholderReplacement") == 0)
		b = &s->placeholder_replacement;
	if (b) {
		if (srcconf_bool(value, b) < 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: %s=\"%s\" is not true or false", where,
				 key, value);
			zerr_hint(e, "write %s=true or %s=false", key, key);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "shouldExecute") == 0) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "%s: shouldExecute (a Flyway Teams setting) is not supported by zdm",
			 where);
		zerr_hint(e, "remove the key; a migration that must not run everywhere belongs "
			     "in a directory of its own (--dir)");
		return -1;
	}
	zerr_set(e, ZDM_EXIT_USAGE, "%s: unknown key \"%s\" in a script configuration", where, key);
	zerr_hint(e, "the keys of a V1__x.sql.conf file are executeInTransaction, encoding "
		     "and placeholderReplacement");
	return -1;
}

int srcconf_script_parse(const char *path, char *text, struct srcconf_script *s, struct zerr *e)
{
	memset(s, 0, sizeof(*s));
	s->execute_in_transaction = s->placeholder_replacement = -1;
	if (srcconf_properties(path, text, srcconf_script_key, s, e) < 0) {
		srcconf_script_release(s);
		return -1;
	}
	return 0;
}

void srcconf_script_release(struct srcconf_script *s)
{
	free(s->encoding);
	s->encoding = NULL;
}

void srcconf_release(struct srcconf *c)
{
	for (size_t i = 0; i < c->nph; i++) {
		free(c->ph[i].name);
		free(c->ph[i].value);
		free(c->ph[i].from);
	}
	for (size_t i = 0; i < c->nallows; i++) {
		free(c->allows[i].file);
		free(c->allows[i].rule);
		free(c->allows[i].reason);
	}
	free(c->ph);
	free(c->allows);
	free(c->encoding);
	free(c->prefix);
	free(c->suffix);
	free(c->since);
	free(c->since_at);
	free(c->ignore_patterns);
	free(c->table);
	free(c->baseline_version);
	free(c->locations);
	free(c->locations_at);
	free(c->validate_at);
	free(c->zdm_yaml);
	free(c->flyway_file);
	memset(c, 0, sizeof(*c));
}
