/*
 * argocd — ARGOCD_APP_PARAMETERS with jansson, the ARGOCD_ENV_ZDM_*
 * variables, the release name, values file checks (see argocd.h).
 *
 * Each parameter is one object {"name": s, "string"?: s, "array"?: [s],
 * "map"?: {s: s}}; json_unpack_ex with JSON_STRICT validates the shape
 * and reports what is wrong. Map keys are sorted so the --set order does
 * not depend on how the JSON was written.
 */
#include "argocd.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chart.h"

const char *argocd_env(const char *name)
{
	char key[128];
	const char *v;

	snprintf(key, sizeof(key), "ARGOCD_ENV_%s", name);
	v = getenv(key);
	return v && *v ? v : NULL;
}

/* The sidecar's own ZDM_<name>, the last resort for values and --set, so
 * helm-args and render --argocd agree. */
static const char *argocd_plain_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int argocd_release(char **out, struct zerr *e)
{
	const char *app = getenv("ARGOCD_APP_NAME");
	const char *us;

	if (!app || !*app) {
		zerr_set(e, ZDM_EXIT_USAGE, "ARGOCD_APP_NAME is not set");
		zerr_hint(e,
			  "--argocd is for the Argo CD plugin's generate step, where Argo CD sets "
			  "ARGOCD_APP_NAME and ARGOCD_APP_NAMESPACE");
		return -1;
	}
	us = strrchr(app, '_');
	*out = xstrdup(us ? us + 1 : app);
	return 0;
}

/* The application's source root: the working directory without the
 * trailing components of ARGOCD_APP_SOURCE_PATH. Caller frees. */
static char *argocd_source_root(void)
{
	const char *sp = getenv("ARGOCD_APP_SOURCE_PATH");
	char *cwd = realpath(".", NULL), *copy, *save = NULL;
	int depth = 0;

	if (!cwd)
		return NULL;
	copy = xstrdup(sp ? sp : "");
	for (char *k = strtok_r(copy, "/", &save); k; k = strtok_r(NULL, "/", &save)) {
		if (!strcmp(k, ".."))
			depth = -1000; /* not a plain descent: stay at the app dir */
		else if (strcmp(k, "."))
			depth++;
	}
	free(copy);
	while (depth-- > 0) {
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			break;
		*slash = '\0';
	}
	return cwd;
}

/* A values file must be a path inside the application's source: helm
 * would otherwise read any file of the plugin container, or fetch a URL. */
static int argocd_check_values_file(const char *path, struct zerr *e)
{
	char *root = NULL, *real = NULL;
	size_t rlen;
	int rc = -1;

	if (path[0] == '/' || strstr(path, "://")) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "values file \"%s\": give a path relative to the "
			 "application's source directory",
			 path);
		zerr_hint(e,
			  "absolute paths and URLs are refused: the plugin must not read files of "
			  "its container or fetch from the network");
		return -1;
	}
	real = realpath(path, NULL);
	if (!real) {
		zerr_set(e, ZDM_EXIT_USAGE, "values file \"%s\" does not exist (in %s)", path,
			 getenv("ARGOCD_APP_SOURCE_PATH") ? getenv("ARGOCD_APP_SOURCE_PATH") : ".");
		zerr_hint(e, "values-files are relative to the application's source path");
		return -1;
	}
	root = argocd_source_root();
	rlen = root ? strlen(root) : 0;
	if (!root || strncmp(real, root, rlen) != 0 || (real[rlen] != '/' && real[rlen] != '\0')) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "values file \"%s\" is outside the application's source", path);
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(root);
	free(real);
	return rc;
}

static int argocd_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "KEY=VALUE" for helm --set: commas in the value escaped (helm splits
 * pairs on them), unless the value is a {a,b} list. */
static char *argocd_set_pair(const char *key, const char *value)
{
	struct sb s;
	size_t n = strlen(value);
	int list = n >= 2 && value[0] == '{' && value[n - 1] == '}';

	sb_init(&s);
	sb_addf(&s, "%s=", key);
	for (size_t i = 0; i < n; i++) {
		if (value[i] == ',' && !list && (i == 0 || value[i - 1] != '\\'))
			sb_addc(&s, '\\');
		sb_addc(&s, value[i]);
	}
	return sb_steal(&s);
}

/* "true" or "false" (what the Argo CD UI and an Application's YAML
 * give) into *out. */
static int argocd_bool(const char *name, const char *text, int *out, struct zerr *e)
{
	if (!strcmp(text, "true") || !strcmp(text, "false")) {
		*out = !strcmp(text, "true");
		return 0;
	}
	return zerr_set(e, ZDM_EXIT_USAGE, "%s \"%s\" is not one of true|false", name, text);
}

