#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh stock [FLAVOUR] | debug | kcsan | coverage | NAME [FLAVOUR]: the kernel a VM boots,
# fetched or built once into the cache, and how to build a module for it.
# Prints shell assignments for the caller to eval:
#   krel=RELEASE  kdir=BUILD-TREE  image=BZIMAGE
#   root=DIR      release=NAME     cc=COMPILER
# where the module is built in the Debian build root DIR (/ is the host)
# with CC=COMPILER.
# stock: the release the host's linux-headers-FLAVOUR (amd64, rt-amd64, or
# rt) points to, its headers, and its vmlinuz from the matching
# linux-image package (apt-get download). debug, kcsan, coverage:
# debug-kernel.sh's builds.
# NAME: one of the supported kernels of scripts/kernels (5.10, 6.1, 6.12,
# 7.2), through scripts/kernel-fetch.sh: its release's build root, its
# headers and compiler, its image.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

kind=${1:-stock}
root=/ release= cc=gcc
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
debug | kcsan | coverage)
	kdir=$("$(dirname "$0")/debug-kernel.sh" "$kind")
	image=$kdir/arch/x86/boot/bzImage
	krel="$(make -s -C "$kdir" ARCH=x86_64 kernelrelease) ($kind)"
	;;
*)
	"$MS_ROOT/scripts/kernel-fetch.sh" "$kind" "${2:-amd64}"
	exit
	;;
esac
printf 'krel=%q\nkdir=%q\nimage=%q\nroot=%q\nrelease=%q\ncc=%q\n' \
	"$krel" "$kdir" "$image" "$root" "$release" "$cc"
