#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh OUT.cpio MODULE.ko PROGDIR [TEST...]: the VM's whole root
# file system. busybox, tests/vm/guest-init as /init, the module as
# /message_slot.ko, the two programs in /bin, and in /tests every other
# program of PROGDIR (built by make tests), the demo, and the list of tests
# to run: the TESTs given, else every test in the order tests/Makefile
# gives them.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ $# -ge 3 ] || fail "usage: initramfs.sh OUT.cpio MODULE.ko PROGDIR [TEST...]"
out=$1 module=$2 progs=$3
shift 3
need_packages busybox-static cpio

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,tests,proc,sys,dev,tmp}
cp /bin/busybox "$rootfs/bin/busybox"
cp "$MS_ROOT/tests/vm/guest-init" "$rootfs/init"
cp "$module" "$rootfs/message_slot.ko"
for p in "$progs"/*; do
	case ${p##*/} in
	message_sender | message_reader) cp "$p" "$rootfs/bin/" ;;
	*) cp "$p" "$rootfs/tests/" ;;
	esac
done
cp "$MS_ROOT/examples/demo" "$rootfs/tests/demo"
if [ $# -gt 0 ]; then
	echo "$@" >"$rootfs/tests/list"
else
	make -s --no-print-directory -C "$MS_ROOT/tests" CFLAGS=- print-tests >"$rootfs/tests/list"
fi
(cd "$rootfs" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
