package main

// The node, the pod informer, binding, and each pod's life: prepare its
// volumes and environment, run init containers then containers, report
// status, and honour deletion with its grace period.

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

type kubelet struct {
	c      config
	cs     kubernetes.Interface
	lister cache.Indexer

	mu    sync.Mutex
	pods  map[types.UID]*podRun
	bound map[types.UID]bool
}

// podRun is one pod we run; deleted is closed when its deletion is seen.
type podRun struct {
	pod      *corev1.Pod
	dir      string
	deleted  chan struct{}
	grace    time.Duration
	once     sync.Once
	mu       sync.Mutex
	running  []*proc
	done     chan struct{}
	finished bool
}

func newKubelet(c config, cs kubernetes.Interface) *kubelet {
	return &kubelet{c: c, cs: cs, pods: map[types.UID]*podRun{}, bound: map[types.UID]bool{}}
}

func (k *kubelet) run(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(k.c.stateDir, "pods"), 0o755); err != nil {
		return err
	}
	if err := k.registerNode(ctx); err != nil {
		return fmt.Errorf("registering node %s: %w", k.c.nodeName, err)
	}
	go k.heartbeat(ctx)
	go k.serveLogs(ctx)

	f := informers.NewSharedInformerFactory(k.cs, 0)
	inf := f.Core().V1().Pods().Informer()
	k.lister = inf.GetIndexer()
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { k.sync(ctx, o.(*corev1.Pod)) },
		UpdateFunc: func(_, o any) { k.sync(ctx, o.(*corev1.Pod)) },
	})
	f.Start(ctx.Done())
	<-ctx.Done()
	return nil
}

func (k *kubelet) node() *corev1.Node {
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("8"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	now := metav1.Now()
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.c.nodeName, Labels: map[string]string{
			"kubernetes.io/hostname": k.c.nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		}},
		Status: corev1.NodeStatus{
			Capacity: res, Allocatable: res,
			Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				Message:           "zdm-kubelet is posting ready status (mode " + k.c.mode + ")",
				LastHeartbeatTime: now, LastTransitionTime: now,
			}},
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: k.c.nodeName}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(k.c.port)}},
			NodeInfo:        corev1.NodeSystemInfo{KubeletVersion: "zdm-kubelet", OperatingSystem: "linux", Architecture: "amd64", ContainerRuntimeVersion: "zdm://" + k.c.mode},
		},
	}
}

func (k *kubelet) registerNode(ctx context.Context) error {
	want := k.node()
	n, err := k.cs.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		n, err = k.cs.CoreV1().Nodes().Get(ctx, k.c.nodeName, metav1.GetOptions{})
	}
	if err != nil {
		return err
	}
	n.Status = want.Status
	_, err = k.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	return err
}

// heartbeat keeps the Ready condition fresh (nothing here evicts a node
// that stops, but kubectl shows the age).
func (k *kubelet) heartbeat(ctx context.Context) {
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.registerNode(ctx); err != nil && ctx.Err() == nil {
				log.Printf("heartbeat: %v", err)
			}
		}
	}
}

func (k *kubelet) sync(ctx context.Context, p *corev1.Pod) {
	if p.Spec.NodeName == "" {
		k.bind(ctx, p)
		return
	}
	if p.Spec.NodeName != k.c.nodeName {
		return
	}
	k.mu.Lock()
	r := k.pods[p.UID]
	if r == nil && p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
		r = &podRun{pod: p.DeepCopy(), dir: filepath.Join(k.c.stateDir, "pods", string(p.UID)),
			deleted: make(chan struct{}), done: make(chan struct{})}
		k.pods[p.UID] = r
		k.mu.Unlock()
		go k.runPod(ctx, r)
		return
	}
	k.mu.Unlock()
	if p.DeletionTimestamp == nil {
		return
	}
	if r == nil {
		// Terminal before we saw its deletion (or from an earlier run):
		// nothing to stop; let the API server finish the deletion.
		k.forget(ctx, p)
		return
	}
	r.once.Do(func() {
		g := int64(30)
		if p.DeletionGracePeriodSeconds != nil {
			g = *p.DeletionGracePeriodSeconds
		}
		r.grace = time.Duration(g) * time.Second
		log.Printf("%s/%s: deletion requested (grace %s)", p.Namespace, p.Name, r.grace)
		close(r.deleted)
	})
}

