/*
 * wiring — values scan and rendered-Job checks (see wiring.h).
 *
 * Locating a finding: wiring_locate tries the values key (the last values
 * file that sets it wins, as in Helm), then the first line of the chart's
 * templates that contains the field's name (zdm's own templates first),
 * then the template named in the object's "# Source:" comment.
 */
#include "wiring.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tmpl.h"
#include "ydoc.h"
#include "yedit.h"

void wreport_add(struct wreport *r, enum wf_kind kind, enum wf_severity sev, const char *file,
		 int line, int col, const char *rule, const char *hint, const char *fmt, ...)
{
	struct wfinding *f;
	struct sb s;
	va_list ap;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->sev = sev;
	f->file = xstrdup(file);
	f->line = line;
	f->col = col;
	f->rule = xstrdup(rule);
	f->hint = hint ? xstrdup(hint) : NULL;
	sb_init(&s);
	va_start(ap, fmt);
	sb_vaddf(&s, fmt, ap);
	va_end(ap);
	f->message = sb_steal(&s);
}

void wreport_release(struct wreport *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].file);
		free(r->v[i].rule);
		free(r->v[i].message);
		free(r->v[i].hint);
		free(r->v[i].key);
		free(r->v[i].accepted);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ---- values ---------------------------------------------------------- */

/* key lowercased without '-', '_' and '.' into buf. */
static void wiring_norm(const char *key, char *buf, size_t size)
{
	size_t k = 0;

	for (; *key && k + 1 < size; key++)
		if (*key != '-' && *key != '_' && *key != '.')
			buf[k++] = (char)tolower((unsigned char)*key);
	buf[k] = '\0';
}

/* A key that names a password (not a reference to one). */
static int wiring_password_key(const char *key)
{
	static const char *const words[] = { "password", "passwd", "passphrase" };
	/* suffixes of keys that name a reference, a setting or a policy */
	static const char *const refs[] = {
		"secret", "secretname", "secretkey", "secretref", "key",     "keyref",  "ref",
		"file",   "path",       "env",       "name",      "enabled", "length",  "policy",
		"auth",   "required",   "hash",      "from",      "source",  "command", "regex",
	};
	char k[128];
	int hit = 0;

	wiring_norm(key, k, sizeof(k));
	for (size_t i = 0; i < ZDM_ARRAY_LEN(words); i++)
		hit |= strstr(k, words[i]) != NULL;
	hit |= !strcmp(k, "pwd") || !strcmp(k, "pass");
	if (!hit || !strncmp(k, "existing", 8))
		return 0;
	for (size_t i = 0; i < ZDM_ARRAY_LEN(refs); i++)
		if (util_str_has_suffix(k, refs[i]))
			return 0;
	return 1;
}

/* A value standing in for a secret rather than being one: empty, a
 * reference (${VAR}, $VAR, {{ ... }}), <something>, a run of one masking
 * character (xxx, ***, ...) or a word people write instead of a password. */
static int wiring_placeholder(const char *s, size_t len)
{
	static const char *const words[] = {
		"none",        "null",     "nil",          "changeme",   "changeit",
		"replaceme",   "tochange", "todo",         "tbd",        "fixme",
		"placeholder", "password", "yourpassword", "mypassword", "secret",
		"redacted",    "example",  "dummy",        "notused",    "unset",
	};
	char k[64];
	size_t i, n = 0;

	if (len == 0 || s[0] == '$' || !strncmp(s, "{{", 2) || (s[0] == '<' && s[len - 1] == '>'))
		return 1;
	for (i = 1; i < len && s[i] == s[0]; i++)
		;
	if (i == len && len >= 3 && strchr("xX*#.-_", s[0]))
		return 1;
	if (len >= sizeof(k))
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] != '-' && s[i] != '_' && s[i] != ' ')
			k[n++] = (char)tolower((unsigned char)s[i]);
	k[n] = '\0';
	for (i = 0; i < ZDM_ARRAY_LEN(words); i++)
		if (!strcmp(k, words[i]))
			return 1;
	return 0;
}

/* A URL with user:password@ or a conninfo with password=...; *col is
 * the offset of the password in the text. */
