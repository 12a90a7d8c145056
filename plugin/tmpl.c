/*
 * tmpl — locate and read the zdm templates, stamp and check the header
 * line of a chart's copy (see tmpl.h for the header format).
 *
 * The templates are data files next to the plugin rather than strings
 * compiled in, so they stay readable, diffable and renderable on their
 * own; the binary finds them from HELM_PLUGIN_DIR (how helm runs it) or
 * from its own location (a build tree or an install prefix).
 */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMPL_MAX_FILE (1024u * 1024)
#define TMPL_HEADER_START "{{- /* zdm "
#define TMPL_VERSION_MARK "@ZDM_VERSION@"

static int tmpl_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int tmpl_locate(char **dir, struct zerr *e)
{
	const char *env = getenv("ZDM_TEMPLATES_DIR");
	char exe[PATH_MAX];
	char *cand;
	ssize_t n;

	if (env && *env) {
		if (!tmpl_is_dir(env)) {
			zerr_set(e, ZDM_EXIT_USAGE, "ZDM_TEMPLATES_DIR \"%s\" is not a directory",
				 env);
			zerr_hint(e, "unset it to use the templates installed with the plugin");
			return -1;
		}
		*dir = xstrdup(env);
		return 0;
	}
	env = getenv("HELM_PLUGIN_DIR");
	if (env && *env) {
		cand = xasprintf("%s/templates", env);
		if (tmpl_is_dir(cand)) {
			*dir = cand;
			return 0;
		}
		free(cand);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			/* a checkout's build/ or build/<variant>/ (make asan), or an
			 * install prefix: PREFIX/bin/helm-zdm, PREFIX/share/zdm/templates */
			static const char *const rel[] = { "../templates", "../../templates",
							   "../share/zdm/templates" };
			*slash = '\0';
			for (size_t i = 0; i < ZDM_ARRAY_LEN(rel); i++) {
				cand = xasprintf("%s/%s", exe, rel[i]);
				if (tmpl_is_dir(cand)) {
					*dir = cand;
					return 0;
				}
				free(cand);
			}
		}
	}
	zerr_set(e, ZDM_EXIT_FAILED, "cannot find the zdm templates");
	zerr_detail(e, "looked in $ZDM_TEMPLATES_DIR, $HELM_PLUGIN_DIR/templates, and "
		       "../templates, ../../templates and ../share/zdm/templates from the "
		       "helm-zdm binary");
	zerr_hint(e, "reinstall the plugin (helm plugin install), or set ZDM_TEMPLATES_DIR to "
		     "the templates/ directory of a zdm checkout");
	return -1;
}

int tmpl_is_zdm_name(const char *name)
{
	if (!strncmp(name, "zdm-", 4) && name[4])
		return 1;
	return !strncmp(name, "_zdm", 4) && util_str_has_suffix(name, ".tpl");
}

/* Replace every version mark in buf (takes ownership, returns a new
 * buffer; *len updated). */
static char *tmpl_subst_version(char *buf, size_t *len)
{
	struct sb s;
	const char *p = buf, *end = buf + *len, *hit;
	size_t mlen = strlen(TMPL_VERSION_MARK);

	sb_init(&s);
	while ((hit = memmem(p, (size_t)(end - p), TMPL_VERSION_MARK, mlen))) {
		sb_add(&s, p, (size_t)(hit - p));
		sb_adds(&s, ZDM_VERSION);
		p = hit + mlen;
	}
	sb_add(&s, p, (size_t)(end - p));
	free(buf);
	*len = s.len;
	return sb_steal(&s);
}

static int tmpl_read(const char *dir, const char *name, char **out, size_t *len, struct zerr *e)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = util_read_file(path, TMPL_MAX_FILE, out, len, e);

	free(path);
	if (rc < 0) {
		e->code = ZDM_EXIT_FAILED;
		zerr_hint(e,
			  "the plugin's templates directory \"%s\" is incomplete: reinstall the "
			  "plugin",
			  dir);
		return -1;
	}
	*out = tmpl_subst_version(*out, len);
	return 0;
}

static int tmpl_cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct tmpl_file *)a)->name, ((const struct tmpl_file *)b)->name);
}

int tmpl_load(const char *dir, struct tmpl_set *out, struct zerr *e)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->dir = xstrdup(dir);
	d = opendir(dir);
	if (!d) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot read the zdm templates directory \"%s\": %s",
			 dir, strerror(errno));
		goto cleanup;
	}
	while ((de = readdir(d))) {
		struct tmpl_file *t;
		if (de->d_name[0] == '.' || !tmpl_is_zdm_name(de->d_name))
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			out->v = xrealloc(out->v, cap * sizeof(*out->v));
		}
		t = &out->v[out->n];
		memset(t, 0, sizeof(*t));
		t->name = xstrdup(de->d_name);
		out->n++;
		if (tmpl_read(dir, t->name, &t->body, &t->len, e) < 0)
			goto cleanup;
	}
	if (out->n == 0) {
		zerr_set(e, ZDM_EXIT_FAILED, "no zdm templates in \"%s\"", dir);
		zerr_hint(e, "reinstall the plugin, or point ZDM_TEMPLATES_DIR at a zdm templates/ "
			     "directory");
		goto cleanup;
	}
	util_sort(out->v, out->n, sizeof(*out->v), tmpl_cmp_files);
	if (tmpl_read(dir, TMPL_VALUES_FILE, &out->values_block, &out->values_len, e) < 0 ||
	    tmpl_read(dir, TMPL_README_FILE, &out->readme, &out->readme_len, e) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	if (d)
		closedir(d);
	if (rc < 0)
		tmpl_release(out);
	return rc;
}

void tmpl_release(struct tmpl_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].body);
	}
	free(s->v);
	free(s->dir);
	free(s->values_block);
	free(s->readme);
	memset(s, 0, sizeof(*s));
}

char *tmpl_render(const struct tmpl_file *t, size_t *len)
{
	struct sb s;
	uint32_t crc = util_crc32(0, t->body, t->len);

	sb_init(&s);
	sb_addf(&s,
		TMPL_HEADER_START
		"%s template %s crc32:%08x: written by \"helm zdm inject\"; "
		"configure it under zdm: in values.yaml instead of editing this "
		"file (inject refuses to overwrite an edited copy without --force) */ -}}\n",
		ZDM_VERSION, t->name, (unsigned)crc);
	sb_add(&s, t->body, t->len);
	*len = s.len;
	return sb_steal(&s);
}

enum tmpl_state tmpl_check(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len), *mark;
	size_t hlen;
	char hex[9];
	unsigned long want;
	char *endp;

	if (!nl || len < strlen(TMPL_HEADER_START) ||
	    strncmp(buf, TMPL_HEADER_START, strlen(TMPL_HEADER_START)) != 0)
		return TMPL_FOREIGN;
	hlen = (size_t)(nl - buf);
	mark = memmem(buf, hlen, " crc32:", 7);
	if (!mark || (size_t)(mark - buf) + 7 + 8 > hlen)
		return TMPL_FOREIGN;
	memcpy(hex, mark + 7, 8);
	hex[8] = '\0';
	want = strtoul(hex, &endp, 16);
	if (*endp)
		return TMPL_FOREIGN;
	nl++;
	return util_crc32(0, nl, len - (size_t)(nl - buf)) == (uint32_t)want ? TMPL_PRISTINE
									     : TMPL_MODIFIED;
}