func (k *kubelet) bind(ctx context.Context, p *corev1.Pod) {
	if p.DeletionTimestamp != nil {
		return
	}
	k.mu.Lock()
	if k.bound[p.UID] {
		k.mu.Unlock()
		return
	}
	k.bound[p.UID] = true
	k.mu.Unlock()
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.c.nodeName},
	}
	if err := k.cs.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		log.Printf("%s/%s: bind: %v", p.Namespace, p.Name, err)
		k.mu.Lock()
		delete(k.bound, p.UID)
		k.mu.Unlock()
	}
}

// forget deletes a pod whose containers are gone, with grace 0 and its
// UID as precondition.
func (k *kubelet) forget(ctx context.Context, p *corev1.Pod) {
	zero := int64(0)
	uid := p.UID
	err := k.cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		log.Printf("%s/%s: delete: %v", p.Namespace, p.Name, err)
	}
}

// current is the informer's newest copy of r's pod (or the one we have).
func (k *kubelet) current(r *podRun) *corev1.Pod {
	if o, ok, _ := k.lister.GetByKey(r.pod.Namespace + "/" + r.pod.Name); ok {
		if p := o.(*corev1.Pod); p.UID == r.pod.UID {
			return p
		}
	}
	return r.pod
}

// runPod is one pod from start to its terminal status (and deletion).
func (k *kubelet) runPod(ctx context.Context, r *podRun) {
	p := r.pod
	name := p.Namespace + "/" + p.Name
	defer close(r.done)
	st := &podState{started: metav1.Now()}
	var env map[string][]corev1.EnvVar
	var vols map[string]string
	// Volumes and environment: a missing Secret or ConfigMap keeps the pod
	// in ContainerCreating, as the real kubelet does.
	for {
		var err error
		vols, err = k.prepareVolumes(ctx, r)
		if err == nil {
			env, err = k.resolveEnv(ctx, p)
		}
		if err == nil {
			break
		}
		st.waitingMsg = err.Error()
		k.patchStatus(ctx, r, st)
		select {
		case <-r.deleted:
			k.finish(ctx, r, st)
			return
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	st.waitingMsg = ""

	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		cs := k.runContainer(ctx, r, c, env[c.Name], vols, st, true)
		if cs.exit != 0 {
			st.phase = corev1.PodFailed
			k.finish(ctx, r, st)
			return
		}
	}
	st.initDone = true

	var wg sync.WaitGroup
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.runContainer(ctx, r, c, env[c.Name], vols, st, false)
		}()
	}
	wg.Wait()
	st.phase = corev1.PodSucceeded
	for _, c := range st.containers {
		if c.exit != 0 {
			st.phase = corev1.PodFailed
		}
	}
	log.Printf("%s: %s", name, st.phase)
	k.finish(ctx, r, st)
}

// finish reports the terminal status and, once deletion was requested,
// removes the pod from the API.
func (k *kubelet) finish(ctx context.Context, r *podRun, st *podState) {
	if st.phase == "" {
		st.phase = corev1.PodFailed
	}
	st.terminal = true
	k.patchStatus(ctx, r, st)
	select {
	case <-r.deleted:
		k.forget(ctx, r.pod)
		k.mu.Lock()
		delete(k.pods, r.pod.UID)
		k.mu.Unlock()
		os.RemoveAll(r.dir)
	case <-ctx.Done():
	}
}