static int wiring_credentials(const char *v, size_t *off)
{
	const char *scheme = strstr(v, "://"), *p;

	if (scheme) {
		const char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
		const char *colon = memchr(auth, ':', at ? (size_t)(at - auth) : 0);
		if (at && (!slash || at < slash) && colon && colon + 1 < at &&
		    !wiring_placeholder(colon + 1, (size_t)(at - colon - 1))) {
			*off = (size_t)(colon + 1 - v);
			return 1;
		}
	}
	for (p = v; (p = strstr(p, "password=")); p += 9) {
		if ((p == v || p[-1] == ' ' || p[-1] == '&' || p[-1] == '?') &&
		    !wiring_placeholder(p + 9, strcspn(p + 9, " &"))) {
			*off = (size_t)(p - v);
			return 1;
		}
	}
	return 0;
}

static void wiring_walk(const char *file, const struct ynode *n, struct sb *path,
			struct wreport *out)
{
	size_t mark = path->len;

	if (n->type == Y_SCALAR) {
		size_t off;
		if (!ynode_is_null(n) && wiring_credentials(n->value, &off)) {
			wreport_add(out, WF_VALUES, WF_ERROR, file, n->line, n->col,
				    "values-credentials",
				    "keep connection strings in a Secret and name it in "
				    "zdm.database.existingSecret (kubectl create secret generic "
				    "NAME --from-literal=DATABASE_URL=...)",
				    "\"%s\" holds a connection string with a password", path->buf);
			out->v[out->n - 1].key = xstrdup(path->buf);
		}
		return;
	}
	for (size_t i = 0; i < n->n; i += n->type == Y_MAP ? 2 : 1) {
		const struct ynode *key = n->type == Y_MAP ? n->items[i] : NULL;
		const struct ynode *val = n->type == Y_MAP ? n->items[i + 1] : n->items[i];
		if (key)
			sb_addf(path, "%s%s", path->len ? "." : "",
				key->type == Y_SCALAR ? key->value : "?");
		else
			sb_addf(path, "[%zu]", i);
		if (key && key->type == Y_SCALAR && val->type == Y_SCALAR &&
		    wiring_password_key(key->value) && !ynode_is_null(val) && ynode_bool(val) < 0 &&
		    !wiring_placeholder(val->value, val->len)) {
			wreport_add(out, WF_VALUES, WF_ERROR, file, val->line, val->col,
				    "values-password",
				    "put the password in a Secret and reference it (for zdm: "
				    "zdm.database.existingSecret); values end up in the release "
				    "history, readable by anyone who can read the release",
				    "\"%s\" holds a literal password", path->buf);
			out->v[out->n - 1].key = xstrdup(path->buf);
		} else {
			wiring_walk(file, val, path, out);
		}
		path->len = mark;
		path->buf[mark] = '\0';
	}
}

int wiring_check_values(const struct strv *files, enum wscope scope, struct wreport *out,
			struct zerr *e)
{
	for (size_t i = 0; i < files->n; i++) {
		struct ystream ys;
		struct sb path;

		if (ydoc_load_file_mode(files->v[i], YDOC_HELM, &ys, e) < 0) {
			e->code = ZDM_EXIT_USAGE;
			return -1;
		}
		sb_init(&path);
		sb_adds(&path, "");
		for (size_t d = 0; d < ys.n; d++) {
			const struct ynode *root = ys.docs[d].root, *zdm;
			if (!root)
				continue;
			if (scope == WSCOPE_ALL) {
				wiring_walk(files->v[i], root, &path, out);
			} else if ((zdm = ynode_get(root, "zdm")) && zdm->type != Y_SCALAR) {
				sb_adds(&path, "zdm");
				wiring_walk(files->v[i], zdm, &path, out);
				sb_reset(&path);
				sb_adds(&path, "");
			}
		}
		sb_release(&path);
		ystream_release(&ys);
	}
	return 0;
}

/* ---- accepted findings ----------------------------------------------- */

/* A string field of an acceptance; NULL when missing, empty or not one. */
static const char *wiring_accept_field(const struct ynode *m, const char *key)
{
	const struct ynode *n = ynode_get(m, key);

	return n && n->type == Y_SCALAR && !ynode_is_null(n) && n->len ? n->value : NULL;
}

