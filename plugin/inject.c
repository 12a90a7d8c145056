/*
 * inject — check a chart, plan the changes that add zdm to it, write
 * them. See inject.h for the rules; the shape is:
 *
 *   inject_check_chart   Chart.yaml present, parsed, not a library chart
 *   inject_plan_tmpl     each zdm template: create, update, keep, refuse
 *   inject_plan_obsolete zdm templates the current version dropped
 *   inject_plan_values   append the zdm: block unless a zdm: key exists;
 *                        warn about duplicate keys; report the pod
 *                        settings the Jobs inherit (inject_plan_inherit)
 *   inject_plan_hooks    the chart's own pre-install/pre-upgrade or
 *                        PreSync Jobs, and the order they and zdm's run in
 *   inject_plan_readme   migrations/README.md when migrations/ is absent
 *   inject_plan_apply    writability check, temporaries, then renames
 *
 * Every YAML read goes through ydoc; values.yaml is read the way Helm
 * reads it (YDOC_HELM: the last duplicate key wins, aliases and merge
 * keys expanded). The appended values.yaml is parsed again before
 * anything is written, so a file the block cannot be appended to safely
 * (an indented or flow root mapping, a document end marker) is refused
 * instead of broken.
 */
#include "inject.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helmrun.h"
#include "ydoc.h"

#define INJECT_MAX_FILE (16u * 1024 * 1024)

/* Exit code for an OS error while writing: the user's to fix
 * (permissions, read-only file system) or ours. */
static int inject_errno_code(int err)
{
	return err == EACCES || err == EPERM || err == EROFS ? ZDM_EXIT_USAGE : ZDM_EXIT_FAILED;
}

static struct inject_change *inject_add(struct inject_plan *p, enum inject_kind kind,
					const char *rel)
{
	struct inject_change *c;

	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	c = &p->v[p->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->rel = xstrdup(rel);
	c->path = xasprintf("%s/%s", p->chart, rel);
	return c;
}

static void inject_note(struct inject_plan *p, const char *fmt, ...) ZDM_PRINTF(2, 3);
static void inject_note(struct inject_plan *p, const char *fmt, ...)
{
	va_list ap;

	p->notes = xrealloc(p->notes, (p->nnotes + 1) * sizeof(*p->notes));
	va_start(ap, fmt);
	p->notes[p->nnotes++] = xvasprintf(fmt, ap);
	va_end(ap);
}

static void inject_warn(struct inject_plan *p, const char *fmt, ...) ZDM_PRINTF(2, 3);
static void inject_warn(struct inject_plan *p, const char *fmt, ...)
{
	va_list ap;

	p->warnings = xrealloc(p->warnings, (p->nwarnings + 1) * sizeof(*p->warnings));
	va_start(ap, fmt);
	p->warnings[p->nwarnings++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Check that chart is an application chart directory; sets p->name. */
static int inject_check_chart(struct inject_plan *p, struct zerr *e)
{
	struct stat st;
	struct ystream ys;
	struct ynode *root, *type, *name;
	char *path;
	int rc = -1;

	if (stat(p->chart, &st) != 0) {
		zerr_set(e, ZDM_EXIT_USAGE, "chart directory \"%s\" does not exist", p->chart);
		zerr_hint(e, "give the directory that holds the chart's Chart.yaml");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is not a chart directory", p->chart);
		if (util_str_has_suffix(p->chart, ".tgz") ||
		    util_str_has_suffix(p->chart, ".tar.gz"))
			zerr_hint(e, "inject works on a chart's source: unpack the archive first "
				     "(tar xzf, or helm pull --untar)");
		else
			zerr_hint(e, "give the directory that holds the chart's Chart.yaml");
		return -1;
	}
	path = xasprintf("%s/Chart.yaml", p->chart);
	if (stat(path, &st) != 0) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is not a Helm chart: it has no Chart.yaml",
			 p->chart);
		zerr_hint(e, "give the directory that holds the chart's Chart.yaml "
			     "(helm create NAME makes a new chart)");
		free(path);
		return -1;
	}
	if (ydoc_load_file_mode(path, YDOC_HELM, &ys, e) < 0) {
		e->code = ZDM_EXIT_USAGE;
		zerr_hint(e, "fix Chart.yaml first (helm lint shows the same problem)");
		free(path);
		return -1;
	}
	root = ys.n ? ys.docs[0].root : NULL;
	if (!root || root->type != Y_MAP) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s: Chart.yaml is not a mapping", path);
		zerr_hint(e, "fix Chart.yaml first (helm lint shows the same problem)");
		goto cleanup;
	}
	type = ynode_get(root, "type");
	if (type && type->type == Y_SCALAR && !strcmp(type->value, "library")) {
		zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is a library chart (%s:%d: type: library)",
			 p->chart, path, type->line);
		zerr_detail(e, "a library chart renders no resources, so it cannot carry the "
			       "migration Job");
		zerr_hint(e, "inject into the application chart that uses this library");
		goto cleanup;
	}
	name = ynode_get(root, "name");
	if (name && name->type == Y_SCALAR && name->len)
		p->name = xstrdup(name->value);
	else
		p->name = xstrdup(p->chart);
	rc = 0;