func (k *kubelet) killAll(wait time.Duration) {
	k.mu.Lock()
	var runs []*podRun
	for _, r := range k.pods {
		runs = append(runs, r)
	}
	k.mu.Unlock()
	for _, r := range runs {
		r.mu.Lock()
		for _, pr := range r.running {
			pr.signal(syscall.SIGKILL)
		}
		r.mu.Unlock()
	}
	deadline := time.After(wait)
	for _, r := range runs {
		select {
		case <-r.done:
		case <-deadline:
			return
		}
	}
}

// containerState is what we know of one container.
type containerState struct {
	name     string
	init     bool
	image    string
	started  metav1.Time
	finished metav1.Time
	running  bool
	exited   bool
	exit     int
	reason   string
	message  string
	ready    bool
}

type podState struct {
	mu         sync.Mutex
	started    metav1.Time
	phase      corev1.PodPhase
	terminal   bool
	initDone   bool
	waitingMsg string
	containers []*containerState
}

func (s *podState) get(name string) *containerState {
	for _, c := range s.containers {
		if c.name == name {
			return c
		}
	}
	return nil
}

func condition(t corev1.PodConditionType, ok bool, reason string) corev1.PodCondition {
	s := corev1.ConditionFalse
	if ok {
		s = corev1.ConditionTrue
	}
	return corev1.PodCondition{Type: t, Status: s, Reason: reason, LastTransitionTime: metav1.Now()}
}

// patchStatus writes st into the pod's status, keeping conditions that
// others set (DisruptionTarget from the eviction API, for one).
func (k *kubelet) patchStatus(ctx context.Context, r *podRun, st *podState) {
	st.mu.Lock()
	defer st.mu.Unlock()
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		p, err := k.cs.CoreV1().Pods(r.pod.Namespace).Get(ctx, r.pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.UID != r.pod.UID {
			return nil
		}
		s := &p.Status
		s.HostIP, s.PodIP = "127.0.0.1", "127.0.0.1"
		s.HostIPs = []corev1.HostIP{{IP: "127.0.0.1"}}
		s.PodIPs = []corev1.PodIP{{IP: "127.0.0.1"}}
		s.StartTime = &st.started
		allReady := len(p.Spec.Containers) > 0
		var cs, ics []corev1.ContainerStatus
		for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
			for _, c := range list {
				x := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image}
				cst := st.get(c.Name)
				switch {
				case cst == nil:
					reason := "ContainerCreating"
					if len(p.Spec.InitContainers) > 0 && !st.initDone {
						reason = "PodInitializing"
					}
					x.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: st.waitingMsg}
				case cst.exited:
					x.State.Terminated = &corev1.ContainerStateTerminated{
						ExitCode: int32(cst.exit), Reason: cst.reason, Message: cst.message,
						StartedAt: cst.started, FinishedAt: cst.finished, ContainerID: "zdm://" + string(p.UID) + "/" + c.Name}
				case cst.running:
					x.State.Running = &corev1.ContainerStateRunning{StartedAt: cst.started}
					x.Started = ptr(true)
					x.ContainerID = "zdm://" + string(p.UID) + "/" + c.Name
				}
				x.Ready = cst != nil && cst.ready && cst.running && !cst.exited
				if cst == nil || !x.Ready {
					if cst == nil || !cst.init {
						allReady = false
					}
				}
				if cst != nil && cst.init {
					ics = append(ics, x)
				} else if cst == nil && containsName(p.Spec.InitContainers, c.Name) {
					ics = append(ics, x)
				} else {
					cs = append(cs, x)
				}
			}
		}
		s.ContainerStatuses, s.InitContainerStatuses = cs, ics
		if st.terminal {
			allReady = false
		}
		s.Phase = corev1.PodPending
		if st.terminal {
			s.Phase = st.phase
		} else if st.initDone && len(st.containers) > len(p.Spec.InitContainers) {
			s.Phase = corev1.PodRunning
		}
		mine := []corev1.PodCondition{
			condition(corev1.PodReadyToStartContainers, true, ""),
			condition(corev1.PodInitialized, st.initDone, ""),
			condition(corev1.ContainersReady, allReady, ""),
			condition(corev1.PodReady, allReady, ""),
		}
		if st.terminal {
			mine[2].Reason, mine[3].Reason = "PodCompleted", "PodCompleted"
		}
		for _, c := range mine {
			setCondition(s, c)
		}
		_, err = k.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		log.Printf("%s/%s: status: %v", r.pod.Namespace, r.pod.Name, err)
	}
}

