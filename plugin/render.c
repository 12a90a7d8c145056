/*
 * render — parse the stream, lint the migrations, add zdm's objects from
 * a throwaway chart, transform, write (see render.h for the rules).
 *
 *   render_parse      ydoc over the input; each document classified
 *                     (empty, Kubernetes object, zdm object); refusals
 *   render_lint       source_load + srclint_run over the migrations
 *   render_tiny       templates/ + Chart.yaml identity + migrations +
 *                     assertions in a temporary chart, `helm template`,
 *                     its documents appended
 *   render_wave       hooks -> sync waves (wave mode)
 *   render_identity   the Jobs' Argo CD identity
 *   render_app_name   PGAPPNAME in the workloads' containers (--app-name)
 *   render_emit       untouched documents copied, changed ones emitted
 *
 * A document is a struct rdoc pointing into the stream it came from (the
 * input or the throwaway chart's output); `changed` decides between its
 * original bytes and a fresh emit of its (edited) tree.
 */
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"
#include "srclint.h"
#include "tmpl.h"
#include "ydoc.h"
#include "yedit.h"

#define RENDER_MAX_OUTPUT (64u * 1024 * 1024)
#define RENDER_ANN_FILENAME "postrenderer.helm.sh/postrender-filename"
#define RENDER_ANN_WAVE "argocd.argoproj.io/sync-wave"
#define RENDER_ANN_SYNC_OPTIONS "argocd.argoproj.io/sync-options"
#define RENDER_ANN_CHECKSUM "checksum/zdm-migrations"

enum render_comp { RC_NONE = 0, RC_MIGRATIONS, RC_ASSERTIONS, RC_MIGRATE, RC_COMPLETE };

static const char *const render_comp_names[] = {
	[RC_NONE] = "",           [RC_MIGRATIONS] = "migrations", [RC_ASSERTIONS] = "assertions",
	[RC_MIGRATE] = "migrate", [RC_COMPLETE] = "complete",
};

/* The annotations that make an object a hook; wave mode removes them. */
static const char *const render_hook_keys[] = {
	"helm.sh/hook",
	"helm.sh/hook-weight",
	"helm.sh/hook-delete-policy",
	"helm.sh/hook-output-log-policy",
	"argocd.argoproj.io/hook",
	"argocd.argoproj.io/hook-delete-policy",
};

/* Workloads that must roll after the migration Job in wave mode. */
static const char *const render_workloads[] = {
	"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Rollout",
};

struct rdoc {
	const struct ystream *ys; /* the stream it lives in */
	size_t start, end; /* its bytes in ys->src */
	struct ynode *root; /* NULL for an empty document */
	size_t index; /* 1-based in the input; 0 when added */
	int line;
	const char *kind, *name;
	enum render_comp comp;
	int changed; /* re-emit the tree */
	char *patched; /* else these bytes, when a line was inserted */
	size_t patched_len;
	int bare; /* re-emitted without its leading comments */
};

struct rstate {
	const struct render_opts *o;
	struct render_result *r;
	struct ystream in, tiny;
	struct rdoc *docs; /* the input's, then the added ones */
	size_t n, nin;
	int helm4; /* Helm 4 post-renderer input */
};

static void render_note(struct rstate *s, const char *fmt, ...) ZDM_PRINTF(2, 3);
static void render_note(struct rstate *s, const char *fmt, ...)
{
	struct sb b;
	va_list ap;

	sb_init(&b);
	va_start(ap, fmt);
	sb_vaddf(&b, fmt, ap);
	va_end(ap);
	strv_push(&s->r->notes, b.buf);
	sb_release(&b);
}

/* The node at a path of mapping keys (NULL-terminated), or NULL. */
static struct ynode *render_at(const struct ynode *n, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, n);
	while (n && (k = va_arg(ap, const char *)))
		n = ynode_get(n, k);
	va_end(ap);
	return (struct ynode *)n;
}

/* A scalar's text, or NULL for anything else (null included). */
static const char *render_text(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && !ynode_is_null(n) ? n->value : NULL;
}

/* A scalar holding a whole decimal integer ("-5", 240). */
static int render_int(const struct ynode *n, long *out)
{
	const char *t = render_text(n);
	char *end;

	if (!t || !*t)
		return 0;
	errno = 0;
	*out = strtol(t, &end, 10);
	return !*end && errno == 0;
}

static const char *render_doc_desc(const struct rdoc *d, char *buf, size_t size)
{
	if (d->index)
		snprintf(buf, size, "document %zu (line %d)", d->index, d->line);
	else
		snprintf(buf, size, "the added %s %s", d->kind ? d->kind : "object",
			 d->name ? d->name : "");
	return buf;
}

/* ---- parsing and classification ------------------------------------ */

/* Which input document a line is in: the document start markers ("---"
 * at column 1) up to that line, plus the first document when it starts
 * without one. */
static size_t render_doc_of_line(const char *src, size_t len, int line)
{
	size_t idx = 0, i = 0;
	int cur = 1, content_before_marker = 0;

	while (i < len && cur <= line) {
		const char *nl = memchr(src + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - src) : len;
		size_t k = i;

		if (end - i >= 3 && !strncmp(src + i, "---", 3) &&
		    (end - i == 3 || src[i + 3] == ' ' || src[i + 3] == '\t' || src[i + 3] == '\r'))
			idx++;
		else if (idx == 0) {
			while (k < end && (src[k] == ' ' || src[k] == '\t' || src[k] == '\r'))
				k++;
			if (k < end && src[k] != '#')
				content_before_marker = 1;
		}
		i = end + 1;
		cur++;
	}
	return idx + (content_before_marker || idx == 0);
}

