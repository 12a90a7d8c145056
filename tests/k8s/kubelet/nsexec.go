package main

// `zdm-kubelet nsexec`: the process mode's container, for machines where
// runc cannot run. Started by the kubelet in a new mount namespace; binds
// the rootfs at --newroot, the host directories and volumes inside it,
// /proc and /dev from the host, makes the root read-only when asked,
// chroots, drops to --uid/--gid with no_new_privs and execs the command.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const prSetNoNewPrivs = 38

func nsexecMain(args []string) {
	var rootfs, newroot, cwd string
	var uid, gid int
	var groups []int
	var nnp, ro bool
	var binds []string
	i := 0
	next := func() string {
		i++
		if i >= len(args) {
			fatalf("nsexec: %s needs a value", args[i-1])
		}
		return args[i]
	}
	for ; i < len(args); i++ {
		switch args[i] {
		case "--rootfs":
			rootfs = next()
		case "--newroot":
			newroot = next()
		case "--cwd":
			cwd = next()
		case "--uid":
			uid, _ = strconv.Atoi(next())
		case "--gid":
			gid, _ = strconv.Atoi(next())
		case "--group":
			g, _ := strconv.Atoi(next())
			groups = append(groups, g)
		case "--nnp":
			nnp = true
		case "--ro":
			ro = true
		case "--bind":
			binds = append(binds, next())
		case "--":
			i++
			goto done
		default:
			fatalf("nsexec: unknown option %q", args[i])
		}
	}
done:
	argv := args[i:]
	if len(argv) == 0 || rootfs == "" || newroot == "" {
		fatalf("nsexec: usage: nsexec --rootfs DIR --newroot DIR [options] -- COMMAND...")
	}
	must := func(what string, err error) {
		if err != nil {
			fatalf("nsexec: %s: %v", what, err)
		}
	}
	must("private /", syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""))
	must("mkdir newroot", os.MkdirAll(newroot, 0o755))
	must("bind rootfs", syscall.Mount(rootfs, newroot, "", syscall.MS_BIND|syscall.MS_REC, ""))
	type bm struct {
		src, dst string
		ro       bool
	}
	all := []bm{{"/proc", "/proc", false}, {"/dev", "/dev", false}}
	for _, b := range binds {
		parts := strings.Split(b, ":")
		if len(parts) != 3 {
			fatalf("nsexec: --bind %q: want SRC:DST:ro|rw", b)
		}
		all = append(all, bm{parts[0], parts[1], parts[2] == "ro"})
	}
	for _, b := range all {
		dst := filepath.Join(newroot, filepath.Clean("/"+b.dst))
		fi, err := os.Stat(b.src)
		must("stat "+b.src, err)
		if fi.IsDir() {
			must("mkdir "+dst, os.MkdirAll(dst, 0o755))
		} else {
			must("mkdir "+filepath.Dir(dst), os.MkdirAll(filepath.Dir(dst), 0o755))
			if _, err := os.Stat(dst); err != nil {
				f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
				must("create "+dst, err)
				f.Close()
			}
		}
		must("bind "+b.src, syscall.Mount(b.src, dst, "", syscall.MS_BIND|syscall.MS_REC, ""))
		if b.ro {
			must("remount ro "+dst, syscall.Mount("", dst, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, ""))
		}
	}
	if ro {
		must("remount root ro", syscall.Mount("", newroot, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""))
	}
	must("chroot", syscall.Chroot(newroot))
	must("chdir "+cwd, os.Chdir(cwd))
	gids := groups
	if gids == nil {
		gids = []int{}
	}
	must("setgroups", syscall.Setgroups(gids))
	must("setgid", syscall.Setgid(gid))
	must("setuid", syscall.Setuid(uid))
	if nnp {
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0); e != 0 {
			fatalf("nsexec: no_new_privs: %v", e)
		}
	}
	path := argv[0]
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		must("look up "+path, err)
		path = p
	}
	must("exec "+path, syscall.Exec(path, argv, os.Environ()))
}
