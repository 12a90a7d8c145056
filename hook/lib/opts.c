/*
 * opts — parse --flag VALUE / --flag=VALUE / --bool, then fill whatever
 * was not given from the option's environment variable, then from its
 * default; validate every value by kind (see opts.h).
 */
#include "opts.h"

#include <stdlib.h>
#include <string.h>

static int opts_convert(const struct opt_def *d, const char *text, const char *origin,
			struct opt_value *v, struct zerr *e)
{
	v->str = text;
	switch (d->kind) {
	case OPT_STRING:
		return 0;
	case OPT_ASSIGN:
		if (text[0] == '=' || !strchr(text, '=')) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: \"%s\" is not %s", origin, text,
				 d->metavar ? d->metavar : "NAME=VALUE");
			zerr_hint(e,
				  "write the name, \"=\" and the value: %s schema=app (the value "
				  "may be empty: schema=)",
				  origin);
			return -1;
		}
		return 0;
	case OPT_BOOL:
		if (!strcmp(text, "1") || !strcmp(text, "true") || !strcmp(text, "yes") ||
		    !strcmp(text, "on"))
			v->num = 1;
		else if (!strcmp(text, "0") || !strcmp(text, "false") || !strcmp(text, "no") ||
			 !strcmp(text, "off") || !*text)
			v->num = 0;
		else
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s: \"%s\" is not a boolean (use true or false)", origin,
					text);
		return 0;
	case OPT_DURATION:
		if (util_parse_duration(text, &v->num) < 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "%s: \"%s\" is not a duration", origin, text);
			zerr_hint(e, "write a number with a unit: 500ms, 2s, 10m, 1h (or 0)");
			return -1;
		}
		return 0;
	case OPT_INT:
		if (util_parse_uint(text, 1000000000LL, &v->num) < 0)
			return zerr_set(e, ZDM_EXIT_USAGE,
					"%s: \"%s\" is not a non-negative integer", origin, text);
		return 0;
	case OPT_CHOICE: {
		size_t n = strlen(text);
		const char *p = d->choices;
		while (p && *p) {
			const char *bar = strchr(p, '|');
			size_t len = bar ? (size_t)(bar - p) : strlen(p);
			if (len == n && strncmp(p, text, n) == 0)
				return 0;
			p = bar ? bar + 1 : NULL;
		}
		return zerr_set(e, ZDM_EXIT_USAGE, "%s: \"%s\" is not one of %s", origin, text,
				d->choices);
	}
	}
	return 0;
}

size_t opts_count(const struct opt_def *const *list)
{
	size_t n = 0;

	while (list && list[n])
		n++;
	return n;
}

const struct opt_value *opts_get(const struct opt_def *const *list, const struct opt_value *vals,
				 const struct opt_def *d)
{
	static const struct opt_value none;

	for (size_t k = 0; list && list[k]; k++)
		if (list[k] == d)
			return &vals[k];
	return &none;
}

int opts_parse(const struct opt_def *const *list, int argc, char **argv, struct opt_value *vals,
	       const char **args, int *nargs, struct zerr *e)
{
	int i, no_more_flags = 0;
	size_t k, n = opts_count(list);

	*nargs = 0;
	memset(vals, 0, n * sizeof(*vals));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *value = NULL;
		size_t namelen;
		const struct opt_def *d = NULL;
		char origin[96];

		if (no_more_flags || a[0] != '-' || !strcmp(a, "-")) {
			args[(*nargs)++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			no_more_flags = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 1;
		if (strncmp(a, "--", 2) != 0) {
			zerr_set(e, ZDM_EXIT_USAGE, "unknown option \"%s\"", a);
			return -1;
		}
		name = a + 2;
		eq = strchr(name, '=');
		namelen = eq ? (size_t)(eq - name) : strlen(name);
		for (k = 0; k < n; k++)
			if (strlen(list[k]->name) == namelen &&
			    !strncmp(list[k]->name, name, namelen)) {
				d = list[k];
				break;
			}
		if (!d) {
			zerr_set(e, ZDM_EXIT_USAGE, "unknown option \"--%.*s\"", (int)namelen,
				 name);
			return -1;
		}
		snprintf(origin, sizeof(origin), "--%s", d->name);
		if (d->kind == OPT_BOOL) {
			value = eq ? eq + 1 : "true";
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			zerr_set(e, ZDM_EXIT_USAGE, "option \"--%s\" needs a value (%s)", d->name,
				 d->metavar ? d->metavar : "VALUE");
			return -1;
		}
		if (opts_convert(d, value, origin, &vals[k], e) < 0)
			return -1;
		vals[k].set = 1;
		if (d->repeat) {
			vals[k].all = xrealloc(vals[k].all,
					       (vals[k].nall + 1) * sizeof(*vals[k].all));
			vals[k].all[vals[k].nall++] = value;
		}
	}
	for (k = 0; k < n; k++) {
		const struct opt_def *d = list[k];
		const char *env;
		char origin[96];

		if (vals[k].set)
			continue;
		env = d->env ? getenv(d->env) : NULL;
		if (env && *env) {
			snprintf(origin, sizeof(origin), "environment variable %s", d->env);
			if (opts_convert(d, env, origin, &vals[k], e) < 0)
				return -1;
			vals[k].set = 1;
			if (d->repeat) {
				vals[k].all = xcalloc(1, sizeof(*vals[k].all));
				vals[k].all[vals[k].nall++] = env;
			}
		} else if (d->def) {
			snprintf(origin, sizeof(origin), "default of --%s", d->name);
			if (opts_convert(d, d->def, origin, &vals[k], e) < 0)
				return -1;
		}
	}
	return 0;
}

void opts_release(const struct opt_def *const *list, struct opt_value *vals)
{
	for (size_t k = 0; list && list[k]; k++) {
		free(vals[k].all);
		vals[k].all = NULL;
		vals[k].nall = 0;
	}
}

int opts_has_flag(const struct opt_def *const *list, int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return 0;
		if (!strcmp(a, flag))
			return 1;
		if (strncmp(a, "--", 2) != 0 || strchr(a, '='))
			continue;
		for (size_t k = 0; list && list[k]; k++)
			if (!strcmp(list[k]->name, a + 2)) {
				if (list[k]->kind != OPT_BOOL)
					i++; /* its value, whatever it looks like */
				break;
			}
	}
	return 0;
}

void opts_print_help(FILE *f, const struct opt_def *const *list)
{
	for (size_t k = 0; list && list[k]; k++) {
		const struct opt_def *d = list[k];
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", d->name, d->metavar ? " " : "",
			 d->metavar ? d->metavar : "");
		fprintf(f, "  %-28s %s", left, d->help);
		if (d->def || d->env) {
			fprintf(f, " [");
			if (d->env)
				fprintf(f, "env %s", d->env);
			if (d->def)
				fprintf(f, "%sdefault %s", d->env ? ", " : "", d->def);
			fprintf(f, "]");
		}
		if (d->repeat)
			fprintf(f, " (repeatable)");
		fputc('\n', f);
	}
}
