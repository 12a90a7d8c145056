/*
 * chart — Chart.yaml identity, injected or not, values lookups (see
 * chart.h). Every YAML file is read through ydoc; values files as Helm
 * reads them (YDOC_HELM: the last duplicate key wins, aliases expanded).
 */
#include "chart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ydoc.h"

static char *chart_scalar(const struct ynode *m, const char *key)
{
	const struct ynode *n = ynode_get(m, key);

	if (!n || n->type != Y_SCALAR || ynode_is_null(n))
		return xstrdup("");
	return xstrdup(n->value);
}

int chart_load(const char *dir, struct chart_info *c, struct zerr *e)
{
	struct ystream ys;
	struct ynode *root;
	struct stat st;
	char *path;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		zerr_set(e, ZDM_EXIT_USAGE, "chart directory \"%s\" %s", dir,
			 stat(dir, &st) != 0 ? "does not exist" : "is not a directory");
		zerr_hint(e, "give the directory that holds the chart's Chart.yaml");
		return -1;
	}
	path = xasprintf("%s/Chart.yaml", dir);
	if (stat(path, &st) != 0) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is not a Helm chart: it has no Chart.yaml",
			 dir);
		zerr_hint(e, "give the chart directory (render: --chart DIR)");
		free(path);
		return -1;
	}
	if (ydoc_load_file_mode(path, YDOC_HELM, &ys, e) < 0) {
		e->code = ZDM_EXIT_USAGE;
		free(path);
		return -1;
	}
	root = ys.n ? ys.docs[0].root : NULL;
	if (!root || root->type != Y_MAP) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s: Chart.yaml is not a mapping", path);
		goto cleanup;
	}
	c->dir = xstrdup(dir);
	c->name = chart_scalar(root, "name");
	c->version = chart_scalar(root, "version");
	c->app_version = chart_scalar(root, "appVersion");
	if (!*c->name || !*c->version) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s: Chart.yaml has no %s", path,
			 *c->name ? "version" : "name");
		zerr_hint(e, "helm lint shows the same problem");
		chart_release(c);
		goto cleanup;
	}
	free(path);
	path = xasprintf("%s/%s", dir, CHART_MIGRATE_TEMPLATE);
	c->injected = stat(path, &st) == 0;
	rc = 0;
cleanup:
	ystream_release(&ys);
	free(path);
	return rc;
}

void chart_release(struct chart_info *c)
{
	free(c->dir);
	free(c->name);
	free(c->version);
	free(c->app_version);
	memset(c, 0, sizeof(*c));
}

void chart_values_files(const struct chart_info *c, struct strv *files)
{
	static const char *const names[] = { "values.yaml", CHART_ZDM_FILE };
	struct stat st;

	for (size_t i = 0; i < ZDM_ARRAY_LEN(names); i++) {
		char *p = xasprintf("%s/%s", c->dir, names[i]);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			strv_push(files, p);
		free(p);
	}
}

int chart_values_get(const struct strv *files, const char *path, char **out, struct zerr *e)
{
	*out = NULL;
	for (size_t i = 0; i < files->n; i++) {
		struct ystream ys;
		const struct ynode *n;

		if (ydoc_load_file_mode(files->v[i], YDOC_HELM, &ys, e) < 0) {
			e->code = ZDM_EXIT_USAGE;
			free(*out);
			*out = NULL;
			return -1;
		}
		n = ys.n ? ynode_dig(ys.docs[0].root, path) : NULL;
		if (n && n->type == Y_SCALAR && !ynode_is_null(n)) {
			free(*out);
			*out = xstrdup(n->value);
		}
		ystream_release(&ys);
	}
	return 0;
}

int chart_migrations_dir(const struct chart_info *c, const struct strv *values, char **out,
			 struct zerr *e)
{
	char *rel = NULL;

	*out = NULL;
	if (chart_values_get(values, "zdm.migrations.path", &rel, e) < 0)
		return -1;
	*out = xasprintf("%s/%s", c->dir, rel && *rel ? rel : "migrations");
	free(rel);
	return 0;
}

void chart_split_list(const char *list, struct strv *out)
{
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len) {
			char *item = xstrndup(p, len);
			strv_push(out, item);
			free(item);
		}
		p = comma ? comma + 1 : NULL;
	}
}