static int argocd_param(struct argocd_params *p, json_t *item, size_t idx, struct zerr *e)
{
	json_error_t jerr;
	const char *name = NULL, *str = NULL;
	json_t *arr = NULL, *map = NULL;

	if (json_unpack_ex(item, &jerr, JSON_STRICT, "{s:s, s?s, s?o, s?o}", "name", &name,
			   "string", &str, "array", &arr, "map", &map) < 0) {
		zerr_set(e, ZDM_EXIT_USAGE, "ARGOCD_APP_PARAMETERS: parameter %zu: %s", idx + 1,
			 jerr.text);
		return -1;
	}
	if (!strcmp(name, "values-files")) {
		size_t i;
		json_t *v;
		if (!arr || !json_is_array(arr) || str || map) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "ARGOCD_APP_PARAMETERS: \"values-files\" must be an array of file "
				 "names");
			return -1;
		}
		p->values_set = 1;
		json_array_foreach (arr, i, v) {
			if (!json_is_string(v)) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "ARGOCD_APP_PARAMETERS: \"values-files\" item %zu is not "
					 "a string",
					 i + 1);
				return -1;
			}
			if (argocd_check_values_file(json_string_value(v), e) < 0)
				return -1;
			strv_push(&p->values, json_string_value(v));
		}
		return 0;
	}
	if (!strcmp(name, "helm-parameters")) {
		const char *key;
		json_t *v;
		struct strv keys = { 0 };
		if (!map || !json_is_object(map) || str || arr) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "ARGOCD_APP_PARAMETERS: \"helm-parameters\" must be a map of KEY: "
				 "VALUE");
			return -1;
		}
		p->sets_set = 1;
		json_object_foreach (map, key, v) {
			if (!json_is_string(v)) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "ARGOCD_APP_PARAMETERS: \"helm-parameters\" value of "
					 "\"%s\" is not a string",
					 key);
				strv_release(&keys);
				return -1;
			}
			strv_push(&keys, key);
		}
		if (keys.n)
			util_sort(keys.v, keys.n, sizeof(*keys.v), argocd_cmp_str);
		for (size_t i = 0; i < keys.n; i++) {
			char *pair = argocd_set_pair(keys.v[i],
						     json_string_value(
							     json_object_get(map, keys.v[i])));
			strv_push(&p->sets, pair);
			free(pair);
		}
		strv_release(&keys);
		return 0;
	}
	if (!strcmp(name, "mode") || !strcmp(name, "migrations")) {
		char **dst = !strcmp(name, "mode") ? &p->mode : &p->migrations;
		if (!str || arr || map) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "ARGOCD_APP_PARAMETERS: \"%s\" must be a string", name);
			return -1;
		}
		free(*dst);
		*dst = xstrdup(str);
		return 0;
	}
	if (!strcmp(name, "app-name")) {
		if (!str || arr || map) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "ARGOCD_APP_PARAMETERS: \"%s\" must be a string", name);
			return -1;
		}
		return argocd_bool(name, str, &p->app_name, e);
	}
	zerr_set(e, ZDM_EXIT_USAGE, "ARGOCD_APP_PARAMETERS: unknown parameter \"%s\"", name);
	zerr_hint(e, "the zdm plugin takes values-files, helm-parameters, mode, migrations and "
		     "app-name");
	return -1;
}

int argocd_params_load(struct argocd_params *p, struct zerr *e)
{
	const char *raw = getenv("ARGOCD_APP_PARAMETERS"), *env;
	json_error_t jerr;
	json_t *root = NULL, *item;
	size_t i;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	p->app_name = -1;
	/* Argo CD sends the JSON null for an Application with no parameters */
	if (raw && *raw && strcmp(raw, "null") != 0) {
		root = json_loads(raw, JSON_REJECT_DUPLICATES, &jerr);
		if (!root) {
			zerr_set(e, ZDM_EXIT_USAGE,
				 "ARGOCD_APP_PARAMETERS is not JSON: %s (column %d)", jerr.text,
				 jerr.column);
			return -1;
		}
		if (!json_is_array(root)) {
			zerr_set(e, ZDM_EXIT_USAGE, "ARGOCD_APP_PARAMETERS is not a JSON array");
			goto cleanup;
		}
		json_array_foreach (root, i, item) {
			if (argocd_param(p, item, i, e) < 0)
				goto cleanup;
		}
	}
	if (!p->values_set &&
	    ((env = argocd_env("ZDM_VALUES")) || (env = argocd_plain_env("ZDM_VALUES")))) {
		struct strv files = { 0 };
		chart_split_list(env, &files);
		for (size_t k = 0; k < files.n; k++) {
			if (argocd_check_values_file(files.v[k], e) < 0) {
				strv_release(&files);
				goto cleanup;
			}
			strv_push(&p->values, files.v[k]);
		}
		strv_release(&files);
		p->values_set = 1;
	}
	if (!p->sets_set &&
	    ((env = argocd_env("ZDM_SET")) || (env = argocd_plain_env("ZDM_SET")))) {
		strv_push(&p->sets, env);
		p->sets_set = 1;
	}
	if (!p->mode && (env = argocd_env("ZDM_MODE")))
		p->mode = xstrdup(env);
	if (!p->migrations && (env = argocd_env("ZDM_MIGRATIONS_DIR")))
		p->migrations = xstrdup(env);
	if (p->app_name < 0 && (env = argocd_env("ZDM_APP_NAME")) &&
	    argocd_bool("ZDM_APP_NAME", env, &p->app_name, e) < 0)
		goto cleanup;
	if (p->mode && strcmp(p->mode, "hook") != 0 && strcmp(p->mode, "wave") != 0) {
		zerr_set(e, ZDM_EXIT_USAGE, "mode \"%s\" is not one of hook|wave", p->mode);
		goto cleanup;
	}
	rc = 0;
cleanup:
	json_decref(root);
	if (rc < 0)
		argocd_params_release(p);
	return rc;
}

void argocd_params_release(struct argocd_params *p)
{
	strv_release(&p->values);
	strv_release(&p->sets);
	free(p->mode);
	free(p->migrations);
	memset(p, 0, sizeof(*p));
}
