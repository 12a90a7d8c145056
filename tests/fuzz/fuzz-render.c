/*
 * fuzz-render — libFuzzer harness for render's stream pipeline
 * (plugin/render.c): what `helm zdm render` does to a manifest stream,
 * in every mode, short of running helm.
 *
 * The input is the stream. Its first line may be a comment "#!FLAGS"
 * choosing the options, one letter each: w --mode wave, a Argo CD
 * identity (--argocd), n Argo CD without a namespace and revision,
 * e refuse an empty stream (as the Argo CD plugin does), p a chart that
 * is not injected, rendered for a Helm 3 install (so zdm's objects are
 * never added by running helm: a stream without them is refused, one
 * with them is transformed), N --app-name (PGAPPNAME in the workloads'
 * containers). Without p the chart is an injected one and
 * the stream's own zdm objects are transformed. The comment is part of
 * the stream, as a comment is in a real one.
 *
 * Beyond the sanitizers: a refusal is exit 2 with a message; an output
 * loads as YAML; and rendering the output again gives it back unchanged
 * (render.h: "Rendering the output again changes nothing").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "ydoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_render_check(int ok)
{
	if (!ok)
		abort();
}

static int fuzz_render_flag(const char *in, size_t len, char f)
{
	size_t eol;

	if (len < 2 || in[0] != '#' || in[1] != '!')
		return 0;
	eol = strcspn(in, "\n");
	if (eol > len)
		eol = len;
	return memchr(in + 2, f, eol - 2) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	struct chart_info chart = { .dir = "chart",
				    .name = "shop",
				    .version = "1.2.3",
				    .app_version = "2.0.0",
				    .injected = 1 };
	struct render_argocd argo = { .app = "shop", .namespace = "prod", .revision = "abc123" };
	struct render_opts o = { .chart = &chart, .helm = "/nonexistent/helm" };
	struct render_result r, again;
	struct ystream ys;
	struct zerr e = { 0 };

	o.mode = fuzz_render_flag(in, size, 'w') ? RENDER_WAVE : RENDER_HOOK;
	if (fuzz_render_flag(in, size, 'a') || fuzz_render_flag(in, size, 'n'))
		o.argocd = &argo;
	if (fuzz_render_flag(in, size, 'n'))
		argo.namespace = argo.revision = "";
	o.refuse_empty = fuzz_render_flag(in, size, 'e');
	o.app_name = fuzz_render_flag(in, size, 'N');
	if (fuzz_render_flag(in, size, 'p')) {
		chart.injected = 0;
		o.helm3_apply = 1;
	}
	if (render_run(&o, in, size, &r, &e) < 0) {
		fuzz_render_check(e.code == ZDM_EXIT_USAGE && e.msg[0]);
		render_result_release(&r);
		free(in);
		return 0;
	}
	fuzz_render_check(r.added == 0);
	if (ydoc_load_buf(r.out.buf ? r.out.buf : "", r.out.len, "output", &ys, &e) < 0)
		abort(); /* render wrote a stream that does not load */
	ystream_release(&ys);
	memset(&e, 0, sizeof(e));
	if (render_run(&o, r.out.buf ? r.out.buf : "", r.out.len, &again, &e) < 0)
		abort(); /* its own output refused */
	fuzz_render_check(
		again.out.len == r.out.len &&
		!memcmp(again.out.buf ? again.out.buf : "", r.out.buf ? r.out.buf : "", r.out.len));
	render_result_release(&again);
	render_result_release(&r);
	free(in);
	return 0;
}