func containsName(cs []corev1.Container, n string) bool {
	for _, c := range cs {
		if c.Name == n {
			return true
		}
	}
	return false
}

func setCondition(s *corev1.PodStatus, c corev1.PodCondition) {
	for i := range s.Conditions {
		if s.Conditions[i].Type == c.Type {
			if s.Conditions[i].Status != c.Status {
				s.Conditions[i] = c
			} else {
				s.Conditions[i].Reason = c.Reason
			}
			return
		}
	}
	s.Conditions = append(s.Conditions, c)
}

func ptr[T any](v T) *T { return &v }

// runContainer starts one container, reports it running, waits for it
// (or kills it on deletion, after the grace period) and reports its end.
func (k *kubelet) runContainer(ctx context.Context, r *podRun, c *corev1.Container, env []corev1.EnvVar, vols map[string]string, st *podState, init bool) *containerState {
	p := r.pod
	cst := &containerState{name: c.Name, init: init, image: c.Image}
	st.mu.Lock()
	st.containers = append(st.containers, cst)
	st.mu.Unlock()

	pr, err := k.startContainer(r, c, env, vols)
	now := metav1.Now()
	if err != nil {
		log.Printf("%s/%s: container %s: %v", p.Namespace, p.Name, c.Name, err)
		cst.started, cst.finished = now, now
		cst.exited, cst.exit, cst.reason, cst.message = true, 128, "StartError", err.Error()
		k.patchStatus(ctx, r, st)
		return cst
	}
	r.mu.Lock()
	r.running = append(r.running, pr)
	r.mu.Unlock()
	cst.started, cst.running, cst.ready = now, true, true
	k.patchStatus(ctx, r, st)

	exited := make(chan int, 1)
	go func() { exited <- pr.wait() }()
	var code int
	select {
	case code = <-exited:
	case <-r.deleted:
		pr.signal(syscall.SIGTERM)
		select {
		case code = <-exited:
		case <-time.After(r.grace):
			pr.signal(syscall.SIGKILL)
			code = <-exited
		}
	case <-ctx.Done():
		pr.signal(syscall.SIGKILL)
		code = <-exited
	}
	pr.cleanup()
	st.mu.Lock()
	cst.finished = metav1.Now()
	cst.running, cst.exited, cst.exit = false, true, code
	cst.reason = "Completed"
	if code != 0 {
		cst.reason = "Error"
	}
	cst.message = terminationMessage(c, pr, code)
	st.mu.Unlock()
	log.Printf("%s/%s: container %s exited %d", p.Namespace, p.Name, c.Name, code)
	if init || code != 0 || p.Spec.RestartPolicy != corev1.RestartPolicyNever {
		// The last container's end is reported by the pod's terminal
		// status; init containers and failures now.
		k.patchStatus(ctx, r, st)
	}
	return cst
}

// terminationMessage reads the container's terminationMessagePath file
// (at most 4096 bytes) or, with FallbackToLogsOnError and a failure,
// the last 80 lines (2048 bytes) of its log.
func terminationMessage(c *corev1.Container, pr *proc, code int) string {
	b, _ := os.ReadFile(pr.termFile)
	if len(b) > 4096 {
		b = b[:4096]
	}
	msg := string(b)
	if strings.TrimSpace(msg) == "" && code != 0 && c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
		lb, _ := os.ReadFile(pr.logFile)
		lines := strings.Split(strings.TrimRight(string(lb), "\n"), "\n")
		if len(lines) > 80 {
			lines = lines[len(lines)-80:]
		}
		msg = strings.Join(lines, "\n")
		if len(msg) > 2048 {
			msg = msg[len(msg)-2048:]
		}
	}
	return msg
}