static int render_parse_error(struct rstate *s, const char *in, size_t len, struct zerr *e)
{
	int line = 0, col = 0, off = 0;
	char what[sizeof(e->msg)];

	if (sscanf(e->msg, "stdin:%d:%d: %n", &line, &col, &off) < 2 || off <= 0) {
		zerr_prefix(e, "stdin");
		return -1;
	}
	snprintf(what, sizeof(what), "%s", e->msg + off);
	zerr_set(e, ZDM_EXIT_USAGE, "stdin: document %zu (line %d, column %d): %s",
		 render_doc_of_line(in, len, line), line, col, what);
	zerr_hint(e,
		  "the input must be a rendered manifest stream, e.g. the output of helm template");
	(void)s;
	return -1;
}

static enum render_comp render_comp_of(const struct ynode *root, const char *kind)
{
	const struct ynode *labels = render_at(root, "metadata", "labels", NULL);
	const char *comp = render_text(ynode_get(labels, "app.kubernetes.io/component"));

	if (!yedit_is(ynode_get(labels, "app.kubernetes.io/name"), "zdm") || !comp)
		return RC_NONE;
	for (size_t c = RC_MIGRATIONS; c <= RC_COMPLETE; c++)
		if (!strcmp(comp, render_comp_names[c]) &&
		    !strcmp(kind, c <= RC_ASSERTIONS ? "ConfigMap" : "Job"))
			return (enum render_comp)c;
	return RC_NONE;
}

/* Classify d; refuse a document that is not a Kubernetes object. */
static int render_classify(struct rdoc *d, struct zerr *e)
{
	const struct ynode *root = d->root;
	char desc[96];

	if (!root || ynode_is_null(root)) {
		d->root = NULL;
		return 0;
	}
	d->line = root->line;
	render_doc_desc(d, desc, sizeof(desc));
	if (root->type != Y_MAP) {
		zerr_set(e, ZDM_EXIT_USAGE, "stdin: %s is not a Kubernetes object: it is %s", desc,
			 ynode_type_name(root));
		zerr_hint(e, "every document must be one object with apiVersion and kind");
		return -1;
	}
	d->kind = render_text(ynode_get(root, "kind"));
	if (!render_text(ynode_get(root, "apiVersion")) || !d->kind) {
		zerr_set(e, ZDM_EXIT_USAGE, "stdin: %s is not a Kubernetes object: it has no %s",
			 desc, d->kind ? "apiVersion" : "kind");
		zerr_hint(e, "every document must be one object with apiVersion and kind");
		return -1;
	}
	d->name = render_text(render_at(root, "metadata", "name", NULL));
	d->comp = render_comp_of(root, d->kind);
	return 0;
}

static struct rdoc *render_add_doc(struct rstate *s, const struct ystream *ys, size_t i)
{
	struct rdoc *d;

	s->docs = xrealloc(s->docs, (s->n + 1) * sizeof(*s->docs));
	d = &s->docs[s->n++];
	memset(d, 0, sizeof(*d));
	d->ys = ys;
	d->start = ys->docs[i].start;
	d->end = i + 1 < ys->n ? ys->docs[i + 1].start : ys->len;
	if (d->end < ys->docs[i].end)
		d->end = ys->docs[i].end;
	d->root = ys->docs[i].root;
	d->line = ys->docs[i].line;
	return d;
}

static int render_parse(struct rstate *s, const char *in, size_t len, struct zerr *e)
{
	if (ydoc_load_buf(in, len, "stdin", &s->in, e) < 0)
		return render_parse_error(s, in, len, e);
	for (size_t i = 0; i < s->in.n; i++) {
		struct rdoc *d = render_add_doc(s, &s->in, i);
		d->index = i + 1;
		if (render_classify(d, e) < 0)
			return -1;
		if (d->root && ynode_get(render_at(d->root, "metadata", "annotations", NULL),
					 RENDER_ANN_FILENAME))
			s->helm4 = 1;
	}
	s->nin = s->n;
	return 0;
}

/* The same zdm object twice, or two of one component, is refused. */
static int render_check_dups(struct rstate *s, struct zerr *e)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct rdoc *a = &s->docs[i];
		if (!a->comp)
			continue;
		for (size_t k = 0; k < i; k++) {
			const struct rdoc *b = &s->docs[k];
			char da[96], db[96];
			if (b->comp != a->comp)
				continue;
			render_doc_desc(a, da, sizeof(da));
			render_doc_desc(b, db, sizeof(db));
			zerr_set(e, ZDM_EXIT_USAGE,
				 "stdin: %s: duplicate zdm resource: %s \"%s\" (zdm %s), "
				 "also %s \"%s\" in %s",
				 da, a->kind, a->name ? a->name : "", render_comp_names[a->comp],
				 b->kind, b->name ? b->name : "", db);
			zerr_hint(e, "a release carries one set of zdm objects: render the chart "
				     "once, and do not run render over a chart that also has them "
				     "from another source (e.g. a subchart)");
			return -1;
		}
	}
	return 0;
}

/* ---- lint ------------------------------------------------------------ */

