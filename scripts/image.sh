#!/usr/bin/env bash
# image.sh — build the zdm images from the repository's Dockerfiles without
# a Docker engine (make image), and write them as OCI archives:
#
#   build/image/zdm-hook-VERSION.oci.tar        ghcr.io/zdm-project/zdm-hook:VERSION
#   build/image/zdm-argocd-cmp-VERSION.oci.tar  ghcr.io/zdm-project/zdm-argocd-cmp:VERSION
#
# Each archive is an OCI image layout (index.json, blobs/) whose index
# names the image in org.opencontainers.image.ref.name (and in
# io.containerd.image.name), plus the manifest.json that `docker save`
# writes beside it, so `podman load`, `docker load`, `skopeo copy
# oci-archive:...` and `umoci unpack` all take the same file. Layers are
# stored uncompressed: the archive's size is the image's size.
#
#   scripts/image.sh [hook|argocd-cmp]...      (default: both)
#
# How, with Debian's buildah (buildah bud --isolation chroot: RUN steps
# run in a chroot, no daemon, no registry):
#   - the base image: the Dockerfiles say FROM ${DEBIAN_IMAGE}
#     (debian:bookworm-slim). No registry is reachable, so mmdebstrap builds
#     a Debian root filesystem of the same release from the mirror this
#     machine's apt uses (scripts/apt-mirror.sh), imported once as
#     localhost/zdm-base/debian:<codename> and passed as DEBIAN_IMAGE;
#   - the sidecar copies helm from ${ARGOCD_IMAGE}: here a local image
#     holding tools/helm3/helm (Helm 3.17, as Argo CD 3.0 bundles; from
#     scripts/install-helm.sh) at the path Argo CD's image has it;
#   - buildah's layer cache (--layers) keeps every step, so a second run
#     with unchanged sources rebuilds nothing.
# Everything cached lives in buildah's storage (/var/lib/containers);
# ZDM_IMAGE_REBUILD_BASE=1 makes the base again (e.g. for security
# updates).
#
# Needs root (buildah's chroot isolation and mmdebstrap's root mode) and
# buildah, mmdebstrap, skopeo, python3: scripts/deps.sh installs them.
# Exit status: 0 built, 2 missing tool or bad input, 1 a build failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
die() { echo "image: error: $*" >&2; exit 2; }
note() { echo "image: $*" >&2; }

version=$(sed -nE 's/^VERSION[[:space:]]*:=[[:space:]]*(.*)$/\1/p' Makefile)
[ -n "$version" ] || die "no VERSION in the Makefile"
registry=${ZDM_IMAGE_REGISTRY:-ghcr.io/zdm-project}
out=${ZDM_IMAGE_DIR:-build/image}

