#!/usr/bin/env python3
"""pod-to-runc.py — turn one container of a rendered Kubernetes Job (or
Pod) into the config.json of a runc bundle, the way a kubelet would run
it, so the tests run zdm's images exactly as the chart's templates say:

  command/args        process.args (command replaces the image's
                      ENTRYPOINT, as in Kubernetes; absent: the image's)
  env, envFrom        process.env: the image's env, then envFrom (the
                      Secret's keys, given with --secret-env), then env
                      (value only; valueFrom is refused)
  securityContext     runAsUser/runAsGroup -> process.user;
                      readOnlyRootFilesystem -> root.readonly;
                      capabilities.drop [ALL] -> no capability at all;
                      allowPrivilegeEscalation false -> noNewPrivileges
  volumeMounts        emptyDir -> a tmpfs; configMap/secret -> a bind
                      mount of the directory given with --volume NAME=DIR
                      (subPath: that file of it); readOnly -> ro
  network             the host's network namespace (the test's
                      PostgreSQL listens on the host's loopback)

  pod-to-runc.py --base umoci-config.json --rootfs DIR --pod job.json
                 --container NAME [--volume NAME=DIR]...
                 [--secret-env KEY=VALUE]... [--env KEY=VALUE]...
                 [--mount HOSTPATH:CONTAINERPATH[:ro]]... [--args ARG...]
                 > config.json

--env adds to the container's env (after it), --mount adds a bind mount,
--args replaces command and args (e.g. --version). rlimits are dropped:
this sandbox refuses raising them (runc's default RLIMIT_NOFILE).
"""
import argparse
import json
import sys


def fail(msg):
    print(f"pod-to-runc: error: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--pod", required=True)
    ap.add_argument("--container", required=True)
    ap.add_argument("--volume", action="append", default=[])
    ap.add_argument("--secret-env", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--mount", action="append", default=[])
    ap.add_argument("--cwd")
    ap.add_argument("--args", nargs=argparse.REMAINDER)
    a = ap.parse_args()

    cfg = json.load(open(a.base))
    obj = json.load(open(a.pod))
    spec = obj["spec"]
    if obj.get("kind") == "Job":
        spec = spec["template"]["spec"]
    ctrs = [c for c in spec["containers"] if c["name"] == a.container]
    if not ctrs:
        fail(f"no container {a.container!r}")
    c = ctrs[0]
    psc = spec.get("securityContext") or {}
    sc = dict(psc)
    sc.update(c.get("securityContext") or {})

    proc = cfg["process"]
    proc.pop("rlimits", None)
    proc["terminal"] = False
    if a.args is not None:
        proc["args"] = list(a.args)
    elif "command" in c:
        proc["args"] = list(c["command"]) + list(c.get("args") or [])
    elif "args" in c:
        fail("args without command: not needed by zdm's templates")
    if a.cwd:
        proc["cwd"] = a.cwd
    elif c.get("workingDir"):
        proc["cwd"] = c["workingDir"]

    env = {}
    order = []
    def put(k, v):
        if k not in env:
            order.append(k)
        env[k] = v
    for e in proc.get("env") or []:
        k, _, v = e.partition("=")
        put(k, v)
    secrets = dict(kv.split("=", 1) for kv in a.secret_env)
    for ef in c.get("envFrom") or []:
        if "secretRef" not in ef and "configMapRef" not in ef:
            fail(f"unsupported envFrom {ef}")
        for k, v in secrets.items():
            put(k, v)
    for e in c.get("env") or []:
        if "value" not in e:
            fail(f"env {e['name']}: only value is supported")
        put(e["name"], str(e["value"]))
    for kv in a.env:
        k, _, v = kv.partition("=")
        put(k, v)
    proc["env"] = [f"{k}={env[k]}" for k in order]

    if "runAsUser" in sc:
        proc["user"]["uid"] = int(sc["runAsUser"])
    if "runAsGroup" in sc:
        proc["user"]["gid"] = int(sc["runAsGroup"])
    proc["user"].pop("additionalGids", None)
    if sc.get("runAsNonRoot") and proc["user"]["uid"] == 0:
        fail("runAsNonRoot, but the process would run as uid 0")
    drop = (sc.get("capabilities") or {}).get("drop") or []
    if "ALL" in drop:
        proc["capabilities"] = {k: [] for k in
                                ("bounding", "effective", "inheritable", "permitted", "ambient")}
    if sc.get("allowPrivilegeEscalation") is False:
        proc["noNewPrivileges"] = True

    cfg["root"] = {"path": a.rootfs, "readonly": bool(sc.get("readOnlyRootFilesystem"))}
    # the host's network namespace
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]

    vols = {v["name"]: v for v in spec.get("volumes") or []}
    given = dict(kv.split("=", 1) for kv in a.volume)
    mounts = cfg.get("mounts") or []
    for vm in c.get("volumeMounts") or []:
        v = vols.get(vm["name"])
        if v is None:
            fail(f"volumeMount {vm['name']} names no volume")
        ro = ["ro"] if vm.get("readOnly") else ["rw"]
        if "emptyDir" in v:
            mounts.append({"destination": vm["mountPath"], "type": "tmpfs", "source": "tmpfs",
                           "options": ["nosuid", "nodev", "mode=1777", "size=64m"]})
            continue
        if vm["name"] not in given:
            fail(f"volume {vm['name']} needs --volume {vm['name']}=DIR")
        src = given[vm["name"]]
        if vm.get("subPath"):
            src = f"{src}/{vm['subPath']}"
        mounts.append({"destination": vm["mountPath"], "type": "bind", "source": src,
                       "options": ["rbind", "nosuid", "nodev"] + ro})
    for m in a.mount:
        parts = m.split(":")
        mounts.append({"destination": parts[1], "type": "bind", "source": parts[0],
                       "options": ["rbind", "nosuid", "nodev"] + (["ro"] if parts[2:] == ["ro"] else ["rw"])})
    cfg["mounts"] = mounts
    json.dump(cfg, sys.stdout, indent=1)


main()