static int render_lint(struct rstate *s, struct zerr *e)
{
	const struct render_opts *o = s->o;
	struct src_set src;
	struct stat st;
	int rc = -1;

	if (!o->lint || !o->migrations)
		return 0;
	if (stat(o->migrations, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (o->migrations_required) {
			zerr_set(e, ZDM_EXIT_USAGE, "migrations directory \"%s\" does not exist",
				 o->migrations);
			zerr_hint(e, "--migrations names the directory of the "
				     "V<version>__<name>.sql files");
			return -1;
		}
		render_note(s, "no migrations directory \"%s\": nothing to lint or pack",
			    o->migrations);
		return 0;
	}
	memset(&src, 0, sizeof(src));
	if (source_load(o->migrations, &src, e) < 0)
		goto cleanup;
	s->r->nmigrations = src.n;
	if (srclint_run(&src, NULL, &s->r->lint, e) < 0)
		goto cleanup;
	if (srclint_refuse(&s->r->lint, e) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	source_release(&src);
	return rc;
}

/* ---- the throwaway chart -------------------------------------------- */

static int render_write(const char *path, const char *buf, size_t len, struct zerr *e)
{
	FILE *f = fopen(path, "wb");
	int bad;

	if (!f)
		return zerr_set(e, ZDM_EXIT_FAILED, "cannot write \"%s\": %s", path,
				strerror(errno));
	bad = len && fwrite(buf, 1, len, f) != len;
	if (fclose(f) != 0 || bad)
		return zerr_set(e, ZDM_EXIT_FAILED, "cannot write \"%s\": %s", path,
				strerror(errno));
	return 0;
}

static int render_copy(const char *from, const char *to, struct zerr *e)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if (util_read_file(from, 4u * 1024 * 1024, &buf, &len, e) < 0)
		return -1;
	rc = render_write(to, buf, len, e);
	free(buf);
	return rc;
}

static int render_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

/* A YAML single-quoted scalar of s. */
static void render_quote(struct sb *b, const char *s)
{
	sb_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_addc(b, '\'');
		sb_addc(b, *s);
	}
	sb_addc(b, '\'');
}

/* Lay out dir/chart: Chart.yaml with the user's chart identity, the zdm
 * templates, the migrations' *.sql and the assertions file. */
static int render_tiny_layout(struct rstate *s, const char *dir, struct zerr *e)
{
	const struct render_opts *o = s->o;
	struct tmpl_set t = { 0 };
	char *tdir = NULL, *path = NULL, *assertions = NULL;
	struct sb b;
	struct stat st;
	DIR *md = NULL;
	struct dirent *de;
	int rc = -1;

	sb_init(&b);
	path = xasprintf("%s/chart/templates", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot create \"%s\": %s", path, strerror(errno));
		goto cleanup;
	}
	free(path);
	path = NULL;
	sb_adds(&b, "apiVersion: v2\nname: ");
	render_quote(&b, o->chart->name);
	sb_adds(&b, "\nversion: ");
	render_quote(&b, o->chart->version);
	if (*o->chart->app_version) {
		sb_adds(&b, "\nappVersion: ");
		render_quote(&b, o->chart->app_version);
	}
	sb_adds(&b, "\ntype: application\n");
	path = xasprintf("%s/chart/Chart.yaml", dir);
	if (render_write(path, b.buf, b.len, e) < 0)
		goto cleanup;
	if (tmpl_locate(&tdir, e) < 0 || tmpl_load(tdir, &t, e) < 0)
		goto cleanup;
	for (size_t i = 0; i < t.n; i++) {
		free(path);
		path = xasprintf("%s/chart/templates/%s", dir, t.v[i].name);
		if (render_write(path, t.v[i].body, t.v[i].len, e) < 0)
			goto cleanup;
	}
	free(path);
	path = xasprintf("%s/chart/migrations", dir);
	if (mkdir(path, 0700) != 0) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot create \"%s\": %s", path, strerror(errno));
		goto cleanup;
	}
	if (o->migrations && (md = opendir(o->migrations))) {
		while ((de = readdir(md))) {
			char *from, *to;
			if (de->d_name[0] == '.' || !util_str_has_suffix(de->d_name, ".sql"))
				continue;
			from = xasprintf("%s/%s", o->migrations, de->d_name);
			to = xasprintf("%s/chart/migrations/%s", dir, de->d_name);
			rc = stat(from, &st) == 0 && S_ISREG(st.st_mode) ? render_copy(from, to, e)
									 : 0;
			free(from);
			free(to);
			if (rc < 0)
				goto cleanup;
			rc = -1;
		}
	}
	if (chart_values_get(o->values, "zdm.assertions.file", &assertions, e) < 0)
		goto cleanup;
	free(path);
	path = xasprintf("%s/%s", o->chart->dir, assertions ? assertions : "zdm/assertions.yaml");
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		char *zdir = xasprintf("%s/chart/zdm", dir),
		     *to = xasprintf("%s/assertions.yaml", zdir);
		rc = mkdir(zdir, 0700) == 0
			     ? render_copy(path, to, e)
			     : zerr_set(e, ZDM_EXIT_FAILED, "cannot create \"%s\": %s", zdir,
					strerror(errno));
		free(zdir);
		free(to);
		if (rc < 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	if (md)
		closedir(md);
	tmpl_release(&t);
	sb_release(&b);
	free(tdir);
	free(path);
	free(assertions);
	return rc;
}

/* The last lines of helm's stderr, for an error's detail. */
static void render_tail(struct zerr *e, const struct sb *err)
{
	size_t len = err->len, max = sizeof(e->detail) - 64;
	const char *p = err->buf ? err->buf : "";

	while (len && (p[len - 1] == '\n' || p[len - 1] == ' '))
		len--;
	if (!len)
		return;
	if (len > max)
		zerr_detail(e, "... %.*s", (int)max, p + len - max);
	else
		zerr_detail(e, "%.*s", (int)len, p);
}