cleanup:
	ystream_release(&ys);
	free(path);
	return rc;
}

/* Read path into *buf when it exists: 1 read, 0 absent, -1 error. */
static int inject_read_existing(const char *path, char **buf, size_t *len, struct zerr *e)
{
	struct stat st;

	*buf = NULL;
	*len = 0;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return zerr_set(e, inject_errno_code(errno), "cannot read \"%s\": %s", path,
				strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" is a directory, expected a file", path);
	if (util_read_file(path, INJECT_MAX_FILE, buf, len, e) < 0)
		return -1;
	return 1;
}

/* A file that is a symlink is written through: the change targets the
 * link's destination, so the link itself survives the rename. */
static void inject_follow_link(struct inject_change *c)
{
	struct stat st;
	char *real;

	if (lstat(c->path, &st) != 0 || !S_ISLNK(st.st_mode))
		return;
	real = realpath(c->path, NULL);
	if (!real)
		return;
	free(c->path);
	c->path = real;
}

/* Plan one template; adds its path to refused (with the reason) when it
 * must not be overwritten without --force. */
static int inject_plan_tmpl(struct inject_plan *p, const struct tmpl_file *t, int force,
			    struct sb *refused, struct zerr *e)
{
	char *rel = xasprintf("templates/%s", t->name);
	char *path = xasprintf("%s/%s", p->chart, rel);
	char *cur = NULL, *want;
	size_t cur_len, want_len;
	struct inject_change *c;
	enum tmpl_state st;
	int r, rc = -1;

	want = tmpl_render(t, &want_len);
	r = inject_read_existing(path, &cur, &cur_len, e);
	if (r < 0)
		goto cleanup;
	if (r == 0) {
		c = inject_add(p, INJ_CREATE, rel);
		c->new_ = want;
		c->new_len = want_len;
		want = NULL;
		rc = 0;
		goto cleanup;
	}
	if (cur_len == want_len && memcmp(cur, want, want_len) == 0) {
		rc = 0;
		goto cleanup;
	}
	st = tmpl_check(cur, cur_len);
	if (st != TMPL_PRISTINE && !force) {
		sb_addf(refused, "\n  %s (%s)", rel,
			st == TMPL_MODIFIED ? "edited since zdm wrote it" : "not written by zdm");
		rc = 0;
		goto cleanup;
	}
	c = inject_add(p, INJ_UPDATE, rel);
	inject_follow_link(c);
	c->old = cur;
	c->old_len = cur_len;
	c->new_ = want;
	c->new_len = want_len;
	c->forced = st != TMPL_PRISTINE;
	cur = want = NULL;
	rc = 0;
cleanup:
	free(cur);
	free(want);
	free(rel);
	free(path);
	return rc;
}

static int inject_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* zdm templates in the chart that the current version no longer ships:
 * removed when untouched, refused (or forced) when edited, left alone
 * when zdm did not write them. */
static int inject_plan_obsolete(struct inject_plan *p, const struct tmpl_set *t, int force,
				struct sb *refused, struct zerr *e)
{
	char *dir = xasprintf("%s/templates", p->chart);
	char **names = NULL;
	size_t n = 0, i, k;
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = -1;

