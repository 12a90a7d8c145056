#!/usr/bin/env bats
# The images make image builds (scripts/image.sh, from hook/Dockerfile and
# plugin/argocd/Dockerfile), run the way a kubelet runs them: each OCI
# archive unpacked with umoci, the container of the rendered Job (or the
# Argo CD sidecar's settings) turned into a runc config by
# tests/image/pod-to-runc.py — uid 65532, read-only root file system, no
# capability, no_new_privileges, the migrations and assertions mounted
# read-only where the templates mount them, the templates' env — and run
# with runc in the host's network namespace against the suite's
# PostgreSQL on loopback.

load helm_helpers

VERSION=$(sed -nE 's/^VERSION[[:space:]]*:=[[:space:]]*(.*)$/\1/p' "$ZDM_ROOT/Makefile")
HOOK_REF=ghcr.io/zdm-project/zdm-hook:$VERSION
CMP_REF=ghcr.io/zdm-project/zdm-argocd-cmp:$VERSION
HOOK_TAR=$ZDM_ROOT/build/image/zdm-hook-$VERSION.oci.tar
CMP_TAR=$ZDM_ROOT/build/image/zdm-argocd-cmp-$VERSION.oci.tar
POD2RUNC=$ZDM_ROOT/tests/image/pod-to-runc.py