static int render_tiny(struct rstate *s, const char *release, const char *ns, struct zerr *e)
{
	const struct render_opts *o = s->o;
	const char *tmp = getenv("TMPDIR");
	struct helmrun_out out = { 0 };
	struct strv argv = { 0 };
	char *dir, *chartdir = NULL;
	int rc = -1;

	dir = xasprintf("%s/zdm-render.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot create a temporary directory \"%s\": %s", dir,
			 strerror(errno));
		free(dir);
		return -1;
	}
	chartdir = xasprintf("%s/chart", dir);
	if (mkdir(chartdir, 0700) != 0) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot create \"%s\": %s", chartdir, strerror(errno));
		goto cleanup;
	}
	if (render_tiny_layout(s, dir, e) < 0)
		goto cleanup;
	strv_push(&argv, o->helm);
	strv_push(&argv, "template");
	strv_push(&argv, release);
	strv_push(&argv, chartdir);
	if (ns) {
		strv_push(&argv, "--namespace");
		strv_push(&argv, ns);
	}
	for (size_t i = 0; o->values && i < o->values->n; i++) {
		strv_push(&argv, "--values");
		strv_push(&argv, o->values->v[i]);
	}
	for (size_t i = 0; o->sets && i < o->sets->n; i++) {
		strv_push(&argv, "--set");
		strv_push(&argv, o->sets->v[i]);
	}
	strv_push(&argv, "--set");
	strv_push(&argv, "zdm.migrations.path=migrations,zdm.assertions.file=zdm/assertions.yaml");
	if (helmrun(&argv, 1, RENDER_MAX_OUTPUT, &out, e) < 0) {
		zerr_hint(e,
			  "render runs helm to render zdm's templates: put helm on PATH, or pass "
			  "--helm PATH (HELM_BIN)");
		goto cleanup;
	}
	if (out.status != 0) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "rendering zdm's templates for chart \"%s\" failed (helm exit %d)",
			 o->chart->name, out.status);
		render_tail(e, &out.err);
		zerr_hint(e,
			  "the zdm settings come from the chart's values.yaml, %s, --values and "
			  "--set (the keys of zdm's values-zdm.yaml), e.g. "
			  "zdm.database.existingSecret",
			  CHART_ZDM_FILE);
		goto cleanup;
	}
	if (ydoc_load_buf(out.out.buf ? out.out.buf : "", out.out.len, "zdm templates", &s->tiny,
			  e) < 0)
		goto cleanup;
	for (size_t i = 0; i < s->tiny.n; i++) {
		struct rdoc *d;
		if (!s->tiny.docs[i].root)
			continue;
		d = render_add_doc(s, &s->tiny, i);
		if (render_classify(d, e) < 0)
			goto cleanup;
		if (!d->comp) {
			zerr_set(e, ZDM_EXIT_FAILED,
				 "zdm's templates rendered an unexpected %s \"%s\"", d->kind,
				 d->name ? d->name : "");
			goto cleanup;
		}
		s->r->added = 1;
	}
	rc = 0;
cleanup:
	if (nftw(dir, render_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && rc == 0) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot remove the temporary directory \"%s\": %s",
			 dir, strerror(errno));
		rc = -1;
	}
	helmrun_out_release(&out);
	strv_release(&argv);
	free(chartdir);
	free(dir);
	return rc;
}

/* The one value of a text found in every object that has it, or NULL
 * (none, or not all the same). */
static const char *render_common(struct rstate *s, const char *k1, const char *k2, const char *k3)
{
	const char *found = NULL;

	for (size_t i = 0; i < s->nin; i++) {
		const char *v = render_text(render_at(s->docs[i].root, k1, k2, k3, NULL));
		if (!v || !*v)
			continue;
		if (found && strcmp(found, v) != 0)
			return NULL;
		found = v;
	}
	return found;
}

/* Add zdm's objects unless the stream or the chart already has them. */
static int render_add(struct rstate *s, struct zerr *e)
{
	const struct render_opts *o = s->o;
	const char *release = o->release, *ns = o->namespace;

	for (size_t i = 0; i < s->nin; i++)
		if (s->docs[i].comp)
			return 0;
	if (o->chart->injected)
		return 0; /* its own templates render them (Helm 3 keeps hooks out of the stream) */
	if (o->helm3_apply) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "Helm 3 cannot run hooks a post-renderer adds: chart \"%s\" has no zdm "
			 "templates, and the migration Job would be applied as an ordinary "
			 "resource, alongside the rollout",
			 o->chart->name);
		zerr_detail(e,
			    "Helm 3 post-renders only a release's ordinary manifests and applies "
			    "what comes back without looking for hooks");
		zerr_hint(e,
			  "inject the templates (helm zdm inject %s), then the post-renderer "
			  "only lints; or deploy with Helm 4 and its zdm-render post-renderer "
			  "plugin, or with Argo CD",
			  o->chart->dir);
		return -1;
	}
	if (!release)
		release = render_common(s, "metadata", "labels", "app.kubernetes.io/instance");
	if (!release) {
		zerr_set(e, ZDM_EXIT_USAGE, "cannot tell the release name from the stream");
		zerr_hint(e, "pass --release NAME (a post-renderer is not told the release)");
		return -1;
	}
	if (!ns)
		ns = render_common(s, "metadata", "namespace", NULL);
	if (!ns && !o->namespace_optional) {
		zerr_set(e, ZDM_EXIT_USAGE, "cannot tell the release namespace from the stream");
		zerr_hint(e, "pass --namespace NS (a post-renderer is not told the namespace; the "
			     "migration Job records it in the deployment log)");
		return -1;
	}
	return render_tiny(s, release, ns, e);
}

/* ---- transforms ------------------------------------------------------ */

/* metadata.annotations of a document (created when create). */
static struct ynode *render_annotations(struct rdoc *d, int create)
{
	struct ynode *md = ynode_get(d->root, "metadata");

	if (!create)
		return ynode_get(md, "annotations");
	if (!md || md->type != Y_MAP)
		return NULL;
	return yedit_map_at(md, "annotations");
}

/* Where the line holding node n starts, when only blanks precede n on
 * it (a block mapping key); else (size_t)-1. */
static size_t render_line_start(const struct rdoc *d, const struct ynode *n)
{
	const char *src = d->ys->src;
	size_t p = n->start;

	if (n->start < d->start || n->start >= d->end)
		return (size_t)-1;
	while (p > d->start && src[p - 1] != '\n') {
		if (src[p - 1] != ' ')
			return (size_t)-1;
		p--;
	}
	return p;
}

