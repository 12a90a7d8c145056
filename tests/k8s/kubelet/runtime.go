package main

// Containers: the rootfs an image gives (an OCI archive unpacked with
// umoci, or host directories plus the local zdm-hook), and the two ways of
// running a command in it: runc with a generated config.json, or our own
// `nsexec` (mount namespace, binds, chroot, setuid, no_new_privs).

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
)

// proc is one running container.
type proc struct {
	cmd      *exec.Cmd
	logFile  string
	termFile string
	done     func()
	waitOnce sync.Once
	code     int
}

func (p *proc) wait() int {
	p.waitOnce.Do(func() {
		err := p.cmd.Wait()
		p.code = 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			ws := ee.Sys().(syscall.WaitStatus)
			switch {
			case ws.Signaled():
				p.code = 128 + int(ws.Signal())
			default:
				p.code = ws.ExitStatus()
			}
		} else if err != nil {
			p.code = 128
		}
	})
	return p.code
}

func (p *proc) signal(s syscall.Signal) {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(s)
	}
}

func (p *proc) cleanup() {
	if p.done != nil {
		p.done()
	}
}

// image is what a container's image gives it.
type image struct {
	rootfs     string
	entrypoint []string
	cmd        []string
	env        []string
	workdir    string
	binds      []specs.Mount // host directories the rootfs needs (host rootfs only)
	symlinks   map[string]string
}

var imageMu sync.Mutex

// isZdmImage: images the kubelet runs for real; anything else is the
// application's, which gets a trivial long-lived process.
func isZdmImage(ref string) bool {
	name := ref
	if i := strings.LastIndex(name, "@"); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	base := name[strings.LastIndex(name, "/")+1:]
	return strings.HasPrefix(base, "zdm-")
}

