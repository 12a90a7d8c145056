/*
 * helmrun — run helm (or any program) without a shell and collect what
 * it writes.
 *
 * helm-zdm renders zdm's own templates with the real `helm template`
 * rather than re-implementing Go templates, so the objects it adds are
 * exactly the ones an injected chart renders. The helm binary is the
 * --helm flag, else HELM_BIN (Helm sets it for plugin commands), else
 * `helm` on PATH.
 *
 * Ownership: struct strv owns its strings (strv_release frees them);
 * struct helmrun_out owns its two buffers (helmrun_out_release).
 */
#ifndef ZDM_HELMRUN_H
#define ZDM_HELMRUN_H

#include <stddef.h>

#include "util.h"

/* A growable NULL-terminated argv. */
struct strv {
	char **v;
	size_t n;
	size_t cap;
};

void strv_push(struct strv *a, const char *s);
void strv_pushf(struct strv *a, const char *fmt, ...) ZDM_PRINTF(2, 3);
void strv_release(struct strv *a);

struct helmrun_out {
	struct sb out; /* stdout */
	struct sb err; /* stderr, when captured */
	int status; /* exit status; 128+N when killed by signal N */
};

void helmrun_out_release(struct helmrun_out *o);

/* Run argv (argv.v[0] looked up in PATH when it has no slash), stdin
 * from /dev/null, stdout into o->out (at most max_out bytes), stderr into
 * o->err when capture_err, else to our stderr. Returns 0 when the program
 * ran (whatever its exit status), -1 with e set when it could not be
 * started or its output was too large. */
int helmrun(const struct strv *argv, int capture_err, size_t max_out, struct helmrun_out *o,
	    struct zerr *e);

#endif