/* Add an annotation to a document as one inserted line (two when it has
 * no annotations yet), the rest of its bytes, comments included, kept.
 * 0 when its layout is not plain block style: the caller edits the tree. */
static int render_patch_annotation(struct rdoc *d, const char *key, const char *value)
{
	const struct ynode *md = ynode_get(d->root, "metadata"), *ann, *first;
	const char *src = d->ys->src, *nl;
	size_t at;
	int indent, ann_missing;
	struct sb b;

	if (d->changed || d->patched || !md || md->type != Y_MAP || !md->n || src[md->start] == '{')
		return 0;
	ann = ynode_get(md, "annotations");
	ann_missing = ann == NULL;
	if (!ann_missing && (ann->type != Y_MAP || !ann->n || src[ann->start] == '{'))
		return 0;
	first = ann_missing ? md->items[0] : ann->items[0];
	at = render_line_start(d, first);
	if (at == (size_t)-1)
		return 0;
	for (const char *p = value; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			return 0;
	nl = memchr(src + first->start, '\n', d->end - first->start);
	indent = first->col - 1;
	sb_init(&b);
	sb_add(&b, src + d->start, at - d->start);
	if (ann_missing)
		sb_addf(&b, "%*sannotations:%s", indent, "", nl && nl[-1] == '\r' ? "\r\n" : "\n");
	sb_addf(&b, "%*s%s: \"%s\"%s", indent + (ann_missing ? 2 : 0), "", key, value,
		nl && nl[-1] == '\r' ? "\r\n" : "\n");
	sb_add(&b, src + at, d->end - at);
	d->patched_len = b.len;
	d->patched = sb_steal(&b);
	return 1;
}

/* Set a string annotation: as an inserted line when the document allows
 * it, else in the tree (re-emitted). The tree is updated either way. */
static void render_annotate(struct rdoc *d, const char *key, const char *value)
{
	struct ynode *ann = render_annotations(d, 0);
	int patched;

	if (ann && ann->type == Y_MAP && yedit_is(ynode_get(ann, key), value))
		return;
	patched = !ynode_get(ann, key) && render_patch_annotation(d, key, value);
	ann = render_annotations(d, 1);
	if (!ann)
		return;
	yedit_set(ann, key, yedit_scalar(value, 0));
	if (!patched)
		d->changed = 1;
}

static long render_wave_of(struct rdoc *d, long def)
{
	struct ynode *ann = render_annotations(d, 0);
	long w;

	if (render_int(ynode_get(ann, RENDER_ANN_WAVE), &w) ||
	    render_int(ynode_get(ann, "helm.sh/hook-weight"), &w))
		return w;
	return def;
}

/* A ConfigMap or the migration Job: hook -> ordinary resource at wave. */
static void render_unhook(struct rdoc *d, long wave)
{
	struct ynode *ann = render_annotations(d, 0);
	char buf[32];

	for (size_t k = 0; ann && ann->type == Y_MAP && k < ZDM_ARRAY_LEN(render_hook_keys); k++)
		if (yedit_del(ann, render_hook_keys[k]))
			d->changed = 1;
	snprintf(buf, sizeof(buf), "%ld", wave);
	render_annotate(d, RENDER_ANN_WAVE, buf);
}

/* CRC-32 of the migrations ConfigMap's data (key, value, ...). */
static int render_migrations_sum(struct rstate *s, char *buf, size_t size)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ynode *data;
		uint32_t crc = 0;
		if (s->docs[i].comp != RC_MIGRATIONS)
			continue;
		/* data, then binaryData (files that are not UTF-8, base64) */
		for (int b = 0; b < 2; b++) {
			data = ynode_get(s->docs[i].root, b ? "binaryData" : "data");
			for (size_t k = 0; data && data->type == Y_MAP && k < data->n; k++) {
				const struct ynode *n = data->items[k];
				if (n->type == Y_SCALAR)
					crc = util_crc32(crc, n->value, n->len + 1);
			}
		}
		snprintf(buf, size, "%08x", (unsigned)crc);
		return 1;
	}
	return 0;
}

static void render_wave_job(struct rstate *s, struct rdoc *d, long wave)
{
	struct ynode *spec = ynode_get(d->root, "spec"), *pt;
	char sum[16];
	long deadline;

	render_unhook(d, wave);
	/* not before: render_unhook replaces a null annotations with a mapping */
	if (!ynode_get(render_annotations(d, 0), RENDER_ANN_SYNC_OPTIONS))
		render_annotate(d, RENDER_ANN_SYNC_OPTIONS, "Force=true,Replace=true");
	if (!spec || spec->type != Y_MAP)
		return;
	if (!render_int(ynode_get(spec, "activeDeadlineSeconds"), &deadline) || deadline <= 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", RENDER_WAVE_DEADLINE);
		yedit_set(spec, "activeDeadlineSeconds", yedit_scalar(buf, 1));
		d->changed = 1;
		render_note(s,
			    "wave mode: Job \"%s\" had no activeDeadlineSeconds; set to %d "
			    "so a stuck Job cannot hold the sync forever "
			    "(zdm.job.activeDeadlineSeconds)",
			    d->name ? d->name : "", RENDER_WAVE_DEADLINE);
	}
	/* an ordinary resource that deletes itself would leave the app OutOfSync */
	if (yedit_del(spec, "ttlSecondsAfterFinished"))
		d->changed = 1;
	pt = render_at(spec, "template", NULL);
	if (pt && pt->type == Y_MAP && render_migrations_sum(s, sum, sizeof(sum))) {
		struct ynode *md = yedit_map_at(pt, "metadata");
		struct ynode *pa = md ? yedit_map_at(md, "annotations") : NULL;
		if (pa && !yedit_is(ynode_get(pa, RENDER_ANN_CHECKSUM), sum)) {
			yedit_set(pa, RENDER_ANN_CHECKSUM, yedit_scalar(sum, 0));
			d->changed = 1;
		}
	}
}

