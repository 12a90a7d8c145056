/*
 * argocd — what the Argo CD config management plugin (plugin/argocd/)
 * hands helm-zdm, read once and checked.
 *
 * Argo CD's repo-server runs the plugin's commands in a copy of the
 * application's source directory with (argo-cd reposerver, "build
 * environment"): ARGOCD_APP_NAME (the Application, "<ns>_<name>" when it
 * lives outside Argo CD's namespace), ARGOCD_APP_NAMESPACE (the
 * destination namespace), ARGOCD_APP_REVISION, ARGOCD_APP_SOURCE_PATH,
 * KUBE_VERSION, KUBE_API_VERSIONS, the Application's plugin env as
 * ARGOCD_ENV_<name>, and its plugin parameters as ARGOCD_APP_PARAMETERS:
 * compact JSON, keys sorted, e.g.
 *
 *   [{"array":["values-prod.yaml"],"name":"values-files"},
 *    {"map":{"image.tag":"v2"},"name":"helm-parameters"}]
 *
 * which is parsed here with jansson (the PARAM_* variables Argo CD also
 * sets lose the map keys' spelling, so they are not used).
 *
 * Parameters (announced in plugin.yaml):
 *   values-files     array   values files, relative to the application
 *   helm-parameters  map     --set KEY=VALUE pairs
 *   mode             string  hook | wave
 *   migrations       string  the migrations directory
 *   app-name         string  true | false: render --app-name
 * Each may also come from the Application's env (ZDM_VALUES as a comma
 * list, ZDM_SET as a --set string, ZDM_MODE, ZDM_MIGRATIONS_DIR,
 * ZDM_APP_NAME). The
 * most specific source wins: parameter, then the Application's env, then
 * the sidecar's own ZDM_* environment (read here for values and --set,
 * so helm-args and render agree; by render's options for the others),
 * then the default.
 *
 * Ownership: struct argocd_params owns everything in it
 * (argocd_params_release).
 */
#ifndef ZDM_ARGOCD_H
#define ZDM_ARGOCD_H

#include "helmrun.h"
#include "util.h"

struct argocd_params {
	struct strv values; /* values files (checked: inside the source) */
	int values_set; /* given by parameter or env */
	struct strv sets; /* helm --set arguments */
	int sets_set;
	char *mode; /* NULL when neither parameter nor env */
	char *migrations; /* NULL when neither parameter nor env */
	int app_name; /* -1 when neither parameter nor env, else 0 or 1 */
};

/* Read ARGOCD_APP_PARAMETERS and the ARGOCD_ENV_ZDM_* variables. -1
 * with e set (exit 2) on malformed JSON, an unknown parameter, a
 * parameter of the wrong type, or a values file that is absolute, a URL,
 * missing, or outside the application's source. */
int argocd_params_load(struct argocd_params *p, struct zerr *e);
void argocd_params_release(struct argocd_params *p);

/* ARGOCD_ENV_<name> when set and not empty, else NULL. */
const char *argocd_env(const char *name);

/* The Helm release name for ARGOCD_APP_NAME: the Application's name
 * without the "<namespace>_" prefix Argo CD adds for Applications outside
 * its own namespace (a Helm release name cannot hold "_"). Caller frees.
 * -1 with e set when ARGOCD_APP_NAME is unset. */
int argocd_release(char **out, struct zerr *e);

#endif