// findArchive returns the OCI archive in dir whose index names ref.
func findArchive(dir, ref string) (string, error) {
	entries, _ := filepath.Glob(filepath.Join(dir, "*.tar"))
	for _, f := range entries {
		idx, err := readTarFile(f, "index.json")
		if err != nil {
			continue
		}
		var ix struct {
			Manifests []struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"manifests"`
		}
		if json.Unmarshal(idx, &ix) != nil {
			continue
		}
		for _, m := range ix.Manifests {
			n := m.Annotations["org.opencontainers.image.ref.name"]
			if n == ref || "docker.io/"+n == ref || n == "docker.io/"+ref {
				return f, nil
			}
		}
	}
	return "", nil
}

func readTarFile(archive, name string) ([]byte, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, err
		}
		if filepath.Clean(h.Name) == name {
			return io.ReadAll(tr)
		}
	}
}

// loadImage resolves ref to a rootfs, unpacking an archive once per
// archive content (cached under state/images).
func (k *kubelet) loadImage(ref string) (*image, error) {
	imageMu.Lock()
	defer imageMu.Unlock()
	archive, err := findArchive(k.c.imageDir, ref)
	if err != nil {
		return nil, err
	}
	if archive == "" {
		return k.hostImage()
	}
	sum, err := fileHash(archive)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(k.c.stateDir, "images", sum[:16])
	bundle := filepath.Join(base, "bundle")
	if _, err := os.Stat(filepath.Join(bundle, "rootfs")); err != nil {
		layout := filepath.Join(base, "layout")
		os.RemoveAll(base)
		if err := os.MkdirAll(layout, 0o755); err != nil {
			return nil, err
		}
		if out, err := exec.Command("tar", "-xf", archive, "-C", layout).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("untar %s: %v: %s", archive, err, out)
		}
		// umoci wants a plain tag: name the manifest for ref "zdm".
		if err := retagIndex(filepath.Join(layout, "index.json"), ref); err != nil {
			return nil, err
		}
		if out, err := exec.Command("umoci", "unpack", "--image", layout+":zdm", bundle).CombinedOutput(); err != nil {
			os.RemoveAll(bundle)
			return nil, fmt.Errorf("umoci unpack %s: %v: %s", archive, err, out)
		}
	}
	return readImageConfig(filepath.Join(base, "layout"), bundle)
}

func fileHash(f string) (string, error) {
	fh, err := os.Open(f)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func retagIndex(path, ref string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var ix map[string]any
	if err := json.Unmarshal(b, &ix); err != nil {
		return err
	}
	ms, _ := ix["manifests"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		ann, _ := mm["annotations"].(map[string]any)
		if n, _ := ann["org.opencontainers.image.ref.name"].(string); n == ref || "docker.io/"+n == ref || n == "docker.io/"+ref {
			cp := map[string]any{}
			for k, v := range mm {
				cp[k] = v
			}
			cp["annotations"] = map[string]any{"org.opencontainers.image.ref.name": "zdm"}
			ix["manifests"] = append(ms, cp)
			out, _ := json.Marshal(ix)
			return os.WriteFile(path, out, 0o644)
		}
	}
	return fmt.Errorf("%s: no manifest named %q", path, ref)
}

// readImageConfig reads entrypoint, cmd, env and workdir from the image
// config that the "zdm" manifest points to.
func readImageConfig(layout, bundle string) (*image, error) {
	blob := func(d string) ([]byte, error) {
		alg, hexd, _ := strings.Cut(d, ":")
		return os.ReadFile(filepath.Join(layout, "blobs", alg, hexd))
	}
	b, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		return nil, err
	}
	var ix struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, err
	}
	var md string
	for _, m := range ix.Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] == "zdm" {
			md = m.Digest
		}
	}
	mb, err := blob(md)
	if err != nil {
		return nil, err
	}
	var man struct {
		Config struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, err
	}
	cb, err := blob(man.Config.Digest)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Config struct {
			Entrypoint []string `json:"Entrypoint"`
			Cmd        []string `json:"Cmd"`
			Env        []string `json:"Env"`
			WorkingDir string   `json:"WorkingDir"`
		} `json:"config"`
	}
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return nil, err
	}
	return &image{rootfs: filepath.Join(bundle, "rootfs"), entrypoint: cfg.Config.Entrypoint,
		cmd: cfg.Config.Cmd, env: cfg.Config.Env, workdir: cfg.Config.WorkingDir}, nil
}

// hostImage: a zdm-hook image without an archive. The rootfs is a few
// empty directories; the host's /usr, /lib*, /etc are bound read-only and
// the locally built zdm-hook is bound at /zdm-bin/zdm-hook.
func (k *kubelet) hostImage() (*image, error) {
	if _, err := os.Stat(k.c.hookBin); err != nil {
		return nil, fmt.Errorf("no OCI archive for the image in %s and no zdm-hook binary at %s", k.c.imageDir, k.c.hookBin)
	}
	root := filepath.Join(k.c.stateDir, "images", "host", "rootfs")
	im := &image{rootfs: root, env: []string{"PATH=/zdm-bin:/usr/local/bin:/usr/bin:/bin"}, workdir: "/",
		symlinks: map[string]string{}}
	for _, d := range []string{"usr", "lib", "lib64", "bin", "sbin", "etc"} {
		host := "/" + d
		fi, err := os.Lstat(host)
		if err != nil {
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			t, _ := os.Readlink(host)
			im.symlinks[d] = t
			continue
		}
		im.binds = append(im.binds, specs.Mount{Destination: host, Type: "bind", Source: host,
			Options: []string{"rbind", "ro", "nosuid", "nodev"}})
	}
	im.binds = append(im.binds, specs.Mount{Destination: "/zdm-bin/zdm-hook", Type: "bind", Source: k.c.hookBin,
		Options: []string{"bind", "ro", "nosuid", "nodev"}})
	for _, d := range []string{"proc", "dev", "sys", "tmp", "zdm-bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := touch(filepath.Join(root, "zdm-bin", "zdm-hook")); err != nil {
		return nil, err
	}
	for d, t := range im.symlinks {
		p := filepath.Join(root, d)
		if cur, err := os.Readlink(p); err != nil || cur != t {
			os.Remove(p)
			if err := os.Symlink(t, p); err != nil {
				return nil, err
			}
		}
	}
	return im, nil
}

func touch(p string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// identity is the user a container runs as.
type identity struct {
	uid, gid uint32
	groups   []uint32
	nnp      bool
	readOnly bool
	capDrop  map[string]bool
	capAdd   []string
}

func securityOf(p *corev1.Pod, c *corev1.Container) identity {
	id := identity{capDrop: map[string]bool{}}
	if ps := p.Spec.SecurityContext; ps != nil {
		if ps.RunAsUser != nil {
			id.uid = uint32(*ps.RunAsUser)
		}
		if ps.RunAsGroup != nil {
			id.gid = uint32(*ps.RunAsGroup)
		}
		for _, g := range ps.SupplementalGroups {
			id.groups = append(id.groups, uint32(g))
		}
		if ps.FSGroup != nil {
			id.groups = append(id.groups, uint32(*ps.FSGroup))
		}
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			id.uid = uint32(*sc.RunAsUser)
		}
		if sc.RunAsGroup != nil {
			id.gid = uint32(*sc.RunAsGroup)
		}
		if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			id.nnp = true
		}
		if sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
			id.readOnly = true
		}
		if sc.Capabilities != nil {
			for _, d := range sc.Capabilities.Drop {
				id.capDrop[strings.ToUpper(string(d))] = true
			}
			for _, a := range sc.Capabilities.Add {
				id.capAdd = append(id.capAdd, "CAP_"+strings.TrimPrefix(strings.ToUpper(string(a)), "CAP_"))
			}
		}
	}
	return id
}

// The container runtime's default capabilities (containerd's list).
var defaultCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

func (id identity) caps() []string {
	out := []string{}
	if !id.capDrop["ALL"] {
		for _, c := range defaultCaps {
			if !id.capDrop[strings.TrimPrefix(c, "CAP_")] && !id.capDrop[c] {
				out = append(out, c)
			}
		}
	}
	return append(out, id.capAdd...)
}

// startContainer starts c and returns it running.
func (k *kubelet) startContainer(r *podRun, c *corev1.Container, env []corev1.EnvVar, vols map[string]string) (*proc, error) {
	p := r.pod
	cdir := filepath.Join(r.dir, "containers", c.Name)
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return nil, err
	}
	pr := &proc{logFile: filepath.Join(cdir, "log"), termFile: filepath.Join(cdir, "termination-log")}
	logf, err := os.OpenFile(pr.logFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	if err := os.WriteFile(pr.termFile, nil, 0o666); err != nil {
		return nil, err
	}
	os.Chmod(pr.termFile, 0o666)

	if !isZdmImage(c.Image) {
		// The application: a process that lives until it is stopped.
		pr.cmd = exec.Command("sleep", "infinity")
		pr.cmd.Stdout, pr.cmd.Stderr = logf, logf
		pr.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		fmt.Fprintf(logf, "zdm-kubelet: image %s is not run; a placeholder process stands in for it\n", c.Image)
		return pr, pr.cmd.Start()
	}
	im, err := k.loadImage(c.Image)
	if err != nil {
		return nil, err
	}
	args := append([]string{}, im.entrypoint...)
	cargs := im.cmd
	if len(c.Command) > 0 {
		args = append([]string{}, c.Command...)
		cargs = nil
	}
	if len(c.Args) > 0 {
		cargs = c.Args
	}
	args = append(args, cargs...)
	vals := map[string]string{}
	for _, e := range env {
		vals[e.Name] = e.Value
	}
	for i := range args {
		args[i] = expand(args[i], vals)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("container %q: no command", c.Name)
	}
	envs := mergeEnv(im.env, env)
	cwd := im.workdir
	if c.WorkingDir != "" {
		cwd = c.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	id := securityOf(p, c)
	termPath := c.TerminationMessagePath
	if termPath == "" {
		termPath = "/dev/termination-log"
	}
	var mounts []specs.Mount
	mounts = append(mounts, im.binds...)
	for _, vm := range c.VolumeMounts {
		src, ok := vols[vm.Name]
		if !ok {
			return nil, fmt.Errorf("volumeMount %q: no such volume", vm.Name)
		}
		if vm.SubPath != "" {
			src = filepath.Join(src, filepath.Clean("/"+vm.SubPath))
		}
		opt := []string{"rbind", "nosuid", "nodev"}
		if vm.ReadOnly {
			opt = append(opt, "ro")
		}
		mounts = append(mounts, specs.Mount{Destination: vm.MountPath, Type: "bind", Source: src, Options: opt})
	}
	mounts = append(mounts, specs.Mount{Destination: termPath, Type: "bind", Source: pr.termFile,
		Options: []string{"bind", "nosuid", "nodev", "noexec"}})

	if k.c.mode == "runc" {
		return k.startRunc(r, c, pr, logf, im, args, envs, cwd, id, mounts)
	}
	return k.startNsexec(pr, logf, im, args, envs, cwd, id, mounts)
}

func mergeEnv(base []string, env []corev1.EnvVar) []string {
	out := append([]string{}, base...)
	idx := map[string]int{}
	for i, e := range out {
		n, _, _ := strings.Cut(e, "=")
		idx[n] = i
	}
	for _, e := range env {
		kv := e.Name + "=" + e.Value
		if i, ok := idx[e.Name]; ok {
			out[i] = kv
		} else {
			idx[e.Name] = len(out)
			out = append(out, kv)
		}
	}
	if _, ok := idx["PATH"]; !ok {
		out = append(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if _, ok := idx["HOME"]; !ok {
		out = append(out, "HOME=/")
	}
	return out
}

func (k *kubelet) startRunc(r *podRun, c *corev1.Container, pr *proc, logf *os.File, im *image, args, envs []string, cwd string, id identity, mounts []specs.Mount) (*proc, error) {
	cid := string(r.pod.UID)[:8] + "-" + c.Name
	bundle := filepath.Join(r.dir, "containers", c.Name, "bundle")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		return nil, err
	}
	caps := id.caps()
	base := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		// The host network namespace: sysfs cannot be mounted anew, bind it.
		{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}},
	}
	spec := specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			User:            specs.User{UID: id.uid, GID: id.gid, AdditionalGids: id.groups},
			Args:            args,
			Env:             envs,
			Cwd:             cwd,
			NoNewPrivileges: id.nnp,
			Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		},
		Root:     &specs.Root{Path: im.rootfs, Readonly: id.readOnly},
		Hostname: r.pod.Name,
		Mounts:   append(base, mounts...),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace}},
			MaskedPaths: []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	if id.uid != 0 {
		// A non-root user keeps no capability across exec (as with the
		// real kubelet, which sets only the bounding set for non-root).
		spec.Process.Capabilities.Effective = nil
		spec.Process.Capabilities.Permitted = nil
	}
	b, err := json.MarshalIndent(&spec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		return nil, err
	}
	root := filepath.Join(k.c.stateDir, "runc")
	_ = exec.Command("runc", "--root", root, "delete", "--force", cid).Run()
	pr.cmd = exec.Command("runc", "--root", root, "run", "--bundle", bundle, cid)
	pr.cmd.Stdout, pr.cmd.Stderr = logf, logf
	pr.done = func() {
		_ = exec.Command("runc", "--root", root, "delete", "--force", cid).Run()
	}
	return pr, pr.cmd.Start()
}

// runcWorks runs `true` in a runc container of the host rootfs once.
func runcWorks(stateDir string) bool {
	if _, err := exec.LookPath("runc"); err != nil || os.Geteuid() != 0 {
		return false
	}
	k := &kubelet{c: config{stateDir: stateDir, mode: "runc", hookBin: "/bin/true"}}
	im, err := k.hostImage()
	if err != nil {
		return false
	}
	dir, err := os.MkdirTemp(stateDir, "probe")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	r := &podRun{pod: &corev1.Pod{}, dir: dir}
	r.pod.UID = "probe-00000000"
	r.pod.Name = "probe"
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return false
	}
	defer logf.Close()
	pr := &proc{}
	c := &corev1.Container{Name: "probe"}
	id := identity{uid: 65532, gid: 65532, nnp: true, readOnly: true, capDrop: map[string]bool{"ALL": true}}
	if _, err := k.startRunc(r, c, pr, logf, im, []string{"/zdm-bin/zdm-hook"}, []string{"PATH=/usr/bin:/bin"}, "/", id, im.binds); err != nil {
		return false
	}
	code := pr.wait()
	pr.cleanup()
	if code != 0 {
		b, _ := os.ReadFile(filepath.Join(dir, "log"))
		fmt.Fprintf(os.Stderr, "zdm-kubelet: runc probe exited %d: %s\n", code, b)
	}
	return code == 0
}

// startNsexec runs the command through our own nsexec in a new mount
// namespace.
func (k *kubelet) startNsexec(pr *proc, logf *os.File, im *image, args, envs []string, cwd string, id identity, mounts []specs.Mount) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cdir := filepath.Dir(pr.logFile)
	na := []string{"nsexec", "--rootfs", im.rootfs, "--newroot", filepath.Join(cdir, "root"), "--cwd", cwd,
		"--uid", strconv.Itoa(int(id.uid)), "--gid", strconv.Itoa(int(id.gid))}
	for _, g := range id.groups {
		na = append(na, "--group", strconv.Itoa(int(g)))
	}
	if id.nnp {
		na = append(na, "--nnp")
	}
	if id.readOnly {
		na = append(na, "--ro")
	}
	for _, m := range mounts {
		ro := "rw"
		for _, o := range m.Options {
			if o == "ro" {
				ro = "ro"
			}
		}
		na = append(na, "--bind", m.Source+":"+m.Destination+":"+ro)
	}
	na = append(na, "--")
	na = append(na, args...)
	pr.cmd = exec.Command(self, na...)
	pr.cmd.Env = envs
	pr.cmd.Stdout, pr.cmd.Stderr = logf, logf
	pr.cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return pr, pr.cmd.Start()
}