static int render_is_workload(const struct rdoc *d)
{
	for (size_t k = 0; d->kind && k < ZDM_ARRAY_LEN(render_workloads); k++)
		if (!strcmp(d->kind, render_workloads[k]))
			return 1;
	return 0;
}

static void render_wave(struct rstate *s)
{
	struct rdoc *job = NULL;
	long job_wave, app_wave, w;
	char buf[32];

	for (size_t i = 0; i < s->n; i++)
		if (s->docs[i].comp == RC_MIGRATE)
			job = &s->docs[i];
	if (!job)
		return;
	job_wave = render_wave_of(job, -5);
	for (size_t i = 0; i < s->n; i++) {
		struct rdoc *d = &s->docs[i];
		if (d->comp == RC_MIGRATIONS || d->comp == RC_ASSERTIONS)
			render_unhook(d, render_wave_of(d, job_wave - 5));
	}
	render_wave_job(s, job, job_wave);
	app_wave = job_wave + 1 > 0 ? job_wave + 1 : 0;
	snprintf(buf, sizeof(buf), "%ld", app_wave);
	for (size_t i = 0; i < s->n; i++) {
		struct rdoc *d = &s->docs[i];
		struct ynode *ann;
		if (!d->root || d->comp || !render_is_workload(d))
			continue;
		ann = render_annotations(d, 0);
		if (!ynode_get(ann, RENDER_ANN_WAVE)) {
			render_annotate(d, RENDER_ANN_WAVE, buf);
		} else if (render_int(ynode_get(ann, RENDER_ANN_WAVE), &w) && w <= job_wave) {
			render_note(s,
				    "wave mode: %s \"%s\" has sync-wave %ld, not after the "
				    "migration Job's %ld: it may roll before the migrations ran",
				    d->kind, d->name ? d->name : "", w, job_wave);
		}
	}
}

/* The zdm-hook container of a Job (else its first container). */
static struct ynode *render_container(struct rdoc *d)
{
	struct ynode *cs = render_at(d->root, "spec", "template", "spec", "containers", NULL);

	if (!cs || cs->type != Y_SEQ || !cs->n)
		return NULL;
	for (size_t i = 0; i < cs->n; i++)
		if (yedit_is(ynode_get(cs->items[i], "name"), "zdm-hook"))
			return cs->items[i];
	return cs->items[0];
}

/* Every env entry named name gets value (value: NULL removes them). */
static void render_env(struct rdoc *d, struct ynode *env, const char *name, const char *value)
{
	int found = 0;

	for (size_t i = env->n; i-- > 0;) {
		struct ynode *it = env->items[i];
		if (!yedit_is(ynode_get(it, "name"), name) || it->type != Y_MAP)
			continue;
		if (!value) {
			yedit_remove(env, i);
			d->changed = 1;
			continue;
		}
		found = 1;
		if (yedit_is(ynode_get(it, "value"), value) && !ynode_get(it, "valueFrom"))
			continue;
		yedit_del(it, "valueFrom");
		yedit_set(it, "value", yedit_scalar(value, 0));
		d->changed = 1;
	}
	if (!value || found)
		return;
	{
		struct ynode *it = yedit_map();
		yedit_set(it, "name", yedit_scalar(name, 1));
		yedit_set(it, "value", yedit_scalar(value, 0));
		yedit_append(env, it);
		d->changed = 1;
	}
}

static void render_identity(struct rstate *s, const struct render_argocd *a)
{
	for (size_t i = 0; i < s->n; i++) {
		struct rdoc *d = &s->docs[i];
		struct ynode *c, *env;
		if (d->comp != RC_MIGRATE && d->comp != RC_COMPLETE)
			continue;
		c = render_container(d);
		if (!c || c->type != Y_MAP)
			continue;
		env = ynode_get(c, "env");
		if (!env || env->type != Y_SEQ) {
			if (env && !ynode_is_null(env))
				continue;
			yedit_set(c, "env", yedit_seq());
			env = ynode_get(c, "env");
		}
		render_env(d, env, "ZDM_RELEASE", a->app);
		if (a->namespace && *a->namespace)
			render_env(d, env, "ZDM_NAMESPACE", a->namespace);
		render_env(d, env, "ZDM_REVISION", NULL);
		render_env(d, env, "ZDM_DEPLOYED_BY", "argocd");
		render_env(d, env, "ZDM_SOURCE_REVISION",
			   a->revision && *a->revision ? a->revision : NULL);
	}
}

/* ---- application_name (--app-name) ------------------------------------ */

/* Workloads whose pods connect as the app, and where their pod spec is. */
static const char *const render_app_kinds[] = {
	"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Rollout",
};

#define RENDER_APPNAME_MAX 63 /* PostgreSQL keeps NAMEDATALEN - 1 bytes */

static struct ynode *render_pod_spec(const struct rdoc *d)
{
	if (!strcmp(d->kind, "CronJob"))
		return render_at(d->root, "spec", "jobTemplate", "spec", "template", "spec", NULL);
	return render_at(d->root, "spec", "template", "spec", NULL);
}

/* The value of env entry name of zdm's migration Job (else the
 * rollout-complete Job): what the hook records. NULL when neither is in
 * the stream or it is not set there. */
