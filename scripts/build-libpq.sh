#!/usr/bin/env bash
# build-libpq.sh DIR — the libpq that zdm-hook links by default (LIBPQ=static
# in the Makefile): PostgreSQL's own client library built from the source
# of the distribution's libpq-dev, as static archives, with TLS (OpenSSL)
# and SCRAM/MD5/password/certificate authentication, and without GSSAPI/
# Kerberos, LDAP service lookup, readline, zlib, ICU or NLS.
#
# Why: Debian's libpq.so pulls in 25 shared libraries (Kerberos, LDAP,
# GnuTLS, p11-kit, ...). Loading them is most of a no-op run's time and
# most of zdm-hook's resident memory (7 of 8 MB), for features a migration
# Job does not use. A database that needs GSSAPI: build with
# `make LIBPQ=system`.
#
# Output: DIR/lib/{libpq,libpgcommon_shlib,libpgport_shlib}.a and
# DIR/VERSION (what was built, from which source). Nothing is done when
# DIR/VERSION names the source that would be used now.
#
# Source, first that applies:
#   ZDM_LIBPQ_SOURCE=path/to/postgresql-X.Y.tar.{bz2,gz}   (offline builds)
#   the distribution's source package of libpq-dev, fetched by apt-get
#   source into DIR/apt (signatures checked by apt, as for any package),
#   from the Debian mirror this machine's apt already uses
#   (scripts/apt-mirror.sh reads /etc/apt/sources.list and sources.list.d,
#   .list and deb822 .sources alike), for the running Debian release; the
#   newest of <release>-security and <release>, so security fixes are
#   included. A corporate mirror or snapshot archive works unchanged.
#
# Exit status: 0 built (or up to date), 2 could not fetch or build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() {
	echo "build-libpq: error: $*" >&2
	echo "build-libpq: to link the system's shared libpq instead: make LIBPQ=system" >&2
	exit 2
}
note() { echo "build-libpq: $*" >&2; }

[ $# -eq 1 ] || {
	echo "usage: scripts/build-libpq.sh DIR" >&2
	exit 2
}
mkdir -p "$1"
dir=$(cd "$1" && pwd)
for t in cc make tar; do
	command -v "$t" >/dev/null || die "$t is missing (run scripts/deps.sh)"
done

# The options that make it minimal; part of the stamp, so a change here
# rebuilds.
configure_opts=(--without-readline --without-zlib --without-icu --without-llvm
	--without-gssapi --without-ldap --without-pam --without-lz4 --without-zstd
	--without-libxml --without-libxslt --without-systemd --without-selinux
	--without-perl --without-python --without-tcl --disable-nls --with-ssl=openssl)

fetch_apt() {
	local srcpkg codename aptdir suite out mirror security
	srcpkg=$(dpkg-query -W -f='${source:Package}' libpq-dev 2>/dev/null) ||
		die "libpq-dev is not installed (run scripts/deps.sh), or set ZDM_LIBPQ_SOURCE"
	# shellcheck disable=SC1091
	codename=$(. /etc/os-release && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}") || true
	[ -n "$codename" ] || die "not a Debian release this script knows how to fetch PostgreSQL's source" \
		"from; set ZDM_LIBPQ_SOURCE to a postgresql-X.Y.tar.bz2 (matching libpq-dev's major version)"
	aptdir=$dir/apt
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/src"
	mirror=$("$here/apt-mirror.sh" main) || die "no Debian mirror in apt's configuration; set ZDM_LIBPQ_SOURCE"
	security=$("$here/apt-mirror.sh" security) || true
	{
		[ -z "$security" ] ||
			echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security $codename-security main"
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $codename main"
	} >"$aptdir/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
	apt-get "${apt_opts[@]}" update >"$aptdir/update.log" 2>&1 || {
		cat "$aptdir/update.log" >&2
		die "apt-get update of the Debian source index failed"
	}
	# the newest version first; a mirror that lacks its files (seen for
	# the security archive's pool) falls back to the release's own
	for suite in "" "/$codename"; do
		rm -f "$aptdir/src/"*
		if (cd "$aptdir/src" && apt-get "${apt_opts[@]}" source --download-only "$srcpkg$suite") \
			>"$aptdir/source.log" 2>&1; then
			out=$(ls "$aptdir/src/"*.orig.tar.* 2>/dev/null | head -n 1)
			[ -n "$out" ] && {
				tarball=$out
				origin="Debian source package $srcpkg $(sed -n 's/^Version: //p' "$aptdir/src/"*.dsc)"
				return 0
			}
		fi
	done
	cat "$aptdir/source.log" >&2
	die "could not download the source package $srcpkg"
}

if [ -n "${ZDM_LIBPQ_SOURCE:-}" ]; then
	[ -f "$ZDM_LIBPQ_SOURCE" ] || die "ZDM_LIBPQ_SOURCE=$ZDM_LIBPQ_SOURCE: no such file"
	tarball=$(cd "$(dirname "$ZDM_LIBPQ_SOURCE")" && pwd)/$(basename "$ZDM_LIBPQ_SOURCE")
	origin="$tarball"
else
	fetch_apt
fi

stamp="$origin; configure ${configure_opts[*]}"
if [ -f "$dir/VERSION" ] && [ "$(sed -n 2p "$dir/VERSION")" = "$stamp" ] &&
	[ -f "$dir/lib/libpq.a" ]; then
	touch "$dir/lib/libpq.a"   # up to date: newer than this script, for make
	exit 0
fi

note "building a static libpq from $origin (about half a minute)"
work=$dir/src
rm -rf "$work" "$dir/lib"
mkdir -p "$work" "$dir/lib"
tar -xf "$tarball" -C "$work" --strip-components=1 || die "cannot unpack $tarball"
[ -f "$work/configure" ] && [ -d "$work/src/interfaces/libpq" ] ||
	die "$tarball is not a PostgreSQL source tree"
jobs=$(nproc 2>/dev/null || echo 2)
(
	cd "$work"
	./configure "${configure_opts[@]}" CFLAGS="-O2 -fPIC" >"$dir/configure.log" 2>&1 ||
		{ tail -n 20 "$dir/configure.log" >&2; exit 1; }
	# the generated headers first (errcodes.h, ...): libpq's sub-makes of
	# src/port and src/common build their server variants too, and in
	# parallel they would race for them
	make -s -C src/backend generated-headers >"$dir/make.log" 2>&1 &&
		make -s -j"$jobs" -C src/interfaces/libpq all-static-lib >>"$dir/make.log" 2>&1 ||
		{ tail -n 20 "$dir/make.log" >&2; exit 1; }
) || die "the build failed (logs in $dir/configure.log and $dir/make.log)"
cp "$work/src/interfaces/libpq/libpq.a" "$work/src/common/libpgcommon_shlib.a" \
	"$work/src/port/libpgport_shlib.a" "$dir/lib/"
version=$(sed -n 's/^#define PG_VERSION "\(.*\)"$/\1/p' "$work/src/include/pg_config.h")
rm -rf "$work"
printf 'libpq %s, static, without GSSAPI and LDAP\n%s\n' "$version" "$stamp" >"$dir/VERSION"
note "built libpq $version into $dir/lib"
