#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh stock [FLAVOUR] | debug: the kernel a VM boots, fetched or built
# once into the cache. Prints three lines for the caller to read:
#   krel=RELEASE   kdir=BUILD-TREE   image=BZIMAGE
# stock: the release Debian's linux-headers-FLAVOUR (amd64, rt-amd64, or rt)
# points to, its headers, and its vmlinuz from the matching linux-image
# package (apt-get download). debug: debug-kernel.sh's build.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

kind=${1:-stock}
case $kind in
stock)
	flavour=${2:-amd64}
	case $flavour in amd64 | *-amd64) ;; *) flavour=$flavour-amd64 ;; esac
	need_packages "linux-headers-$flavour"
	krel=$("$MS_ROOT/scripts/debian-kernel" "$flavour") ||
		fail "cannot tell which kernel linux-headers-$flavour points to"
	kdir=/usr/src/linux-headers-$krel
	[ -d "$kdir" ] || fail "no kernel headers at $kdir"
	image=$MS_CACHE/$krel/vmlinuz
	if [ ! -s "$image" ]; then
		mkdir -p "$MS_CACHE/$krel"
		if [ -r "/boot/vmlinuz-$krel" ]; then
			cp "/boot/vmlinuz-$krel" "$image.tmp"
		else
			say "fetching linux-image-$krel (once) into $MS_CACHE"
			dl=$(mktemp -d)
			trap 'rm -rf "$dl"' EXIT
			(cd "$dl" && apt-get download -q "linux-image-$krel" >&2) ||
				fail "apt-get download linux-image-$krel failed"
			dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb |
				tar -xO "./boot/vmlinuz-$krel" >"$image.tmp"
		fi
		mv "$image.tmp" "$image"
	fi
	;;
debug)
	kdir=$("$(dirname "$0")/debug-kernel.sh")
	image=$kdir/arch/x86/boot/bzImage
	krel="$(make -s -C "$kdir" ARCH=x86_64 kernelrelease) (debug)"
	;;
*) fail "usage: kernel.sh stock [FLAVOUR] | debug" ;;
esac
printf 'krel=%q\nkdir=%q\nimage=%q\n' "$krel" "$kdir" "$image"