static const char *render_job_env(struct rstate *s, const char *name)
{
	for (int comp = RC_MIGRATE; comp <= RC_COMPLETE; comp++) {
		for (size_t i = 0; i < s->n; i++) {
			struct ynode *c, *env;
			if (s->docs[i].comp != (enum render_comp)comp)
				continue;
			c = render_container(&s->docs[i]);
			env = c && c->type == Y_MAP ? ynode_get(c, "env") : NULL;
			for (size_t k = 0; env && env->type == Y_SEQ && k < env->n; k++)
				if (yedit_is(ynode_get(env->items[k], "name"), name))
					return render_text(ynode_get(env->items[k], "value"));
		}
	}
	return NULL;
}

/* "<release>/<app version>" into *out (caller frees): the migration
 * Job's ZDM_RELEASE and ZDM_APP_VERSION; without that Job in the stream
 * (Helm 3 keeps an injected chart's hooks out of it) the release as
 * render_add finds it and zdm.appVersion of the values files, else the
 * chart's appVersion, as the templates' zdm.appVersion does. */
static int render_app_name_value(struct rstate *s, char **out, struct zerr *e)
{
	const struct render_opts *o = s->o;
	const char *release = render_job_env(s, "ZDM_RELEASE"),
		   *version = render_job_env(s, "ZDM_APP_VERSION");
	char *from_values = NULL;

	if (!release)
		release = o->release ? o->release
				     : render_common(s, "metadata", "labels",
						     "app.kubernetes.io/instance");
	if (!release) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "--app-name: cannot tell the release name from the stream");
		zerr_hint(e, "pass --release NAME (a post-renderer is not told the release)");
		return -1;
	}
	if (!version) {
		for (size_t i = 0; o->sets && i < o->sets->n; i++)
			if (strstr(o->sets->v[i], "zdm.appVersion")) {
				zerr_set(e, ZDM_EXIT_USAGE,
					 "--app-name: the stream has no zdm migration Job to take the "
					 "app version from, and zdm.appVersion is set with --set");
				zerr_hint(e, "set zdm.appVersion in a values file, or include "
					     "\"zdm.appEnv\" in the chart's workloads instead");
				return -1;
			}
		if (o->values && chart_values_get(o->values, "zdm.appVersion", &from_values, e) < 0)
			return -1;
		version = from_values && *from_values ? from_values : o->chart->app_version;
	}
	if (!version || !*version) {
		free(from_values);
		zerr_set(e, ZDM_EXIT_USAGE,
			 "--app-name: no app version: chart \"%s\" has no appVersion and "
			 "zdm.appVersion is not set",
			 o->chart->name);
		zerr_hint(e, "set appVersion in Chart.yaml or zdm.appVersion in the values");
		return -1;
	}
	*out = xasprintf("%s/%s", release, version);
	free(from_values);
	if (strlen(*out) > RENDER_APPNAME_MAX) {
		zerr_set(e, ZDM_EXIT_USAGE,
			 "--app-name: the application_name \"%s\" is longer than PostgreSQL's %d "
			 "bytes",
			 *out, RENDER_APPNAME_MAX);
		zerr_hint(e, "shorten the release name or zdm.appVersion (a cut version would "
			     "compare wrongly)");
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* PGAPPNAME=value in one container, unless it sets PGAPPNAME already. */
static void render_app_container(struct rstate *s, struct rdoc *d, struct ynode *c,
				 const char *value)
{
	const char *cname = render_text(ynode_get(c, "name"));
	struct ynode *env = ynode_get(c, "env"), *it;

	if (env && env->type != Y_SEQ && !ynode_is_null(env)) {
		render_note(s,
			    "--app-name: %s \"%s\" container \"%s\": env is not a list; "
			    "PGAPPNAME not added",
			    d->kind, d->name ? d->name : "", cname ? cname : "");
		return;
	}
	for (size_t k = 0; env && env->type == Y_SEQ && k < env->n; k++) {
		const struct ynode *x = env->items[k];
		if (!yedit_is(ynode_get(x, "name"), "PGAPPNAME"))
			continue;
		if (!yedit_is(ynode_get(x, "value"), value) || ynode_get(x, "valueFrom"))
			render_note(s,
				    "--app-name: %s \"%s\" container \"%s\" sets PGAPPNAME "
				    "already: left alone (the contract guard counts its sessions "
				    "only as \"%s\")",
				    d->kind, d->name ? d->name : "", cname ? cname : "", value);
		return;
	}
	if (!env || env->type != Y_SEQ) {
		yedit_set(c, "env", yedit_seq());
		env = ynode_get(c, "env");
	}
	it = yedit_map();
	yedit_set(it, "name", yedit_scalar("PGAPPNAME", 1));
	yedit_set(it, "value", yedit_scalar(value, 0));
	yedit_append(env, it);
	d->changed = 1;
}

/* Call fn on every container and initContainer of the app's workloads
 * (not zdm's Jobs). */
static void render_app_containers(struct rstate *s,
				  void (*fn)(struct rstate *, struct rdoc *, struct ynode *,
					     const char *),
				  const char *arg)
{
	for (size_t i = 0; i < s->n; i++) {
		struct rdoc *d = &s->docs[i];
		struct ynode *spec;
		int app = 0;

		for (size_t k = 0; d->root && !d->comp && k < ZDM_ARRAY_LEN(render_app_kinds); k++)
			app |= !strcmp(d->kind, render_app_kinds[k]);
		if (!app || !(spec = render_pod_spec(d)) || spec->type != Y_MAP)
			continue;
		for (int init = 1; init >= 0; init--) {
			struct ynode *cs = ynode_get(spec, init ? "initContainers" : "containers");
			for (size_t k = 0; cs && cs->type == Y_SEQ && k < cs->n; k++)
				if (cs->items[k]->type == Y_MAP)
					fn(s, d, cs->items[k], arg);
		}
	}
}

static int render_app_name(struct rstate *s, struct zerr *e)
{
	char *value = NULL;

	if (render_app_name_value(s, &value, e) < 0)
		return -1;
	render_app_containers(s, render_app_container, value);
	free(value);
	return 0;
}

/* Argo CD: a PGAPPNAME "<release>/<version>" that zdm.appEnv rendered
 * with helm template's release name (the Application's name without its
 * "<namespace>_" prefix) gets the release the Jobs record
 * (ARGOCD_APP_NAME), so the guard finds the sessions. */
static void render_argocd_appname_one(struct rstate *s, struct rdoc *d, struct ynode *c,
				      const char *app)
{
	const char *release = s->o->release;
	struct ynode *env = ynode_get(c, "env");
	size_t rlen = strlen(release);

	for (size_t k = 0; env && env->type == Y_SEQ && k < env->n; k++) {
		struct ynode *x = env->items[k];
		const char *v = render_text(ynode_get(x, "value"));
		char *nv;

		if (!yedit_is(ynode_get(x, "name"), "PGAPPNAME") || !v ||
		    strncmp(v, release, rlen) || v[rlen] != '/')
			continue;
		nv = xasprintf("%s%s", app, v + rlen);
		yedit_set(x, "value", yedit_scalar(nv, 0));
		free(nv);
		d->changed = 1;
	}
}

static void render_argocd_appname(struct rstate *s)
{
	const struct render_argocd *a = s->o->argocd;

	if (a && a->app && s->o->release && strcmp(a->app, s->o->release) != 0)
		render_app_containers(s, render_argocd_appname_one, a->app);
}

/* Helm 4 names post-rendered documents by this annotation: give the
 * added ones their template's path, as an injected chart would have. */
static void render_helm4_names(struct rstate *s)
{
	for (size_t i = s->nin; i < s->n; i++) {
		struct rdoc *d = &s->docs[i];
		const char *p = d->ys->src + d->start, *end = d->ys->src + d->root->start;
		const char *hit = memmem(p, (size_t)(end - p), "# Source: ", 10);
		char *path;
		size_t len;

		if (!hit)
			continue;
		hit += 10;
		len = strcspn(hit, "\r\n");
		path = xstrndup(hit, len);
		render_annotate(d, RENDER_ANN_FILENAME, path);
		free(path);
		/* Helm 4 writes "# Source:" itself, from the annotation */
		d->changed = 1;
		d->bare = 1;
	}
}

/* ---- output ---------------------------------------------------------- */

static int render_doc_out(struct rstate *s, const struct rdoc *d, struct zerr *e)
{
	struct sb *out = &s->r->out;
	const char *src = d->ys->src;
	size_t cut;

	if (!d->changed && d->patched) {
		sb_add(out, d->patched, d->patched_len);
		s->r->changed++;
		return 0;
	}
	if (!d->changed) {
		sb_add(out, src + d->start, d->end - d->start);
		return 0;
	}
	if (d->bare) {
		sb_adds(out, "---\n");
		s->r->changed++;
		return yedit_emit(d->root, out, e);
	}
	/* keep the lines before the object: "---", "# Source: ..." */
	cut = d->root->start;
	while (cut > d->start && src[cut - 1] != '\n')
		cut--;
	sb_add(out, src + d->start, cut - d->start);
	if (cut == d->start && d->end - d->start >= 3 && !strncmp(src + d->start, "---", 3))
		sb_adds(out, "---\n");
	s->r->changed++;
	return yedit_emit(d->root, out, e);
}

static int render_emit(struct rstate *s, struct zerr *e)
{
	struct sb *out = &s->r->out;
	size_t pos = 0;

	for (size_t i = 0; i < s->nin; i++) {
		const struct rdoc *d = &s->docs[i];
		if (d->start > pos)
			sb_add(out, s->in.src + pos, d->start - pos);
		if (render_doc_out(s, d, e) < 0)
			return -1;
		pos = d->end;
	}
	if (s->in.len > pos)
		sb_add(out, s->in.src + pos, s->in.len - pos);
	for (size_t i = s->nin; i < s->n; i++) {
		if (out->len && out->buf[out->len - 1] != '\n')
			sb_addc(out, '\n');
		if (render_doc_out(s, &s->docs[i], e) < 0)
			return -1;
	}
	return 0;
}

int render_run(const struct render_opts *o, const char *in, size_t len, struct render_result *r,
	       struct zerr *e)
{
	struct rstate s;
	int rc = -1, objects = 0;

	memset(r, 0, sizeof(*r));
	sb_init(&r->out);
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.r = r;
	if (render_parse(&s, in, len, e) < 0)
		goto cleanup;
	for (size_t i = 0; i < s.nin; i++)
		objects += s.docs[i].root != NULL;
	if (o->refuse_empty && !objects) {
		zerr_set(e, ZDM_EXIT_USAGE, "stdin holds no Kubernetes objects");
		zerr_hint(e,
			  "an empty manifest would prune every resource of the application: check "
			  "the command that renders the chart");
		goto cleanup;
	}
	if (render_check_dups(&s, e) < 0 || render_lint(&s, e) < 0 || render_add(&s, e) < 0 ||
	    render_check_dups(&s, e) < 0)
		goto cleanup;
	if (o->mode == RENDER_WAVE)
		render_wave(&s);
	if (o->argocd) {
		render_identity(&s, o->argocd);
		render_argocd_appname(&s);
	}
	if (o->app_name && render_app_name(&s, e) < 0)
		goto cleanup;
	if (s.helm4)
		render_helm4_names(&s);
	if (render_emit(&s, e) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	for (size_t i = 0; i < s.n; i++)
		free(s.docs[i].patched);
	free(s.docs);
	ystream_release(&s.in);
	ystream_release(&s.tiny);
	return rc;
}

void render_result_release(struct render_result *r)
{
	sb_release(&r->out);
	lint_report_release(&r->lint);
	strv_release(&r->notes);
}