targets=("$@")
((${#targets[@]})) || targets=(hook argocd-cmp)
for t in "${targets[@]}"; do
	case "$t" in hook|argocd-cmp) ;; *) die "unknown image \"$t\" (hook or argocd-cmp)" ;; esac
done

[ "$(id -u)" -eq 0 ] || die "building images needs root here (buildah --isolation chroot, mmdebstrap); run as root or use docker/podman build (docs/helm.md)"
for tool in buildah mmdebstrap skopeo python3; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing; install it: apt-get install buildah mmdebstrap skopeo python3 (scripts/deps.sh does)"
done

# The base: a Debian root filesystem of this machine's release, from the
# mirror apt already uses. The label records the mirror and release, so a
# change of either makes it anew.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
mirror=$(scripts/apt-mirror.sh main) || exit 2
security=$(scripts/apt-mirror.sh security) || exit 2
base=localhost/zdm-base/debian:$codename
stamp="$codename $mirror ${security:-no-security}"
have=$(buildah inspect --type image --format '{{index .ImageAnnotations "org.zdm.base"}}' "$base" 2>/dev/null || true)
if [ "$have" != "$stamp" ] || [ "${ZDM_IMAGE_REBUILD_BASE:-0}" = 1 ]; then
	note "making the base image $base from $mirror (mmdebstrap, a few minutes)"
	work=$(mktemp -d "${TMPDIR:-/tmp}/zdm-base.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	sources=("deb $mirror $codename main" "deb $mirror $codename-updates main")
	[ -n "$security" ] && sources+=("deb $security $codename-security main")
	nice mmdebstrap --variant=apt --quiet --mode=root \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		"$codename" "$work/rootfs.tar" "${sources[@]}" >"$work/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$work/mmdebstrap.log" >&2; echo "image: error: mmdebstrap failed" >&2; exit 1; }
	ctr=$(buildah from --quiet scratch)
	buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
	buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--cmd bash --annotation "org.zdm.base=$stamp" "$ctr"
	buildah commit --quiet --rm "$ctr" "$base" >/dev/null
	rm -rf "$work"
	trap - EXIT
fi

# write_archive LOCAL_IMAGE REF FILE: the OCI archive of a local image,
# named REF in its index, plus docker's manifest.json.
write_archive() {
	local image=$1 ref=$2 file=$3 tmp
	tmp="$file.tmp.$$"
	rm -f "$tmp"
	buildah push --quiet --disable-compression --remove-signatures \
		"$image" "oci-archive:$tmp:$ref" >/dev/null
	python3 - "$tmp" "$ref" <<'PY'
import io, json, sys, tarfile
path, ref = sys.argv[1], sys.argv[2]
with tarfile.open(path) as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
files = {m.name.lstrip("./"): data for m, data in members if data is not None}
index = json.loads(files["index.json"])
desc = index["manifests"][0]
desc.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = ref
desc["annotations"]["io.containerd.image.name"] = ref
digest = desc["digest"].split(":", 1)[1]
manifest = json.loads(files["blobs/sha256/" + digest])
docker = [{
    "Config": "blobs/sha256/" + manifest["config"]["digest"].split(":", 1)[1],
    "RepoTags": [ref],
    "Layers": ["blobs/sha256/" + l["digest"].split(":", 1)[1] for l in manifest["layers"]],
}]
with tarfile.open(path, "w") as out:
    for m, data in members:
        name = m.name.lstrip("./")
        if name in ("index.json", "manifest.json"):
            continue
        if data is not None:
            out.addfile(m, io.BytesIO(data))
        else:
            out.addfile(m)
    for name, obj in (("index.json", index), ("manifest.json", docker)):
        raw = json.dumps(obj, separators=(",", ":")).encode()
        info = tarfile.TarInfo(name)
        info.size = len(raw)
        info.mode = 0o644
        out.addfile(info, io.BytesIO(raw))
PY
	mv -f "$tmp" "$file"
}

mkdir -p "$out"
for t in "${targets[@]}"; do
	args=(--build-arg "DEBIAN_IMAGE=$base" --build-arg "ZDM_VERSION=$version")
	case "$t" in
	hook)
		dockerfile=hook/Dockerfile
		ref=$registry/zdm-hook:$version
		file=$out/zdm-hook-$version.oci.tar
		;;
	argocd-cmp)
		dockerfile=plugin/argocd/Dockerfile
		ref=$registry/zdm-argocd-cmp:$version
		file=$out/zdm-argocd-cmp-$version.oci.tar
		helm=${ZDM_TOOLS:-$root/tools}/helm3/helm
		[ -x "$helm" ] || scripts/install-helm.sh >/dev/null
		[ -x "$helm" ] || die "no $helm (scripts/install-helm.sh)"
		hv=$("$helm" version --template '{{.Version}}')
		helmimg=localhost/zdm-base/helm:$hv
		if ! buildah inspect --type image "$helmimg" >/dev/null 2>&1; then
			ctr=$(buildah from --quiet scratch)
			buildah copy --quiet --chmod 0755 "$ctr" "$helm" /usr/local/bin/helm >/dev/null
			buildah commit --quiet --rm "$ctr" "$helmimg" >/dev/null
		fi
		args+=(--build-arg "ARGOCD_IMAGE=$helmimg")
		;;
	esac
	note "building $ref from $dockerfile"
	start=$SECONDS
	log=$(mktemp "${TMPDIR:-/tmp}/zdm-image.XXXXXX")
	if ! nice buildah bud --isolation chroot --layers --pull=never "${args[@]}" \
		-f "$dockerfile" -t "$ref" . >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		rm -f "$log"
		echo "image: error: building $ref failed" >&2
		exit 1
	fi
	rm -f "$log"
	write_archive "$ref" "$ref" "$file"
	bytes=$(python3 -c 'import json,sys,tarfile
t=tarfile.open(sys.argv[1]); idx=json.load(t.extractfile("index.json"))
m=json.load(t.extractfile("blobs/sha256/"+idx["manifests"][0]["digest"].split(":")[1]))
print(sum(l["size"] for l in m["layers"]))' "$file")
	note "$ref: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') uncompressed ($bytes bytes of layers), $((SECONDS - start)) s -> $file"
done