	if (!d) {
		rc = 0; /* no templates/ yet: nothing can be obsolete */
		goto cleanup;
	}
	while ((de = readdir(d))) {
		struct stat st;
		char *path;
		int regular;

		if (de->d_name[0] == '.' || !tmpl_is_zdm_name(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		regular = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
		free(path);
		if (!regular)
			continue; /* zdm writes plain files only */
		for (k = 0; k < t->n; k++)
			if (!strcmp(t->v[k].name, de->d_name))
				break;
		if (k < t->n)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	util_sort(names, n, sizeof(*names), inject_cmp_str);
	for (i = 0; i < n; i++) {
		char *rel = xasprintf("templates/%s", names[i]);
		char *path = xasprintf("%s/%s", p->chart, rel);
		char *cur = NULL;
		size_t cur_len;
		int r = inject_read_existing(path, &cur, &cur_len, e);
		enum tmpl_state st = r > 0 ? tmpl_check(cur, cur_len) : TMPL_FOREIGN;

		free(path);
		if (r < 0) {
			free(rel);
			goto cleanup;
		}
		if (st == TMPL_MODIFIED && !force) {
			sb_addf(refused,
				"\n  %s (no longer shipped by zdm, edited since zdm wrote it)",
				rel);
		} else if (st != TMPL_FOREIGN) {
			struct inject_change *c = inject_add(p, INJ_REMOVE, rel);
			c->old = cur;
			c->old_len = cur_len;
			c->forced = st == TMPL_MODIFIED;
			cur = NULL;
		}
		free(cur);
		free(rel);
	}
	rc = 0;
cleanup:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	free(dir);
	return rc;
}

/* Does the mapping have the key (whatever its value, null included)? */
static const struct ynode *inject_map_key(const struct ynode *m, const char *key)
{
	for (size_t i = 0; m && m->type == Y_MAP && i + 1 < m->n; i += 2)
		if (m->items[i]->type == Y_SCALAR && !strcmp(m->items[i]->value, key))
			return m->items[i];
	return NULL;
}

/* The block with its line endings converted to CRLF when crlf. */
static void inject_add_block(struct sb *s, const char *block, size_t len, int crlf)
{
	for (size_t i = 0; i < len; i++) {
		if (crlf && block[i] == '\n' && (i == 0 || block[i - 1] != '\r'))
			sb_addc(s, '\r');
		sb_addc(s, block[i]);
	}
}

/* A values node that sets something: a non-empty mapping, list or
 * scalar (not null). */
static int inject_set(const struct ynode *n)
{
	return n && !ynode_is_null(n) && (n->type == Y_SCALAR ? n->len > 0 : n->n > 0);
}

/* The line of the key at a dotted path below m (0 when absent). */
static int inject_key_line(const struct ynode *m, const char *path)
{
	const char *dot = strrchr(path, '.');
	const struct ynode *k;

	if (dot) {
		char *parent = xstrndup(path, (size_t)(dot - path));
		m = ynode_dig(m, parent);
		free(parent);
	}
	k = inject_map_key(m, dot ? dot + 1 : path);
	return k ? k->line : 0;
}

/* Report the chart's pod settings the zdm Jobs take (zdm.inherit, the
 * rules of templates/_zdm.tpl "zdm.inherit"): which keys were found,
 * which a zdm.* key overrides, and a service account left out. */
static void inject_plan_inherit(struct inject_plan *p, const struct ynode *root, const char *path)
{
	static const struct {
		const char *key, *zdm;
	} keys[] = {
		{ "imagePullSecrets", "imagePullSecrets" },
		{ "global.imagePullSecrets", "imagePullSecrets" },
		{ "image.pullSecrets", "imagePullSecrets" },
		{ "nodeSelector", "nodeSelector" },
		{ "global.nodeSelector", "nodeSelector" },
		{ "tolerations", "tolerations" },
		{ "global.tolerations", "tolerations" },
		{ "affinity.nodeAffinity", "affinity" },
		{ "global.affinity.nodeAffinity", "affinity" },
		{ "priorityClassName", "priorityClassName" },
		{ "global.priorityClassName", "priorityClassName" },
		{ "serviceAccountName", "serviceAccountName" },
	};
	const struct ynode *zdm = ynode_get(root, "zdm"), *sa, *create, *name;
	const char *taken[ZDM_ARRAY_LEN(keys)] = { 0 };
	struct sb wired, over;

	if (zdm && ynode_bool(ynode_get(zdm, "inherit")) == 0) {
		inject_note(p, "zdm.inherit is false: the zdm Jobs take only the zdm.* pod "
			       "settings");
		return;
	}
	sb_init(&wired);
	sb_init(&over);
	for (size_t i = 0; i < ZDM_ARRAY_LEN(keys); i++) {
		const struct ynode *n = ynode_dig(root, keys[i].key);
		size_t k;
		if (!inject_set(n))
			continue;
		if (inject_set(ynode_get(zdm, keys[i].zdm))) {
			sb_addf(&over, "%s%s (zdm.%s is set)", over.len ? ", " : "", keys[i].key,
				keys[i].zdm);
			continue;
		}
		/* a global.* fallback is not used when the chart's own key is set,
		 * except for pull secrets, which add up */
		for (k = 0; k < i && strcmp(keys[i].zdm, "imagePullSecrets"); k++)
			if (taken[k] && !strcmp(taken[k], keys[i].zdm))
				break;
		if (k < i && strcmp(keys[i].zdm, "imagePullSecrets"))
			continue;
		taken[i] = keys[i].zdm;
		sb_addf(&wired, "%s%s (line %d)", wired.len ? ", " : "", keys[i].key,
			inject_key_line(root, keys[i].key));
	}
	sa = ynode_get(root, "serviceAccount");
	create = ynode_get(sa, "create");
	name = ynode_get(sa, "name");
	if (inject_set(name) && name->type == Y_SCALAR) {
		if (ynode_bool(create) != 0)
			inject_note(p,
				    "the chart creates serviceAccount.name (%s:%d) itself, so it does "
				    "not exist yet when the pre-install Job starts: the zdm Jobs "
				    "keep the namespace's default account (zdm.serviceAccountName "
				    "names one that exists)",
				    path, inject_key_line(root, "serviceAccount.name"));
		else if (inject_set(ynode_get(zdm, "serviceAccountName")))
			sb_addf(&over, "%sserviceAccount.name (zdm.serviceAccountName is set)",
				over.len ? ", " : "");
		else
			sb_addf(&wired, "%sserviceAccount.name (line %d)", wired.len ? ", " : "",
				inject_key_line(root, "serviceAccount.name"));
	}
	if (wired.len)
		inject_note(p, "the zdm Jobs follow the chart's %s of %s (zdm.inherit)", wired.buf,
			    path);
	if (over.len)
		inject_note(p, "not inherited, zdm's own key wins: %s", over.buf);
	sb_release(&wired);
	sb_release(&over);
}

/* One hook Job of the chart found in its templates. */
struct inject_hook {
	char *rel;
	int line;
	char *name; /* metadata.name as written (may be a template) */
	char *weight; /* helm.sh/hook-weight as written, or NULL */
	char *wave; /* argocd.argoproj.io/sync-wave as written, or NULL */
	int helm, argo; /* a pre-install/pre-upgrade hook; an Argo CD PreSync hook */
};

/* The value of "key:" on line (after spaces), without quotes; NULL when
 * the line is not that key. */
static char *inject_line_value(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key), i = 0, end;

	while (i < len && line[i] == ' ')
		i++;
	if (i < len && (line[i] == '"' || line[i] == '\'')) {
		if (len - i < k + 2 || memcmp(line + i + 1, key, k) || line[i + 1 + k] != line[i])
			return NULL;
		i += k + 2;
	} else {
		if (len - i < k || memcmp(line + i, key, k))
			return NULL;
		i += k;
	}
	if (i >= len || line[i] != ':')
		return NULL;
	i++;
	while (i < len && line[i] == ' ')
		i++;
	end = len;
	while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\r'))
		end--;
	if (end - i >= 2 && (line[i] == '"' || line[i] == '\'') && line[end - 1] == line[i]) {
		i++;
		end--;
	}
	return xstrndup(line + i, end - i);
}

/* Scan one template file for hook Jobs (by text: the documents are
 * templates, not YAML). */
static void inject_scan_hooks(const char *chart, const char *rel, struct inject_hook **v, size_t *n)
{
	char *path = xasprintf("%s/%s", chart, rel), *buf = NULL;
	struct zerr e = { 0 };
	size_t len, pos = 0;
	int lineno = 0;
	struct inject_hook h;

	memset(&h, 0, sizeof(h));
	if (util_read_file(path, INJECT_MAX_FILE, &buf, &len, &e) < 0)
		goto cleanup;
	for (;;) {
		const char *line = buf + pos;
		const char *nl = pos < len ? memchr(line, '\n', len - pos) : NULL;
		size_t ll = pos < len ? (nl ? (size_t)(nl - line) : len - pos) : 0;
		int end = pos >= len || (ll >= 3 && !memcmp(line, "---", 3));
		char *val;

		lineno++;
		if (end) {
			if (h.name && (h.helm || h.argo) && h.line) {
				*v = xrealloc(*v, (*n + 1) * sizeof(**v));
				h.rel = xstrdup(rel);
				(*v)[(*n)++] = h;
			} else {
				free(h.name);
				free(h.weight);
				free(h.wave);
			}
			memset(&h, 0, sizeof(h));
			if (pos >= len)
				break;
		} else if ((val = inject_line_value(line, ll, "kind"))) {
			if (!strcmp(val, "Job") && line[0] == 'k')
				h.line = lineno;
			free(val);
		} else if ((val = inject_line_value(line, ll, "helm.sh/hook"))) {
			h.helm = strstr(val, "pre-install") || strstr(val, "pre-upgrade");
			free(val);
		} else if ((val = inject_line_value(line, ll, "argocd.argoproj.io/hook"))) {
			h.argo = strstr(val, "PreSync") != NULL;
			free(val);
		} else if ((val = inject_line_value(line, ll, "helm.sh/hook-weight"))) {
			free(h.weight);
			h.weight = val;
		} else if ((val = inject_line_value(line, ll, "argocd.argoproj.io/sync-wave"))) {
			free(h.wave);
			h.wave = val;
		} else if (!h.name && ll > 2 && line[0] == ' ' &&
			   (val = inject_line_value(line, ll, "name"))) {
			h.name = val;
		}
		pos += ll + 1;
	}
cleanup:
	free(buf);
	free(path);
}

static int inject_is_template(const char *name)
{
	return name[0] != '.' && !tmpl_is_zdm_name(name) &&
	       (util_str_has_suffix(name, ".yaml") || util_str_has_suffix(name, ".yml"));
}

/* The template files of dir/templates (rel is the chart-relative prefix),
 * sorted. */
static void inject_templates(const char *chart, const char *rel, struct strv *out)
{
	char *dir = xasprintf("%s/%s", chart, rel);
	struct strv names = { 0 };
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (inject_is_template(de->d_name))
			strv_push(&names, de->d_name);
	if (d)
		closedir(d);
	util_sort(names.v, names.n, sizeof(*names.v), inject_cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		char *r = xasprintf("%s/%s", rel, names.v[i]);
		strv_push(out, r);
		free(r);
	}
	strv_release(&names);
	free(dir);
}

/* The chart's own hook Jobs that run before the release (Helm
 * pre-install/pre-upgrade, Argo CD PreSync), in its templates and in
 * unpacked subcharts, and the order zdm's migration Job runs in among
 * them: Helm sorts by helm.sh/hook-weight, then kind, then name
 * (pkg/action/hooks.go); Argo CD by sync wave (else the hook weight),
 * then kind, then name (gitops-engine pkg/sync/sync_tasks.go). */
static void inject_plan_hooks(struct inject_plan *p, const struct ynode *root)
{
	struct strv files = { 0 };
	struct inject_hook *v = NULL;
	size_t n = 0;
	char *sub = xasprintf("%s/charts", p->chart);
	DIR *d = opendir(sub);
	struct dirent *de;
	const struct ynode *jw = ynode_dig(root, "zdm.hooks.jobWeight");
	long long zw = -5;

	if (jw && jw->type == Y_SCALAR && util_parse_ll(jw->value, &zw) < 0)
		zw = -5;
	inject_templates(p->chart, "templates", &files);
	while (d && (de = readdir(d))) {
		char *rel = xasprintf("charts/%s/templates", de->d_name);
		if (de->d_name[0] != '.')
			inject_templates(p->chart, rel, &files);
		free(rel);
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < files.n; i++)
		inject_scan_hooks(p->chart, files.v[i], &v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *w = v[i].weight ? v[i].weight : "0";
		const char *wave = v[i].wave ? v[i].wave : w;
		long long hw, aw;
		int known = util_parse_ll(w, &hw) == 0, aknown = util_parse_ll(wave, &aw) == 0;
		struct sb s;

		sb_init(&s);
		sb_addf(&s, "%s:%d: Job %s is %s%s hook of the chart, run before the release",
			v[i].rel, v[i].line, v[i].name,
			v[i].helm ? "a pre-install/pre-upgrade" : "an Argo CD PreSync",
			v[i].helm && v[i].argo ? " and Argo CD PreSync" : "");
		if (v[i].helm) {
			if (!known)
				sb_addf(&s,
					"\n  Helm: its helm.sh/hook-weight is \"%s\", zdm's migration "
					"Job's is %lld; the lower weight runs first",
					w, zw);
			else
				sb_addf(&s,
					"\n  Helm runs hooks by ascending helm.sh/hook-weight, then "
					"kind, then name: zdm's migration Job (weight %lld) runs "
					"%s it (weight %lld)",
					zw,
					zw < hw   ? "before"
					: zw > hw ? "after"
						  : "before or after, by name,",
					hw);
		}
		if (v[i].argo || v[i].helm) {
			if (!aknown)
				sb_addf(&s,
					"\n  Argo CD: its sync wave is \"%s\", zdm's is %lld; the "
					"lower wave runs first",
					wave, zw);
			else
				sb_addf(&s,
					"\n  Argo CD runs PreSync hooks by sync wave (else hook "
					"weight), then kind, then name: zdm's (wave %lld) runs "
					"%s it (wave %lld)",
					zw,
					zw < aw   ? "before"
					: zw > aw ? "after"
						  : "before or after, by name,",
					aw);
		}
		sb_addf(&s, "\n  to change the order, set zdm.hooks.jobWeight (with "
			    "zdm.hooks.configWeight below it) or that Job's weight and wave");
		inject_note(p, "%s", s.buf);
		sb_release(&s);
		free(v[i].rel);
		free(v[i].name);
		free(v[i].weight);
		free(v[i].wave);
	}
	free(v);
	strv_release(&files);
	free(sub);
}

/* Append the zdm: block to values.yaml, unless it has a zdm: key. */
static int inject_plan_values(struct inject_plan *p, const struct tmpl_set *t, struct zerr *e)
{
	char *path = xasprintf("%s/values.yaml", p->chart);
	char *cur = NULL;
	size_t cur_len = 0;
	struct ystream ys = { 0 }, check = { 0 };
	const struct ynode *root, *key;
	struct inject_change *c;
	struct sb s;
	const char *nl;
	int crlf, r, rc = -1;

	sb_init(&s);
	r = inject_read_existing(path, &cur, &cur_len, e);
	if (r < 0)
		goto cleanup;
	if (ydoc_load_buf_mode(cur ? cur : "", cur_len, path, YDOC_HELM, &ys, e) < 0) {
		e->code = ZDM_EXIT_USAGE;
		zerr_hint(e, "fix values.yaml first; zdm reads it as Helm does");
		goto cleanup;
	}
	for (size_t i = 0; i < ys.ndups; i++)
		inject_warn(p,
			    "%s:%d: key \"%s\" is set again (first at line %d): Helm uses the "
			    "last one, and so does zdm",
			    path, ys.dups[i].line, ys.dups[i].path, ys.dups[i].first_line);
	if (ys.n > 1) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s holds %zu YAML documents; helm reads one", path,
			 ys.n);
		zerr_hint(e, "keep one document in values.yaml, then run inject again");
		goto cleanup;
	}
	root = ys.n ? ys.docs[0].root : NULL;
	if (root && root->type != Y_MAP && !ynode_is_null(root)) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s:%d:%d: values.yaml is %s, not a mapping", path,
			 root->line, root->col, ynode_type_name(root));
		zerr_hint(e, "helm values are a mapping of keys at the top level");
		goto cleanup;
	}
	inject_plan_inherit(p, root, path);
	inject_plan_hooks(p, root);
	key = inject_map_key(root, "zdm");
	if (key) {
		inject_note(p, "values.yaml already has a top-level zdm: key (line %d): left alone",
			    key->line);
		rc = 0;
		goto cleanup;
	}
	/* the user's bytes first, exactly; then a line break in the file's
	 * own style, a blank line and the block */
	nl = cur ? memchr(cur, '\n', cur_len) : NULL;
	crlf = nl && nl > cur && nl[-1] == '\r';
	if (cur_len) {
		sb_add(&s, cur, cur_len);
		if (cur[cur_len - 1] != '\n')
			sb_adds(&s, crlf ? "\r\n" : "\n");
		sb_adds(&s, crlf ? "\r\n" : "\n");
	}
	inject_add_block(&s, t->values_block, t->values_len, crlf);
	if (ydoc_load_buf_mode(s.buf, s.len, path, YDOC_HELM, &check, e) < 0 || check.n != 1 ||
	    !check.docs[0].root || check.docs[0].root->type != Y_MAP ||
	    !ynode_get(check.docs[0].root, "zdm") ||
	    ynode_get(check.docs[0].root, "zdm")->type != Y_MAP) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "cannot append the zdm: block to %s: the result would "
			 "not be one mapping with a zdm: key",
			 path);
		zerr_detail(e, "the file's top-level mapping must be a block mapping at column 1, "
			       "with no document end marker (...)");
		zerr_hint(e, "add the block by hand from the plugin's templates/%s",
			  TMPL_VALUES_FILE);
		goto cleanup;
	}
	c = inject_add(p, cur ? INJ_APPEND : INJ_CREATE, "values.yaml");
	inject_follow_link(c);
	c->old = cur;
	c->old_len = cur_len;
	c->new_len = s.len;
	c->new_ = sb_steal(&s);
	cur = NULL;
	rc = 0;