int wiring_accept_load(const char *file, struct waccepts *out, struct zerr *e)
{
	static const char *const fields[] = { "kind", "key", "reason" };
	struct ystream ys;
	const struct ynode *list;
	struct stat st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (stat(file, &st) != 0)
		return 0;
	if (ydoc_load_file_mode(file, YDOC_HELM, &ys, e) < 0) {
		e->code = ZDM_EXIT_USAGE;
		return -1;
	}
	list = ys.n ? ynode_get(ynode_get(ynode_get(ys.docs[0].root, "zdm"), "lint"), "accept")
		    : NULL;
	if (list && !ynode_is_null(list) && list->type != Y_SEQ) {
		zerr_set(e, ZDM_EXIT_USAGE, "%s:%d:%d: zdm.lint.accept is %s, not a list", file,
			 list->line, list->col, ynode_type_name(list));
		zerr_hint(e, "write a list of {kind: RULE, key: VALUES.PATH or FILE:LINE, reason: "
			     "WHY}");
		goto cleanup;
	}
	for (size_t i = 0; list && list->type == Y_SEQ && i < list->n; i++) {
		const struct ynode *it = list->items[i];
		struct waccept *a;

		for (size_t f = 0; f < ZDM_ARRAY_LEN(fields); f++) {
			if (it->type == Y_MAP && wiring_accept_field(it, fields[f]))
				continue;
			zerr_set(e, ZDM_EXIT_USAGE, "%s:%d:%d: zdm.lint.accept[%zu] has no %s",
				 file, it->line, it->col, i, fields[f]);
			zerr_hint(e, "%s",
				  f == 2 ? "an accepted finding needs a reason: say why it is "
					   "not a problem (reason: ...)"
					 : "each entry is {kind: RULE, key: VALUES.PATH or "
					   "FILE:LINE, reason: WHY}");
			goto cleanup;
		}
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		a = &out->v[out->n++];
		memset(a, 0, sizeof(*a));
		a->kind = xstrdup(wiring_accept_field(it, "kind"));
		a->key = xstrdup(wiring_accept_field(it, "key"));
		a->reason = xstrdup(wiring_accept_field(it, "reason"));
		a->file = xstrdup(file);
		a->line = it->line;
	}
	rc = 0;
cleanup:
	if (rc < 0)
		waccepts_release(out);
	ystream_release(&ys);
	return rc;
}

void wiring_accept_apply(struct waccepts *a, const char *chart_dir, struct wreport *r)
{
	size_t dl = strlen(chart_dir);

	for (size_t i = 0; i < r->n; i++) {
		struct wfinding *f = &r->v[i];
		const char *rel = f->file;
		char *at, *old;

		if (f->kind == WF_MIGRATION || f->sev != WF_ERROR)
			continue;
		if (!strncmp(rel, chart_dir, dl) && rel[dl] == '/')
			rel += dl + 1;
		at = xasprintf("%s:%d", rel, f->line);
		for (size_t k = 0; k < a->n; k++) {
			if (strcmp(a->v[k].kind, f->rule) ||
			    ((!f->key || strcmp(a->v[k].key, f->key)) && strcmp(a->v[k].key, at)))
				continue;
			a->v[k].used = 1;
			f->sev = WF_ALLOWED;
			f->accepted = xstrdup(a->v[k].reason);
			old = f->message;
			f->message = xasprintf("%s (accepted in %s:%d: %s)", old, a->v[k].file,
					       a->v[k].line, a->v[k].reason);
			free(old);
			break;
		}
		free(at);
	}
}

void waccepts_release(struct waccepts *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].kind);
		free(a->v[i].key);
		free(a->v[i].reason);
		free(a->v[i].file);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* ---- locating a finding ---------------------------------------------- */

struct wloc {
	char *file;
	int line, col;
};

/* The values key (dotted) in the last file that sets it. */
static int wiring_locate_value(const struct strv *values, const char *dotted, struct wloc *l)
{
	for (size_t i = values->n; i-- > 0;) {
		struct ystream ys;
		struct zerr e = { 0 };
		const struct ynode *n;
		char *copy, *save = NULL;

		if (ydoc_load_file_mode(values->v[i], YDOC_HELM, &ys, &e) < 0)
			continue;
		n = ys.n ? ys.docs[0].root : NULL;
		copy = xstrdup(dotted);
		for (char *k = strtok_r(copy, ".", &save); k && n; k = strtok_r(NULL, ".", &save))
			n = ynode_get(n, k);
		free(copy);
		if (n) {
			l->file = xstrdup(values->v[i]);
			l->line = n->line;
			l->col = n->col;
		}
		ystream_release(&ys);
		if (n)
			return 1;
	}
	return 0;
}

