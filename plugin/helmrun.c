/*
 * helmrun — fork, exec, read stdout (and stderr) with poll until both
 * close, wait. A close-on-exec pipe carries the child's errno back when
 * exec fails, so "helm not found" is an error of ours with the path in
 * it, not a mysterious exit 127.
 */
#include "helmrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void strv_push(struct strv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void strv_pushf(struct strv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strv_push(a, s);
	free(s);
}

void strv_release(struct strv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

void helmrun_out_release(struct helmrun_out *o)
{
	sb_release(&o->out);
	sb_release(&o->err);
}

static void helmrun_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The child: wire the descriptors and exec; on failure send errno up. */
static void helmrun_child(const struct strv *argv, int out, int err, int report)
{
	int null = open("/dev/null", O_RDONLY);
	int saved;

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || (err >= 0 && dup2(err, 2) < 0))
		goto fail;
	signal(SIGPIPE, SIG_DFL);
	execvp(argv->v[0], argv->v);
fail:
	saved = errno;
	if (write(report, &saved, sizeof(saved)) < 0) {
		/* nothing more to do: the parent sees exit 127 */
	}
	_exit(127);
}

int helmrun(const struct strv *argv, int capture_err, size_t max_out, struct helmrun_out *o,
	    struct zerr *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int status, child_errno = 0, rc = -1, too_big = 0;
	pid_t pid;
	ssize_t r;

	sb_init(&o->out);
	sb_init(&o->err);
	o->status = -1;
	if (pipe2(outp, O_CLOEXEC) < 0 || (capture_err && pipe2(errp, O_CLOEXEC) < 0) ||
	    pipe2(rep, O_CLOEXEC) < 0) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot run \"%s\": pipe: %s", argv->v[0],
			 strerror(errno));
		goto cleanup;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot run \"%s\": fork: %s", argv->v[0],
			 strerror(errno));
		goto cleanup;
	}
	if (pid == 0)
		helmrun_child(argv, outp[1], capture_err ? errp[1] : -1, rep[1]);
	helmrun_close(&outp[1]);
	helmrun_close(&errp[1]);
	helmrun_close(&rep[1]);
	while (outp[0] >= 0 || errp[0] >= 0) {
		struct pollfd p[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
		char buf[65536];

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int k = 0; k < 2; k++) {
			int *fd = k == 0 ? &outp[0] : &errp[0];
			struct sb *dst = k == 0 ? &o->out : &o->err;
			if (*fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(*fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				helmrun_close(fd);
				continue;
			}
			if (dst->len + (size_t)r > max_out) {
				too_big = 1;
				continue; /* drain, keep nothing more */
			}
			sb_add(dst, buf, (size_t)r);
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			zerr_set(e, ZDM_EXIT_FAILED, "cannot wait for \"%s\": %s", argv->v[0],
				 strerror(errno));
			goto cleanup;
		}
	o->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	while ((r = read(rep[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	if (r == (ssize_t)sizeof(child_errno)) {
		zerr_set(e, ZDM_EXIT_FAILED, "cannot run \"%s\": %s", argv->v[0],
			 strerror(child_errno));
		goto cleanup;
	}
	if (too_big) {
		zerr_set(e, ZDM_EXIT_FAILED, "\"%s\" wrote more than %zu bytes", argv->v[0],
			 max_out);
		goto cleanup;
	}
	rc = 0;
cleanup:
	helmrun_close(&outp[0]);
	helmrun_close(&outp[1]);
	helmrun_close(&errp[0]);
	helmrun_close(&errp[1]);
	helmrun_close(&rep[0]);
	helmrun_close(&rep[1]);
	return rc;
}
