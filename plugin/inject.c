/*
 * inject — check a chart, plan the changes that add zdm to it, write
 * them. See inject.h for the rules; the shape is:
 *
 *   inject_check_chart   Chart.yaml present, parsed, not a library chart
 *   inject_plan_tmpl     each zdm template: create, update, keep, refuse
 *   inject_plan_obsolete zdm templates the current version dropped
 *   inject_plan_values   append the zdm: block unless a zdm: key exists
 *   inject_plan_readme   migrations/README.md when migrations/ is absent
 *   inject_plan_apply    writability check, temporaries, then renames
 *
 * Every YAML read goes through ydoc (positions, aliases refused); the
 * appended values.yaml is parsed again before anything is written, so a
 * file the block cannot be appended to safely (an indented or flow root
 * mapping, a document end marker) is refused instead of broken.
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
	if (ydoc_load_file(path, &ys, e) < 0) {
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
	if (ydoc_load_buf(cur ? cur : "", cur_len, path, &ys, e) < 0) {
		e->code = ZDM_EXIT_USAGE;
		if (strstr(e->msg, "aliases"))
			zerr_hint(e,
				  "zdm reads values.yaml without anchors and aliases; add the zdm: "
				  "block by hand from the plugin's templates/%s",
				  TMPL_VALUES_FILE);
		else
			zerr_hint(e, "fix values.yaml first (helm lint shows the same problem)");
		goto cleanup;
	}
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
	if (ydoc_load_buf(s.buf, s.len, path, &check, e) < 0 || check.n != 1 ||
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