cleanup:
	ystream_release(&ys);
	ystream_release(&check);
	sb_release(&s);
	free(cur);
	free(path);
	return rc;
}

/* migrations/README.md, only when there is no migrations/ at all. */
static int inject_plan_readme(struct inject_plan *p, const struct tmpl_set *t, struct zerr *e)
{
	char *dir = xasprintf("%s/migrations", p->chart);
	struct stat st;
	struct inject_change *c;
	int rc = 0;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			rc = zerr_set(e, ZDM_EXIT_USAGE, "\"%s\" exists and is not a directory",
				      dir);
	} else if (errno != ENOENT) {
		rc = zerr_set(e, inject_errno_code(errno), "cannot read \"%s\": %s", dir,
			      strerror(errno));
	} else {
		c = inject_add(p, INJ_CREATE, "migrations/README.md");
		c->new_ = xstrndup(t->readme, t->readme_len);
		c->new_len = t->readme_len;
	}
	free(dir);
	return rc;
}

int inject_plan_build(const char *chart, const struct tmpl_set *t, int force,
		      struct inject_plan *out, struct zerr *e)
{
	struct sb refused;
	size_t len = strlen(chart);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	while (len > 1 && chart[len - 1] == '/')
		len--;
	out->chart = xstrndup(chart, len);
	sb_init(&refused);
	if (inject_check_chart(out, e) < 0)
		goto cleanup;
	for (size_t i = 0; i < t->n; i++)
		if (inject_plan_tmpl(out, &t->v[i], force, &refused, e) < 0)
			goto cleanup;
	if (inject_plan_obsolete(out, t, force, &refused, e) < 0)
		goto cleanup;
	if (refused.len) {
		zerr_set(e, ZDM_EXIT_USAGE, "refusing to overwrite files in chart \"%s\"",
			 out->chart);
		zerr_detail(e, "these files have zdm's names but not zdm's content:%s",
			    refused.buf);
		zerr_hint(e, "move your changes into the zdm: values (or rename your file), then "
			     "run inject again; --force overwrites them and your edits are lost");
		goto cleanup;
	}
	if (inject_plan_values(out, t, e) < 0 || inject_plan_readme(out, t, e) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	sb_release(&refused);
	if (rc < 0)
		inject_plan_release(out);
	return rc;
}

void inject_plan_release(struct inject_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].rel);
		free(p->v[i].path);
		free(p->v[i].old);
		free(p->v[i].new_);
	}
	for (size_t i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	for (size_t i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	free(p->v);
	free(p->chart);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

/* ---- writing ---------------------------------------------------------- */

static char *inject_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The directory that must be writable for path's change: its parent, or
 * the nearest ancestor that exists when the parent is to be created. */
static int inject_check_writable(const char *path, int existing_file, struct zerr *e)
{
	char *dir = inject_dirname(path);
	struct stat st;
	int rc = 0;

	while (stat(dir, &st) != 0 && errno == ENOENT && strcmp(dir, "/") && strcmp(dir, ".")) {
		char *up = inject_dirname(dir);
		free(dir);
		dir = up;
	}
	if (access(dir, W_OK) != 0)
		rc = zerr_set(e, ZDM_EXIT_USAGE, "cannot write to \"%s\": %s", dir,
			      strerror(errno));
	else if (existing_file && access(path, W_OK) != 0)
		rc = zerr_set(e, ZDM_EXIT_USAGE, "cannot write to \"%s\": %s", path,
			      strerror(errno));
	free(dir);
	return rc;
}

/* Write buf to a new temporary file beside path with the given mode;
 * *tmp is its name (caller frees). */
static int inject_write_tmp(const char *path, const char *buf, size_t len, mode_t mode, char **tmp,
			    struct zerr *e)
{
	char *dir = inject_dirname(path);
	char *name = xasprintf("%s/.zdm-inject-XXXXXX", dir);
	size_t off = 0;
	int fd, err;

	free(dir);
	fd = mkstemp(name);
	if (fd < 0) {
		err = errno;
		zerr_set(e, inject_errno_code(err), "cannot write to \"%s\": %s", path,
			 strerror(err));
		free(name);
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	*tmp = name;
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(name);
	free(name);
	return zerr_set(e, inject_errno_code(err), "cannot write \"%s\": %s", path, strerror(err));
}

int inject_plan_apply(const struct inject_plan *p, struct zerr *e)
{
	char **tmps = xcalloc(p->n ? p->n : 1, sizeof(*tmps));
	char *made[2] = { NULL, NULL }; /* templates/ and migrations/ when created */
	size_t nmade = 0, i;
	mode_t mask = umask(0);
	int rc = -1;

	umask(mask);
	for (i = 0; i < p->n; i++)
		if (inject_check_writable(p->v[i].path,
					  p->v[i].kind == INJ_UPDATE || p->v[i].kind == INJ_APPEND,
					  e) < 0) {
			zerr_prefix(e, "chart \"%s\"", p->chart);
			zerr_hint(e, "inject needs write access to the chart; nothing was changed");
			goto cleanup;
		}
	for (i = 0; i < p->n; i++) {
		const struct inject_change *c = &p->v[i];
		struct stat st;
		mode_t mode = 0666 & ~mask;
		char *dir;

		if (c->kind == INJ_REMOVE)
			continue;
		dir = inject_dirname(c->path);
		if (stat(dir, &st) != 0) {
			if (mkdir(dir, 0777) != 0) {
				int err = errno;
				zerr_set(e, inject_errno_code(err), "cannot create \"%s\": %s", dir,
					 strerror(err));
				free(dir);
				goto cleanup;
			}
			if (nmade < ZDM_ARRAY_LEN(made))
				made[nmade++] = xstrdup(dir);
		}
		free(dir);
		if (c->kind != INJ_CREATE && stat(c->path, &st) == 0)
			mode = st.st_mode & 07777;
		if (inject_write_tmp(c->path, c->new_, c->new_len, mode, &tmps[i], e) < 0)
			goto cleanup;
	}
	/* every temporary is in place: switch them in */
	for (i = 0; i < p->n; i++) {
		const struct inject_change *c = &p->v[i];
		int err;

		if (c->kind == INJ_REMOVE ? unlink(c->path) != 0 : rename(tmps[i], c->path) != 0) {
			err = errno;
			zerr_set(e, ZDM_EXIT_FAILED, "cannot %s \"%s\": %s",
				 c->kind == INJ_REMOVE ? "remove" : "write", c->path,
				 strerror(err));
			zerr_detail(e, "the chart may be partly injected; run inject again");
			goto cleanup;
		}
		free(tmps[i]);
		tmps[i] = NULL;
	}
	nmade = 0; /* keep the directories */
	rc = 0;
cleanup:
	for (i = 0; i < p->n; i++) {
		if (tmps[i]) {
			unlink(tmps[i]);
			free(tmps[i]);
		}
	}
	free(tmps);
	while (nmade > 0)
		rmdir(made[--nmade]);
	free(made[0]);
	free(made[1]);
	return rc;
}
