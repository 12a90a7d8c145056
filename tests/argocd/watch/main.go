// zdm-k8s-watch records what the API server says happened in a namespace,
// so a test can prove an order (a Job completed before a Deployment was
// created or changed) from the API itself rather than from timestamps in
// our own logs.
//
//	zdm-k8s-watch --kubeconfig K -n NS --ready FILE jobs.v1.batch deployments.v1.apps ...
//
// For each resource (plural.version.group; plural.version for the core
// group) it lists the namespace, then watches from the list's
// resourceVersion, so no change is missed; once every watch is
// established it creates FILE. Each event is one JSON line on stdout:
// {"type":"ADDED|MODIFIED|DELETED|LISTED","resource":"jobs","object":{...}}.
// resourceVersions of one etcd-backed API server are etcd's global
// revision: comparing them across resources orders the writes.
// It runs until SIGTERM or SIGINT.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig")
	ns := flag.String("n", "default", "namespace")
	ready := flag.String("ready", "", "file to create once every watch is established")
	flag.Parse()
	if flag.NArg() == 0 {
		fail(fmt.Errorf("name at least one resource, e.g. jobs.v1.batch"))
	}
	rc, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(err)
	}
	dc, err := dynamic.NewForConfig(rc)
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var mu sync.Mutex
	enc := json.NewEncoder(os.Stdout)
	emit := func(typ, res string, obj any) {
		mu.Lock()
		defer mu.Unlock()
		if err := enc.Encode(map[string]any{"type": typ, "resource": res, "object": obj}); err != nil {
			fail(err)
		}
	}

	var wg sync.WaitGroup
	for _, arg := range flag.Args() {
		parts := strings.SplitN(arg, ".", 3)
		if len(parts) < 2 {
			fail(fmt.Errorf("%q: want plural.version[.group]", arg))
		}
		gvr := schema.GroupVersionResource{Resource: parts[0], Version: parts[1]}
		if len(parts) == 3 {
			gvr.Group = parts[2]
		}
		ri := dc.Resource(gvr).Namespace(*ns)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			fail(fmt.Errorf("list %s: %w", arg, err))
		}
		for i := range list.Items {
			emit("LISTED", gvr.Resource, list.Items[i].Object)
		}
		w, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion(), AllowWatchBookmarks: false})
		if err != nil {
			fail(fmt.Errorf("watch %s: %w", arg, err))
		}
		wg.Add(1)
		go func(res string) {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					w.Stop()
					return
				case ev, ok := <-w.ResultChan():
					if !ok {
						// a closed watch would lose events: say so loudly
						emit("CLOSED", res, nil)
						return
					}
					emit(string(ev.Type), res, ev.Object)
				}
			}
		}(gvr.Resource)
	}
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte("ready\n"), 0o644); err != nil {
			fail(err)
		}
	}
	wg.Wait()
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "zdm-k8s-watch: error: %v\n", err)
	os.Exit(1)
}
