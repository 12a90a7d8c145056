// zdm-kubelet: the one piece of the e2e test cluster that is ours. A small
// kubelet for a real kube-apiserver: it registers one Ready node, binds
// every unscheduled pod to it (there is no scheduler), runs the pods'
// containers and reports what happened through the pod status, exactly
// the fields the Job and Deployment controllers and Helm read.
//
// Containers run in one of two ways:
//
//   - runc (default when runc works): a real OCI container. The rootfs is
//     the image's, unpacked with umoci from an OCI archive found in
//     --image-dir by its org.opencontainers.image.ref.name; for a zdm-hook
//     image without an archive, a rootfs of host directories bound read-only
//     plus the locally built zdm-hook (--hook-bin). runAsUser/runAsGroup,
//     readOnlyRootFilesystem, dropped capabilities, allowPrivilegeEscalation
//     and volume mounts become the bundle's config.json.
//   - process (--mode=process, or when runc cannot run here): the container's
//     command in a mount namespace of its own, chrooted into the same rootfs,
//     volumes bind-mounted at their mountPaths, run as runAsUser/runAsGroup
//     with no_new_privs.
//
// Any other image (the application's Deployment) runs a trivial long-lived
// process that is Ready as soon as it starts: probes are not run.
// Every container shares the host network namespace, so pods reach the
// sandbox PostgreSQL on 127.0.0.1.
//
// Logs go to one file per container and are served over HTTPS at
// /containerLogs/<ns>/<pod>/<container> for `kubectl logs`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type config struct {
	kubeconfig string
	nodeName   string
	stateDir   string
	imageDir   string
	mode       string
	hookBin    string
	port       int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "nsexec" {
		nsexecMain(os.Args[2:])
		return
	}
	var c config
	flag.StringVar(&c.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server")
	flag.StringVar(&c.nodeName, "node-name", "zdm-node", "name of the node to register")
	flag.StringVar(&c.stateDir, "state-dir", "/tmp/zdm-kubelet", "pods, bundles and logs go here")
	flag.StringVar(&c.imageDir, "image-dir", envOr("ZDM_IMAGE_DIR", "build/image"), "directory of OCI archives (*.tar) to find images in")
	flag.StringVar(&c.mode, "mode", envOr("ZDM_KUBELET_MODE", "auto"), "runc, process or auto")
	flag.StringVar(&c.hookBin, "hook-bin", envOr("ZDM_HOOK_BIN", "build/zdm-hook"), "zdm-hook binary for zdm-hook images without an OCI archive")
	flag.IntVar(&c.port, "port", 10250, "HTTPS port for container logs (on 127.0.0.1)")
	flag.Parse()

	for _, p := range []*string{&c.stateDir, &c.imageDir, &c.hookBin} {
		if a, err := filepath.Abs(*p); err == nil {
			*p = a
		}
	}
	if c.mode == "auto" {
		c.mode = "process"
		if runcWorks(c.stateDir) {
			c.mode = "runc"
		}
	}
	if c.mode != "runc" && c.mode != "process" {
		log.Fatalf("zdm-kubelet: error: --mode must be runc, process or auto (got %q)", c.mode)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	if err != nil {
		log.Fatalf("zdm-kubelet: error: %v", err)
	}
	rc.QPS, rc.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		log.Fatalf("zdm-kubelet: error: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	k := newKubelet(c, cs)
	log.Printf("zdm-kubelet: node %s, mode %s, images from %s", c.nodeName, c.mode, c.imageDir)
	if err := k.run(ctx); err != nil {
		log.Fatalf("zdm-kubelet: error: %v", err)
	}
	// Stop every container we started before going away.
	k.killAll(5 * time.Second)
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "zdm-kubelet: error: "+format+"\n", a...)
	os.Exit(1)
}