static int wiring_cmp_names(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int zx = tmpl_is_zdm_name(x), zy = tmpl_is_zdm_name(y);

	return zx != zy ? zy - zx : strcmp(x, y);
}

/* The first line of the chart's templates that contains needle. */
static int wiring_locate_template(const struct chart_info *c, const char *needle, struct wloc *l)
{
	char *dir = xasprintf("%s/templates", c->dir);
	struct strv names = { 0 };
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(&names, de->d_name);
	if (d)
		closedir(d);
	if (names.n)
		util_sort(names.v, names.n, sizeof(*names.v), wiring_cmp_names);
	for (size_t i = 0; i < names.n && !found; i++) {
		char *path = xasprintf("%s/%s", dir, names.v[i]), *buf = NULL;
		struct zerr e = { 0 };
		size_t len;
		const char *hit;

		if (util_read_file(path, 4u * 1024 * 1024, &buf, &len, &e) == 0 &&
		    (hit = strstr(buf, needle))) {
			const char *p;
			l->file = path;
			path = NULL;
			l->line = 1;
			for (p = buf; p < hit; p++)
				l->line += *p == '\n';
			while (p > buf && p[-1] != '\n')
				p--;
			l->col = (int)(hit - p) + 1;
			found = 1;
		}
		free(buf);
		free(path);
	}
	strv_release(&names);
	free(dir);
	return found;
}

static void wiring_locate(const struct chart_info *c, const struct strv *values,
			  const char *value_key, const char *needle, const char *source,
			  struct wloc *l)
{
	memset(l, 0, sizeof(*l));
	if (value_key && wiring_locate_value(values, value_key, l))
		return;
	if (needle && wiring_locate_template(c, needle, l))
		return;
	/* "# Source: CHART/templates/x.yaml": the same path inside the chart */
	if (source && strchr(source, '/'))
		l->file = xasprintf("%s/%s", c->dir, strchr(source, '/') + 1);
	else
		l->file = xasprintf("%s/Chart.yaml", c->dir);
	l->line = 1;
	l->col = 1;
}

/* ---- the rendered zdm objects ----------------------------------------- */

struct wobj {
	const struct ynode *root;
	char *source; /* the "# Source:" path, or NULL */
	const char *kind, *name, *comp;
};

static const char *wiring_text(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && !ynode_is_null(n) ? n->value : NULL;
}

static const struct ynode *wiring_at(const struct ynode *n, const char *a, const char *b,
				     const char *c)
{
	n = ynode_get(n, a);
	if (b)
		n = ynode_get(n, b);
	if (c)
		n = ynode_get(n, c);
	return n;
}

static int wiring_int(const struct ynode *n, long long *v)
{
	const char *t = wiring_text(n);
	char *end;

	if (!t)
		return 0;
	*v = strtoll(t, &end, 10);
	return *t && !*end;
}

static void wiring_add(struct wreport *out, const struct chart_info *c, const struct strv *values,
		       const struct wobj *o, const char *value_key, const char *needle,
		       const char *rule, const char *hint, const char *fmt, ...) ZDM_PRINTF(9, 10);
static void wiring_add(struct wreport *out, const struct chart_info *c, const struct strv *values,
		       const struct wobj *o, const char *value_key, const char *needle,
		       const char *rule, const char *hint, const char *fmt, ...)
{
	struct wloc l;
	struct sb s;
	va_list ap;

	wiring_locate(c, values, value_key, needle, o ? o->source : NULL, &l);
	sb_init(&s);
	va_start(ap, fmt);
	sb_vaddf(&s, fmt, ap);
	va_end(ap);
	wreport_add(out, WF_WIRING, WF_ERROR, l.file, l.line, l.col, rule, hint, "%s", s.buf);
	sb_release(&s);
	free(l.file);
}