setup_file() {
	zdm_helm_setup_file
	# runc runs bundles as root only here (rootless runc needs user
	# namespaces and cgroup delegation this sandbox does not give)
	if [ "$(id -u)" -ne 0 ]; then
		export IMG_SKIP="runc runs containers as root only here, and this is uid $(id -u)"
		return 0
	fi
	local t
	for t in runc umoci buildah; do
		command -v "$t" >/dev/null || { echo "$t is missing: run scripts/deps.sh" >&2; return 1; }
	done
	# make image (cached: a second run rebuilds nothing)
	"$ZDM_ROOT/scripts/image.sh" >"$BATS_FILE_TMPDIR/image.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/image.log" >&2; return 1; }
	img_unpack hook "$HOOK_TAR" "$HOOK_REF"
	img_unpack cmp "$CMP_TAR" "$CMP_REF"
	# the migration Job of chart-example as the chart renders it
	cp -r "$ZDM_ROOT/chart-example" "$BATS_FILE_TMPDIR/chart"
	zdm_helm 4 template rel "$BATS_FILE_TMPDIR/chart" --namespace ns1 \
		--set zdm.database.existingSecret=db >"$BATS_FILE_TMPDIR/render.yaml"
	zdm_yaml2json <"$BATS_FILE_TMPDIR/render.yaml" |
		jq '.[] | select(.kind == "Job" and .metadata.name == "rel-zdm-migrate")' >"$BATS_FILE_TMPDIR/job.json"
	[ -s "$BATS_FILE_TMPDIR/job.json" ]
	# the ConfigMaps' contents, as the kubelet would project them
	mkdir -p "$BATS_FILE_TMPDIR/cm/migrations" "$BATS_FILE_TMPDIR/cm/assertions"
	cp "$ZDM_ROOT"/chart-example/migrations/*.sql "$BATS_FILE_TMPDIR/cm/migrations/"
	cp "$ZDM_ROOT/chart-example/zdm/assertions.yaml" "$BATS_FILE_TMPDIR/cm/assertions/"
}

# img_unpack NAME ARCHIVE REF: the OCI archive's image REF, unpacked by
# umoci into $BATS_FILE_TMPDIR/NAME/bundle (rootfs/ and config.json).
img_unpack() {
	local d="$BATS_FILE_TMPDIR/$1"
	mkdir -p "$d/layout"
	tar -xf "$2" -C "$d/layout"
	umoci unpack --image "$d/layout:$3" "$d/bundle" >"$d/umoci.log" 2>&1 ||
		{ cat "$d/umoci.log" >&2; return 1; }
}

need_runc() {
	[ -z "${IMG_SKIP:-}" ] || skip "$IMG_SKIP"
}

setup() {
	need_runc
	zdm_setup_db
	B="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$B"
	CID="zdm-t${BATS_SUITE_TEST_NUMBER}-$$"
}

teardown() {
	if [ -n "${CID:-}" ] && command -v runc >/dev/null; then
		runc delete -f "$CID" >/dev/null 2>&1 || true
	fi
	zdm_teardown_db
}

# hook_config [pod-to-runc options...]: config.json of the migrate Job's
# container, with the database Secret's keys pointing at the suite's
# PostgreSQL.
hook_config() {
	"$POD2RUNC" --base "$BATS_FILE_TMPDIR/hook/bundle/config.json" \
		--rootfs "$BATS_FILE_TMPDIR/hook/bundle/rootfs" \
		--pod "$BATS_FILE_TMPDIR/job.json" --container zdm-hook \
		--volume "migrations=$BATS_FILE_TMPDIR/cm/migrations" \
		--volume "assertions=$BATS_FILE_TMPDIR/cm/assertions" \
		--secret-env PGHOST=127.0.0.1 --secret-env "PGPORT=$PGPORT" \
		--secret-env PGUSER=postgres --secret-env "PGDATABASE=$PGDATABASE" \
		"$@" >"$B/config.json"
}

# runc_run: run the bundle in $B in the foreground (bats' run; stdout
# in $output, stderr in $stderr); runc_run_merged: both in $output.
runc_run() {
	run --separate-stderr timeout 120 runc run --bundle "$B" "$CID"
}
runc_run_merged() {
	runc delete -f "$CID" >/dev/null 2>&1 || true
	run timeout 120 runc run --bundle "$B" "$CID"
}

@test "image: the archives are OCI layouts named with the chart's image references" {
	for f in "$HOOK_TAR:$HOOK_REF" "$CMP_TAR:$CMP_REF"; do
		tar="${f%%:*}" ref="${f#*:}"
		[ -f "$tar" ]
		run sh -c "tar -xOf '$tar' oci-layout | jq -r .imageLayoutVersion"
		assert_output "1.0.0"
		run sh -c "tar -xOf '$tar' index.json | jq -r '.manifests[0].annotations[\"org.opencontainers.image.ref.name\"], .manifests[0].annotations[\"io.containerd.image.name\"]'"
		assert_output "$ref
$ref"
		# docker load's manifest.json names the same image
		run sh -c "tar -xOf '$tar' manifest.json | jq -r '.[0].RepoTags[0]'"
		assert_output "$ref"
		# skopeo reads both transports from the same file
		run skopeo inspect --raw "oci-archive:$tar"
		assert_success
		run skopeo inspect "docker-archive:$tar"
		assert_success
	done
	# the chart's default image is the hook archive's reference
	run jq -r '.spec.template.spec.containers[0].image' "$BATS_FILE_TMPDIR/job.json"
	assert_output "$HOOK_REF"
	grep -qF "image: $CMP_REF" "$ZDM_ROOT/plugin/argocd/repo-server-patch.yaml"
}

@test "image: the hook image is zdm-hook, glibc, CA bundle and passwd only, at most 8 MB" {
	r="$BATS_FILE_TMPDIR/hook/bundle/rootfs"
	run sh -c "cd '$r' && find . -type f -o -type l | sort"
	assert_success
	files=$output
	echo "$files"
	# nothing else: no shell, no package manager
	for f in ./bin/sh ./usr/bin/sh ./bin/bash ./usr/bin/apt-get ./usr/bin/dpkg; do
		[ ! -e "$r/$f" ] || { echo "$f is in the image"; false; }
	done
	grep -qx ./usr/local/bin/zdm-hook <<<"$files"
	grep -qx ./etc/ssl/certs/ca-certificates.crt <<<"$files"
	# every file is one of: the binary, what ldd names, CA bundle, passwd/group, nsswitch.conf
	while read -r f; do
		case "$f" in
		./usr/local/bin/zdm-hook|./etc/ssl/certs/ca-certificates.crt|./etc/passwd|./etc/group|./etc/nsswitch.conf) ;;
		./lib/x86_64-linux-gnu/libc.so.6|./lib64/ld-linux-x86-64.so.2|./lib/aarch64-linux-gnu/libc.so.6|./lib/ld-linux-aarch64.so.1) ;;
		./lib/*-linux-gnu/libm.so.6|./lib/*-linux-gnu/libpthread.so.0|./lib/*-linux-gnu/libdl.so.2) ;;
		*) echo "unexpected file in the image: $f"; false ;;
		esac
	done <<<"$files"
	run grep -E '^[^:]+:x:65532:65532:' "$r/etc/passwd"
	assert_success
	run grep -E '^[^:]+:x:65532:' "$r/etc/group"
	assert_success
	# Debian's bundle: the public CAs (well over 100), not the test CA
	[ "$(grep -c 'BEGIN CERTIFICATE' "$r/etc/ssl/certs/ca-certificates.crt")" -gt 100 ]
	# the image's size: its layers, uncompressed
	bytes=$(tar -xOf "$HOOK_TAR" index.json | jq -r '.manifests[0].digest' | sed 's/sha256://' |
		xargs -I{} tar -xOf "$HOOK_TAR" blobs/sha256/{} | jq '[.layers[].size] | add')
	echo "# hook image: $bytes bytes uncompressed" >&3
	[ "$bytes" -le 8000000 ]
	# the image config: numeric non-root user, the entrypoint, PATH
	run jq -r '.process.user.uid, .process.user.gid, (.process.args | join(" "))' "$BATS_FILE_TMPDIR/hook/bundle/config.json"
	assert_output "65532
65532
zdm-hook --help"
}

@test "image: zdm-hook --version runs in the hook image as uid 65532" {
	hook_config --args zdm-hook --version
	run jq -r '.process.user.uid, .root.readonly, .process.noNewPrivileges, (.process.capabilities.bounding | length)' "$B/config.json"
	assert_output "65532
true
true
0"
	runc_run
	assert_success
	assert_output "zdm-hook $VERSION"
}

@test "image: the migrate Job's container applies chart-example's migrations from the read-only mounts" {
	hook_config
	# the Job's own command, env and mounts
	run jq -r '(.process.args | join(" ")), (.process.env[] | select(startswith("ZDM_MIGRATIONS_DIR=") or startswith("ZDM_ASSERTIONS=") or startswith("ZDM_OUTPUT="))), ([.mounts[] | select(.destination | startswith("/zdm/")) | "\(.destination) \(.options | index("ro") != null)"] | join(","))' "$B/config.json"
	assert_output "zdm-hook run --phase pre
ZDM_MIGRATIONS_DIR=/zdm/migrations
ZDM_ASSERTIONS=/zdm/assertions/assertions.yaml
ZDM_OUTPUT=json
/zdm/migrations true,/zdm/assertions true"
	runc_run
	echo "$stderr"
	assert_success
	# JSON log lines (ZDM_OUTPUT=json from the template)
	head -n 1 <<<"$stderr" | jq -e . >/dev/null
	run q "select string_agg(version, ',' order by installed_rank) from zdm_schema_history where success"
	assert_output "1,2"
	run q "select release, namespace, status from schema_deployment_log where phase = 'pre' order by started_at desc limit 1"
	assert_output "rel|ns1|succeeded"
	# a second run finds nothing to do
	runc delete -f "$CID" >/dev/null 2>&1 || true
	runc_run
	assert_success
	run q "select count(*) from zdm_schema_history"
	assert_output "2"
}

@test "image: the process runs as 65532 with no capability, no_new_privs and a read-only root" {
	# a listener that accepts and never answers holds zdm-hook in its
	# connection while /proc is read from outside
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(60)
' >"$BATS_TEST_TMPDIR/port" &
	lpid=$!
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	hook_config --env "PGPORT=$(cat "$BATS_TEST_TMPDIR/port")" --env PGCONNECT_TIMEOUT=30
	runc run --detach --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	pid=$(runc state "$CID" | jq -r .pid)
	[ "$pid" -gt 0 ]
	run grep -E '^(Uid|Gid|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):' "/proc/$pid/status"
	assert_line --regexp '^Uid:[[:space:]]+65532[[:space:]]+65532[[:space:]]+65532[[:space:]]+65532$'
	assert_line --regexp '^Gid:[[:space:]]+65532[[:space:]]+65532[[:space:]]+65532[[:space:]]+65532$'
	assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
	assert_line --regexp '^CapBnd:[[:space:]]+0000000000000000$'
	assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
	# mountinfo: mount point is field 5, its options field 6
	run awk '$5 == "/" || $5 == "/zdm/migrations" || $5 == "/zdm/assertions" || $5 == "/tmp" { split($6, o, ","); print $5, o[1] }' "/proc/$pid/mountinfo"
	assert_line "/ ro"
	assert_line "/zdm/migrations ro"
	assert_line "/zdm/assertions ro"
	assert_line "/tmp rw"
	[ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ]
	runc kill "$CID" KILL
	kill "$lpid" 2>/dev/null || true
}

@test "image: TLS verify-full with a mounted CA" {
	# the suite's server certificate is self-signed: it is its own CA
	mkdir -p "$BATS_TEST_TMPDIR/tls"
	cp "$ZDM_SANDBOX/server.crt" "$BATS_TEST_TMPDIR/tls/ca.crt"
	hook_config --mount "$BATS_TEST_TMPDIR/tls:/zdm/tls:ro" \
		--env PGSSLMODE=verify-full --env PGSSLROOTCERT=/zdm/tls/ca.crt
	runc_run
	echo "$stderr"
	assert_success
	run q "select count(*) from zdm_schema_history where success"
	assert_output "2"
}

@test "image: TLS verify-full with the image's CA bundle" {
	bundle=/etc/ssl/certs/ca-certificates.crt
	# libpq 15 has no sslrootcert=system: verify-full names a root file,
	# and without one it fails, saying so
	hook_config --env PGSSLMODE=verify-full
	runc_run_merged
	assert_failure 4
	assert_output --partial 'root certificate file'
	# the image's bundle is Debian's: it does not trust the test CA
	hook_config --env PGSSLMODE=verify-full --env "PGSSLROOTCERT=$bundle"
	runc_run_merged
	assert_failure 4
	assert_output --partial 'certificate verify failed'
	# a bundle with the test CA mounted over the image's path (how a
	# cluster adds a private CA to the image's trust store) verifies
	cat "$BATS_FILE_TMPDIR/hook/bundle/rootfs$bundle" "$ZDM_SANDBOX/server.crt" >"$BATS_TEST_TMPDIR/bundle.crt"
	runc delete -f "$CID" >/dev/null 2>&1 || true
	hook_config --env PGSSLMODE=verify-full --env "PGSSLROOTCERT=$bundle" \
		--mount "$BATS_TEST_TMPDIR/bundle.crt:$bundle:ro"
	runc_run
	echo "$stderr"
	assert_success
	run q "select count(*) from zdm_schema_history where success"
	assert_output "2"
}

@test "image: the sidecar image runs plugin.yaml's generate for chart-example as uid 999" {
	r="$BATS_FILE_TMPDIR/cmp/bundle/rootfs"
	# generate, read from the plugin.yaml baked into the image
	mapfile -d '' argv < <("$(zdm_python_yaml)" -c '
import sys, yaml
g = yaml.safe_load(open(sys.argv[1]))["spec"]["generate"]
sys.stdout.write("".join(a + "\0" for a in list(g["command"]) + list(g.get("args") or [])))' "$r/home/argocd/cmp-server/config/plugin.yaml")
	[ "${#argv[@]}" -eq 3 ]
	[ "${argv[0]}" = bash ]
	app="$BATS_TEST_TMPDIR/repo/apps/shop"
	mkdir -p "$(dirname "$app")"
	cp -r "$ZDM_ROOT/chart-example" "$app"
	rm "$app"/templates/zdm-*.yaml "$app/templates/_zdm.tpl"
	# without _zdm.tpl the Deployment sets PGAPPNAME itself, as zdm.appEnv would
	sed -i 's#{{- include "zdm.appEnv" \. | nindent 12 }}#- name: PGAPPNAME\n              value: {{ printf "%s/%s" .Release.Name .Chart.AppVersion | quote }}#' "$app/templates/deployment.yaml"
	chmod -R a+rX "$BATS_TEST_TMPDIR/repo"
	# the sidecar's pod settings (plugin/argocd/repo-server-patch.yaml)
	cat >"$BATS_TEST_TMPDIR/sidecar.json" <<-'EOF'
	{"kind": "Pod", "spec": {"containers": [{"name": "zdm",
	  "securityContext": {"runAsNonRoot": true, "runAsUser": 999, "allowPrivilegeEscalation": false,
	    "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
	  "volumeMounts": [{"name": "zdm-cmp-tmp", "mountPath": "/tmp"}]}],
	  "volumes": [{"name": "zdm-cmp-tmp", "emptyDir": {}}]}}
	EOF
	"$POD2RUNC" --base "$BATS_FILE_TMPDIR/cmp/bundle/config.json" --rootfs "$r" \
		--pod "$BATS_TEST_TMPDIR/sidecar.json" --container zdm \
		--mount "$BATS_TEST_TMPDIR/repo:/tmp/_cmp_server/repo:ro" --cwd /tmp/_cmp_server/repo/apps/shop \
		--env ARGOCD_APP_NAME=shop --env ARGOCD_APP_NAMESPACE=prod \
		--env ARGOCD_APP_REVISION=4f2a9c1e0b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 \
		--env KUBE_VERSION=1.30.2 --env 'KUBE_API_VERSIONS=apps/v1,batch/v1,v1' \
		--env 'ARGOCD_APP_PARAMETERS=[]' \
		--args "${argv[@]}" >"$B/config.json"
	runc_run
	echo "$stderr"
	assert_success
	R=$(zdm_yaml2json <<<"$output")
	run jqr -r '[.[] | "\(.kind)/\(.metadata.name)"] | sort | join(" ")'
	assert_output "ConfigMap/shop-zdm-assertions ConfigMap/shop-zdm-migrations Deployment/shop-chart-example Job/shop-zdm-complete Job/shop-zdm-migrate Service/shop-chart-example"
	run jqr -r '.[] | select(.metadata.name == "shop-zdm-migrate") | .spec.template.spec.containers[0] | .image, (.env | map({(.name): .value}) | add | .ZDM_DEPLOYED_BY)'
	assert_output "$HOOK_REF
argocd"
	# the sidecar's helm is the one from the Argo CD image's place
	run jq -r '.process.user.uid' "$B/config.json"
	assert_output 999
	[ -x "$r/usr/local/bin/helm" ]
}

@test "image: docs/helm.md documents the default image and how to push it to another registry" {
	grep -qF "$HOOK_REF" "$ZDM_ROOT/docs/helm.md"
	grep -qF 'make image' "$ZDM_ROOT/docs/helm.md"
	grep -qF "skopeo copy oci-archive:build/image/zdm-hook-$VERSION.oci.tar" "$ZDM_ROOT/docs/helm.md"
	grep -qF "ghcr.io/zdm-project/zdm-hook" "$ZDM_ROOT/templates/values-zdm.yaml"
	# the tag is the plugin's version
	[ "${HOOK_REF##*:}" = "$("$ZDM_PLUGIN" version | cut -d' ' -f2)" ]
	[ "$(sed -nE 's/^ARG ZDM_VERSION=(.*)$/\1/p' "$ZDM_ROOT/hook/Dockerfile")" = "$VERSION" ]
	[ "$(sed -nE 's/^ARG ZDM_VERSION=(.*)$/\1/p' "$ZDM_ROOT/plugin/argocd/Dockerfile")" = "$VERSION" ]
}
