#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-image.sh: the Debian 12 system image for `make test-system`, made
# once with mmdebstrap and cached under ~/.cache/message_slot/system-<key>/,
# where <key> hashes this script (it holds the package list and every
# setting of the image). Prints the cache directory on stdout.
#
# The directory holds:
#   rootfs.img        raw ext4 root filesystem (the VM writes to a qcow2
#                     overlay, never to this file)
#   vmlinuz, initrd   the image's Debian 12 6.1 kernel, for QEMU -kernel
#   krel              its release
#   .ms-built         written last: the image is complete
# The image also holds, in /opt/ms-kernel/, the .debs of Debian 12's 6.12
# kernel and headers (fetched here, on the host: the VM has no network).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
key=$(cat "$here/build-image.sh" "$here/ms-stage.service" | sha256sum | cut -c1-16)
dir=$MS_CACHE/system-$key

if [ -f "$dir/.ms-built" ]; then
	echo "$dir"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || fail "run as root (mmdebstrap, mke2fs -d)"
need_packages mmdebstrap e2fsprogs qemu-utils
mirror=$(ms_debian_mirror)
mapfile -t sources < <(ms_debian_sources "$mirror" bookworm)

packages=(systemd systemd-sysv udev kmod dbus procps dkms
	linux-image-amd64 linux-headers-amd64 initramfs-tools
	adduser passwd apt e2fsprogs)
# The second kernel: Debian 12's 6.12, installed by the test, not here.
second=(linux-image-6.12-amd64 linux-headers-6.12-amd64)

say "building the system image in $dir (mmdebstrap, a few minutes)"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
root=$dir.tmp/root
mmdebstrap --variant=minbase --mode=root \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(IFS=,; echo "${packages[*]}")" \
	--customize-hook='echo ms-system >"$1/etc/hostname"' \
	--customize-hook='printf "/dev/vda / ext4 rw,relatime 0 1\n" >"$1/etc/fstab"' \
	--customize-hook='mkdir -p "$1/var/log/journal" "$1/mnt/host"' \
	--customize-hook='echo "MODULES=dep" >"$1/etc/initramfs-tools/conf.d/ms-small"' \
	--customize-hook='printf "LANG=C.UTF-8\n" >"$1/etc/default/locale"' \
	--customize-hook='chroot "$1" useradd -m -s /bin/sh alice' \
	--customize-hook='chroot "$1" useradd -m -s /bin/sh bob' \
	--customize-hook='cp "'"$here"'/ms-stage.service" "$1/etc/systemd/system/" && chroot "$1" systemctl enable ms-stage.service' \
	--customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service systemd-firstboot.service' \
	--customize-hook='rm -f "$1/etc/machine-id" && chroot "$1" systemd-machine-id-setup' \
	--customize-hook='mkdir -p "$1/opt/ms-kernel" && chroot "$1" apt-get clean && chroot "$1" apt-get install -y -q --download-only '"${second[*]}"' && mv "$1"/var/cache/apt/archives/*.deb "$1/opt/ms-kernel/"' \
	bookworm "$root" "${sources[@]}" >&2

krel=$(basename "$(ls -d "$root"/lib/modules/*)")
cp "$root/boot/vmlinuz-$krel" "$dir.tmp/vmlinuz"
cp "$root/boot/initrd.img-$krel" "$dir.tmp/initrd"
echo "$krel" >"$dir.tmp/krel"
ls "$root/opt/ms-kernel" >"$dir.tmp/second-kernel.list"
mke2fs -q -t ext4 -L ms-root -d "$root" "$dir.tmp/rootfs.img" 6G >&2
rm -rf "$root"
touch "$dir.tmp/.ms-built"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
say "done: $dir ($krel)"
echo "$dir"