static void wiring_check_job(const struct chart_info *c, const struct strv *values,
			     const struct wobj *j, long long timeout_ms, struct wreport *out)
{
	static const char deadline_key[] = "zdm.job.activeDeadlineSeconds";
	const struct ynode *spec = ynode_get(j->root, "spec");
	const char *backoff = wiring_text(ynode_get(spec, "backoffLimit"));
	long long v;
	char tbuf[32];

	util_format_duration(timeout_ms, tbuf, sizeof(tbuf));
	if (!wiring_int(ynode_get(spec, "backoffLimit"), &v) || v != 0)
		wiring_add(out, c, values, j, NULL, "backoffLimit", "job-backoff-limit",
			   "keep backoffLimit: 0 as zdm's template has it: zdm-hook retries "
			   "lock timeouts itself, and a failed migration must fail the release "
			   "at once (helm zdm inject --force restores the template)",
			   "Job \"%s\" has backoffLimit %s: Kubernetes would re-run a failed "
			   "migration, and the release waits through every retry",
			   j->name, backoff ? backoff : "unset (6)");
	if (!ynode_get(spec, "ttlSecondsAfterFinished"))
		wiring_add(out, c, values, j, "zdm.job.ttlSecondsAfterFinished",
			   "ttlSecondsAfterFinished", "job-ttl",
			   "set zdm.job.ttlSecondsAfterFinished (default 86400; keep it minutes "
			   "at least: Argo CD before 3.0 hangs on a hook Job that vanishes early)",
			   "Job \"%s\" has no ttlSecondsAfterFinished: finished Jobs and their "
			   "pods pile up in the namespace",
			   j->name);
	if (!wiring_int(ynode_get(spec, "activeDeadlineSeconds"), &v) || v <= 0)
		wiring_add(out, c, values, j, deadline_key, "activeDeadlineSeconds", "job-deadline",
			   "set zdm.job.activeDeadlineSeconds below helm's --timeout (240 for "
			   "the default 5m)",
			   "Job \"%s\" has no activeDeadlineSeconds: a stuck migration runs on "
			   "after helm gives up at --timeout %s",
			   j->name, tbuf);
	else if (v * 1000 >= timeout_ms)
		wiring_add(out, c, values, j, deadline_key, "activeDeadlineSeconds", "job-deadline",
			   "set zdm.job.activeDeadlineSeconds below --timeout, or lint with the "
			   "--timeout you deploy with (helm upgrade --timeout 20m: lint "
			   "--timeout 20m)",
			   "Job \"%s\" has activeDeadlineSeconds %lld, not below helm's "
			   "--timeout %s: helm gives up on the release while the migration "
			   "still runs",
			   j->name, v, tbuf);
}

static const struct wobj *wiring_find(const struct wobj *objs, size_t n, const char *kind,
				      const char *comp, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(objs[i].kind, kind) && (!comp || !strcmp(objs[i].comp, comp)) &&
		    (!name || (objs[i].name && !strcmp(objs[i].name, name))))
			return &objs[i];
	return NULL;
}

/* The weight Helm orders a hook by. */
static long long wiring_weight(const struct wobj *o)
{
	long long w = 0;

	wiring_int(wiring_at(o->root, "metadata", "annotations", "helm.sh/hook-weight"), &w);
	return w;
}

static void wiring_check_configmaps(const struct chart_info *c, const struct strv *values,
				    const struct wobj *objs, size_t n, const struct wobj *job,
				    struct wreport *out)
{
	const struct ynode *vols = wiring_at(job->root, "spec", "template", "spec");

	vols = ynode_get(vols, "volumes");
	for (size_t i = 0; vols && vols->type == Y_SEQ && i < vols->n; i++) {
		const char *cm = wiring_text(wiring_at(vols->items[i], "configMap", "name", NULL));
		const struct wobj *o;
		if (!cm)
			continue;
		o = wiring_find(objs, n, "ConfigMap", NULL, cm);
		if (!o)
			wiring_add(out, c, values, job, NULL, "configMap", "zdm-configmap",
				   "the chart must render the ConfigMap the Job mounts (zdm's "
				   "zdm-*-configmap.yaml templates)",
				   "Job \"%s\" mounts ConfigMap \"%s\", which the chart does not "
				   "render",
				   job->name, cm);
		else if (!wiring_text(
				 wiring_at(o->root, "metadata", "annotations", "helm.sh/hook")) ||
			 wiring_weight(o) >= wiring_weight(job))
			wiring_add(out, c, values, o, "zdm.hooks.configWeight",
				   "helm.sh/hook-weight", "zdm-hook-order",
				   "keep the ConfigMaps pre-install,pre-upgrade hooks with "
				   "zdm.hooks.configWeight below zdm.hooks.jobWeight",
				   "ConfigMap \"%s\" is not a hook created before Job \"%s\": the "
				   "Job would start without its migrations (or with the old ones)",
				   cm, job->name);
	}
}

