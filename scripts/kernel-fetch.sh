#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-fetch.sh NAME [FLAVOUR]: make ready to build for and boot one of
# the supported kernels (scripts/kernels): its release's build root with
# its headers (scripts/buildroot.sh), and its Debian kernel image, fetched
# once into $MS_CACHE/KREL/vmlinuz (from the package the table names:
# /boot/vmlinuz-KREL, or /usr/lib/modules/KREL/vmlinuz in linux-binary-*). FLAVOUR is amd64 (default) or rt.
#
# Prints shell assignments for eval:
#   image=   the vmlinuz to boot
#   root=    the build root (/ when the host is that release and has the
#            headers installed: Debian 12's 6.1 today)
#   kdir=    the headers (kbuild) directory, as seen inside root
#   krel=    the kernel release, e.g. 6.12.74+deb13-amd64
#   release= the Debian release
#   cc=      the compiler the kernel was built with (CONFIG_CC_VERSION_TEXT's
#            first word, e.g. gcc-10): build modules with CC=$cc
#
# The kernel is the one the root's headers name; its image is taken at
# exactly the headers' version. Once the archive has moved past it, this
# fails naming the package: MS_REFRESH=1 makes the root again, with the
# current kernel.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
table=$here/kernels
supported=$(awk '!/^#/ && NF { printf "%s%s", sep, $1; sep = " " }' "$table")
name=${1:-}
flavour=${2:-amd64}
row=$(awk -v n="$name" '!/^#/ && $1 == n' "$table")
[ -n "$name" ] && [ -n "$row" ] ||
	fail "unknown kernel '${name}': the supported ones are: $supported"
read -r _ release _ headers_meta image_fmt has_rt <<<"$row"
case $flavour in
amd64) ;;
rt | rt-amd64)
	flavour=rt-amd64
	[ "$has_rt" = yes ] ||
		fail "kernel $name ($release) has no PREEMPT_RT flavour here; rt is for: $(awk '!/^#/ && NF && $6 == "yes" { printf "%s ", $1 }' "$table")"
	headers_meta=${headers_meta%-amd64}-rt-amd64
	;;
*) fail "FLAVOUR must be amd64 or rt, not $flavour" ;;
esac
cache=$MS_CACHE

# The host itself, when it is that release with the headers installed.
host_release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
if [ "$host_release" = "$release" ] && [ "${MS_HOST_HEADERS:-1}" = 1 ] &&
	dpkg-query -W -f='${Status}' "$headers_meta" 2>/dev/null | grep -q "install ok installed"; then
	root=/
	inroot() { (cd "$dl" && "$@"); }
else
	root=$("$here/buildroot.sh" "$release")
	inroot() { MS_BIND=$dl "$here/buildroot.sh" "$release" run "$@"; }
fi
rootq() { # dpkg-query inside the root, read from the host
	dpkg-query --admindir="$root/var/lib/dpkg" "$@"
}

dep=$(rootq -W -f='${Depends}\n' "$headers_meta" 2>/dev/null) ||
	fail "$headers_meta is not installed in $root"
krel=$(sed -n 's/^.*linux-headers-\([0-9][^ ,]*\).*$/\1/p' <<<"$dep")
[ -n "$krel" ] || fail "cannot tell which kernel $headers_meta names ($dep)"
kdir=/usr/src/linux-headers-$krel
[ -d "$root$kdir" ] || fail "no kernel headers at $root$kdir"
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' "$root$kdir/.config" 2>/dev/null)
[ -x "$root/usr/bin/$cc" ] || fail "the compiler of $krel, '$cc', is not in $root"
version=$(rootq -W -f='${Version}' "linux-headers-$krel")
# shellcheck disable=SC2059 # the table's column is the format
image_pkg=$(printf "$image_fmt" "$krel")

image=$cache/$krel/vmlinuz
# MS_NO_IMAGE=1: only the root and headers are wanted (e.g. for checks).
if [ ! -s "$image" ] && [ "${MS_NO_IMAGE:-}" != 1 ]; then
	mkdir -p "$cache/$krel"
	# Trixie's headers pull in the image itself: the root may have it.
	if [ -r "${root%/}/boot/vmlinuz-$krel" ]; then
		cp "${root%/}/boot/vmlinuz-$krel" "$image.tmp"
	else
		say "fetching $image_pkg $version (once) into $cache/$krel"
		dl=$(mktemp -d "$cache/.fetch.XXXXXX")
		trap 'rm -rf "$dl"' EXIT
		# As root of a user namespace, apt cannot drop to its _apt user.
		if ! inroot apt-get download -q -o APT::Sandbox::User=root \
			"$image_pkg=$version" >"$dl/apt.log" 2>&1; then
			sed 's/^/  /' "$dl/apt.log" >&2
			fail "cannot get $image_pkg version $version from Debian's archive (gone? MS_REFRESH=1 $here/buildroot.sh $release makes the root again, with the archive's current kernel)"
		fi
		deb=$(ls "$dl"/*.deb)
		# /boot/vmlinuz-KREL, or since sid's linux-binary-*, the image
		# beside the modules.
		member=$(dpkg-deb -c "$deb" | awk '{ print $NF }' |
			grep -xF -e "./boot/vmlinuz-$krel" -e "./usr/lib/modules/$krel/vmlinuz" | head -1)
		[ -n "$member" ] ||
			fail "$image_pkg $version holds no vmlinuz for $krel"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" >"$image.tmp"
	fi
	mv "$image.tmp" "$image"
fi

printf 'image=%q\nroot=%q\nkdir=%q\nkrel=%q\nrelease=%q\ncc=%q\n' \
	"$image" "$root" "$kdir" "$krel" "$release" "$cc"
