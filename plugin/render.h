/*
 * render — the manifest filter behind `helm zdm render`, the Helm
 * post-renderers and the Argo CD plugin's generate step.
 *
 * Input: a rendered multi-document manifest stream (helm template's
 * output, or what Helm hands a post-renderer). Output: the same stream
 * with zdm's objects in it — the migrations ConfigMap (and the assertions
 * one), the migration Job and the rollout-complete Job — exactly as an
 * injected chart renders them: they come from running the real
 * templates/ through `helm template` of a throwaway chart that carries
 * the user's chart name, version and appVersion, its migrations and its
 * values, so there is one source of truth. A stream that already holds
 * them (an injected chart) gets none added, so both paths give the same
 * output.
 *
 * Documents are kept byte for byte, comments included, in their order;
 * only a document that changes is re-emitted (yedit.h):
 *
 *   hook mode    nothing changes (the templates' Helm and Argo CD hooks)
 *   wave mode    the ConfigMaps and the migration Job become ordinary
 *                resources at their (negative) sync waves, the Job gets
 *                Replace sync options, a deadline and a checksum of the
 *                migrations (so a changed migration re-creates it), and
 *                every Deployment, StatefulSet, DaemonSet, CronJob and
 *                Argo Rollout without a wave gets one after the Job
 *   app name     (--app-name, off by default: it edits the chart's own
 *                workloads) every container and initContainer of the
 *                Deployments, StatefulSets, DaemonSets, Jobs, CronJobs
 *                and Argo Rollouts, zdm's own Jobs excepted, gets
 *                PGAPPNAME=<release>/<app version>, the release and app
 *                version the migration Job records (its ZDM_RELEASE and
 *                ZDM_APP_VERSION), so the contract guard sees the app's
 *                sessions; a container that sets PGAPPNAME to something
 *                else is left alone, with a note
 *   Argo CD      the Jobs get the identity Argo CD can vouch for:
 *                ZDM_RELEASE = ARGOCD_APP_NAME, ZDM_NAMESPACE =
 *                ARGOCD_APP_NAMESPACE, ZDM_SOURCE_REVISION =
 *                ARGOCD_APP_REVISION, ZDM_DEPLOYED_BY=argocd, and no
 *                ZDM_REVISION (helm template always says 1)
 *
 * Rendering the output again changes nothing. Refused (exit 2, naming the
 * document and line): input that is not YAML, a document that is not a
 * Kubernetes object, the same zdm object twice. The migrations that get
 * packed are linted first (srclint); a refusing finding is exit 6.
 *
 * The library prints nothing: notes for stderr and the lint findings
 * come back in struct render_result.
 */
#ifndef ZDM_RENDER_H
#define ZDM_RENDER_H

#include <stddef.h>

#include "chart.h"
#include "helmrun.h"
#include "lint.h"
#include "util.h"

enum render_mode { RENDER_HOOK = 0, RENDER_WAVE };

/* The deadline wave mode gives a migration Job that has none. */
#define RENDER_WAVE_DEADLINE 240

struct render_argocd {
	const char *app; /* ARGOCD_APP_NAME */
	const char *namespace; /* ARGOCD_APP_NAMESPACE ("" when unset) */
	const char *revision; /* ARGOCD_APP_REVISION ("" when unset) */
};

struct render_opts {
	const struct chart_info *chart; /* where the stream came from */
	const char *migrations; /* the directory to lint and pack */
	int migrations_required; /* named explicitly: must exist */
	const struct strv *values; /* values files, in Helm's order */
	const struct strv *sets; /* helm --set arguments */
	const char *release; /* NULL: the stream's instance label */
	const char *namespace; /* NULL: the stream's namespace */
	int namespace_optional; /* none found: helm's default */
	enum render_mode mode;
	const char *helm; /* the helm binary */
	const struct render_argocd *argocd;
	int helm3_apply; /* Helm 3 install/upgrade: cannot add hooks */
	int lint; /* lint the migrations (render, not lint) */
	int refuse_empty; /* no manifests at all is an error */
	int app_name; /* add PGAPPNAME to the workloads' containers */
};

struct render_result {
	struct sb out; /* the transformed stream */
	struct lint_report lint; /* findings of the migrations */
	size_t nmigrations; /* files linted */
	struct strv notes; /* one line each, for stderr */
	int added; /* zdm objects were added */
	size_t changed; /* documents re-emitted */
};

/* Filter in[0..len). On success r->out holds the stream; on failure -1
 * with e set, r->lint still holding the findings (exit 6). The caller
 * releases r either way. */
int render_run(const struct render_opts *o, const char *in, size_t len, struct render_result *r,
	       struct zerr *e);
void render_result_release(struct render_result *r);

#endif
