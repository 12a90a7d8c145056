// zdm-argocd-manifests asks a running argocd-repo-server for the manifests
// of an Argo CD Application, with the request the application controller
// sends (controller/state.go, GetRepoObjs): the Application's source,
// its instance name, destination namespace, project, the cluster's
// version and API versions. The repo-server clones the source, and for a
// plugin source streams it to the config management plugin server, which
// runs plugin.yaml's init and generate commands.
//
// It exists so the CMP path can be tested without a Kubernetes control
// plane (tests/e2e/argocd-cmp-server.bats); with one, the controller does
// the same call itself.
//
//	zdm-argocd-manifests --repo-server 127.0.0.1:PORT --app APP.yaml \
//	    [--kube-version 1.35.4] [--api-versions v1,apps/v1,...] [--revision REV]
//
// stdout: the manifests as a YAML stream; exit 0. On a generation error the
// repo-server's message goes to stderr, exit 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	"sigs.k8s.io/yaml"
)

func main() {
	server := flag.String("repo-server", "127.0.0.1:8081", "argocd-repo-server address (plaintext gRPC)")
	appFile := flag.String("app", "", "the Application manifest (YAML)")
	kubeVersion := flag.String("kube-version", "1.35.0", "the target cluster's version, as the controller reads it")
	apiVersions := flag.String("api-versions", "v1,v1/ConfigMap,v1/Secret,v1/Service,apps/v1,apps/v1/Deployment,batch/v1,batch/v1/Job,batch/v1/CronJob",
		"the target cluster's API versions, comma-separated")
	revision := flag.String("revision", "", "revision to render (default: the source's targetRevision)")
	timeout := flag.Duration("timeout", 3*time.Minute, "request timeout")
	flag.Parse()
	if *appFile == "" {
		fmt.Fprintln(os.Stderr, "zdm-argocd-manifests: --app is required")
		os.Exit(2)
	}
	raw, err := os.ReadFile(*appFile)
	if err != nil {
		fail(2, err)
	}
	var app v1alpha1.Application
	if err := yaml.UnmarshalStrict(raw, &app); err != nil {
		fail(2, fmt.Errorf("%s: %w", *appFile, err))
	}
	if app.Spec.Source == nil {
		fail(2, fmt.Errorf("%s: spec.source is required", *appFile))
	}
	source := *app.Spec.Source
	rev := *revision
	if rev == "" {
		rev = source.TargetRevision
	}
	if app.Namespace == "" {
		app.Namespace = "argocd"
	}
	project := app.Spec.Project
	if project == "" {
		project = "default"
	}

	clients := apiclient.NewRepoServerClientset(*server, int(timeout.Seconds()), apiclient.TLSConfiguration{DisableTLS: true})
	conn, client, err := clients.NewRepoServerClient()
	if err != nil {
		fail(1, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	resp, err := client.GenerateManifest(ctx, &apiclient.ManifestRequest{
		Repo:               &v1alpha1.Repository{Repo: source.RepoURL},
		Revision:           rev,
		NoCache:            true,
		NoRevisionCache:    true,
		AppLabelKey:        "app.kubernetes.io/instance",
		AppName:            app.InstanceName("argocd"),
		Namespace:          app.Spec.Destination.Namespace,
		ApplicationSource:  &source,
		KubeVersion:        *kubeVersion,
		ApiVersions:        strings.Split(*apiVersions, ","),
		TrackingMethod:     string(v1alpha1.TrackingMethodAnnotation),
		EnabledSourceTypes: map[string]bool{},
		ProjectName:        project,
		ProjectSourceRepos: []string{"*"},
	})
	if err != nil {
		fail(1, err)
	}
	fmt.Fprintf(os.Stderr, "zdm-argocd-manifests: revision %s, source type %s, %d objects\n", resp.Revision, resp.SourceType, len(resp.Manifests))
	for _, m := range resp.Manifests {
		var obj map[string]any
		if err := json.Unmarshal([]byte(m), &obj); err != nil {
			fail(1, fmt.Errorf("repo-server returned a manifest that is not JSON: %w", err))
		}
		out, err := yaml.Marshal(obj)
		if err != nil {
			fail(1, err)
		}
		fmt.Printf("---\n%s", out)
	}
}

func fail(code int, err error) {
	fmt.Fprintf(os.Stderr, "zdm-argocd-manifests: %v\n", err)
	os.Exit(code)
}