int wiring_check_render(const struct chart_info *c, const struct strv *values, const char *buf,
			size_t len, long long timeout_ms, struct wreport *out, struct zerr *e)
{
	struct ystream ys;
	struct wobj *objs = NULL;
	size_t n = 0;
	const struct wobj *job;

	if (ydoc_load_buf(buf, len, "rendered chart", &ys, e) < 0)
		return -1;
	for (size_t i = 0; i < ys.n; i++) {
		const struct ynode *r = ys.docs[i].root;
		const struct ynode *labels = wiring_at(r, "metadata", "labels", NULL);
		const char *kind = wiring_text(ynode_get(r, "kind"));
		const char *comp = wiring_text(ynode_get(labels, "app.kubernetes.io/component"));
		const char *p = ys.src + ys.docs[i].start, *hit;
		struct wobj *o;

		if (!kind)
			continue;
		objs = xrealloc(objs, (n + 1) * sizeof(*objs));
		o = &objs[n++];
		memset(o, 0, sizeof(*o));
		o->root = r;
		o->kind = kind;
		o->name = wiring_text(wiring_at(r, "metadata", "name", NULL));
		o->comp = "";
		if (comp && yedit_is(ynode_get(labels, "app.kubernetes.io/name"), "zdm"))
			o->comp = comp;
		hit = memmem(p, r->start - ys.docs[i].start, "# Source: ", 10);
		if (hit)
			o->source = xstrndup(hit + 10, strcspn(hit + 10, "\r\n"));
	}
	job = wiring_find(objs, n, "Job", "migrate", NULL);
	if (!job) {
		wiring_add(out, c, values, NULL, "zdm.enabled", NULL, "zdm-job-missing",
			   "inject the templates (helm zdm inject CHART) and keep zdm.enabled true",
			   "chart \"%s\" renders no zdm migration Job: its migrations would never "
			   "run before the rollout",
			   c->name);
	} else {
		const char *hook = wiring_text(
			wiring_at(job->root, "metadata", "annotations", "helm.sh/hook"));
		if (!hook || !strstr(hook, "pre-install") || !strstr(hook, "pre-upgrade"))
			wiring_add(out, c, values, job, NULL, "helm.sh/hook", "zdm-job-hook",
				   "the migration Job must be a pre-install,pre-upgrade hook (Argo "
				   "CD: PreSync) so it runs before a single pod rolls",
				   "Job \"%s\" is %s%s%s, not a pre-install,pre-upgrade hook",
				   job->name, hook ? "a \"" : "not a hook", hook ? hook : "",
				   hook ? "\" hook" : "");
		wiring_check_configmaps(c, values, objs, n, job, out);
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(objs[i].kind, "Job") &&
		    (!strcmp(objs[i].comp, "migrate") || !strcmp(objs[i].comp, "complete")))
			wiring_check_job(c, values, &objs[i], timeout_ms, out);
	for (size_t i = 0; i < n; i++)
		free(objs[i].source);
	free(objs);
	ystream_release(&ys);
	return 0;
}

int wiring_parse_timeout(const char *s, long long *ms)
{
	long long total = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	while (*p) {
		long long v = 0;
		const char *start = p;
		while (*p >= '0' && *p <= '9' && v < 100000000LL)
			v = v * 10 + (*p++ - '0');
		if (p == start)
			return -1;
		if (!strncmp(p, "ms", 2)) {
			total += v;
			p += 2;
			continue;
		}
		if (*p == 'h')
			total += v * 3600000;
		else if (*p == 'm')
			total += v * 60000;
		else if (*p == 's')
			total += v * 1000;
		else
			return -1;
		p++;
	}
	*ms = total;
	return 0;
}
