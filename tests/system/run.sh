#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh DKMS_DEB UTILS_DEB: `make test-system`. Boots the cached Debian 12
# system image (build-image.sh) in QEMU, systemd as PID 1, on a qcow2
# overlay (the cached image stays as built), with a user-mode network that
# reaches nothing (restrict=on) and the host directory build/system/share
# as the 9p share "host". At every boot the guest's ms-stage.service runs
# guest.sh from the share, which prints its checks on the second serial
# port and reboots or powers off; QEMU runs with -no-reboot, so a reboot
# ends it and this script boots the next stage, acting as the bootloader:
# the kernel the guest copied to share/boot/ once it installed one, else
# the image's. A boot still running after MS_BOOT_TIMEOUT seconds (default
# 3600: under TCG on 2 busy cores, boot 2's 6.12 kernel install took over
# 25 minutes) is killed and the run fails. Ends with "N passed, N failed".
# MS_RESUME_STAGE=N replays the last run from stage N (guest.sh) on its
# disk, for mending a late stage; only a run from stage 1 proves the test.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/system
[ $# -eq 2 ] || { echo "usage: run.sh DKMS_DEB UTILS_DEB" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (the image is built with mmdebstrap)" >&2; exit 1; }

start=$(date +%s)
image=$("$here/build-image.sh")
echo "# image: $image ($(cat "$image/krel")), ready after $(($(date +%s) - start)) s"

work=$root/build/system
if [ -n "${MS_RESUME_STAGE:-}" ]; then
	# Replay from a stage of the last run, on its disk, with today's
	# guest.sh: for mending a late stage without the early ones' half hour.
	# Not a pass of the whole test.
	[ -f "$work/disk.qcow2" ] || { echo "run.sh: no earlier run in $work to resume" >&2; exit 1; }
	rm -f "$work/share/done"
	echo "$MS_RESUME_STAGE" >"$work/share/stage"
	[ "$MS_RESUME_STAGE" -gt 2 ] || rm -rf "$work/share/boot"
	echo "# resuming the run in $work at stage $MS_RESUME_STAGE: not a whole run"
else
	rm -rf "$work"
	mkdir -p "$work/share/debs"
	cp "$@" "$work/share/debs/"
	echo 1 >"$work/share/stage"
	qemu-img create -q -f qcow2 -b "$image/rootfs.img" -F raw "$work/disk.qcow2"
fi
cp "$here/guest.sh" "$work/share/"

accel=(-accel tcg -cpu max)
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	accel=(-accel kvm -cpu host)
fi
: >"$work/out.log"
for boot in 1 2 3 4; do
	[ -f "$work/share/done" ] && break
	kernel=$image/vmlinuz initrd=$image/initrd
	if [ -f "$work/share/boot/krel" ]; then
		kernel=$work/share/boot/vmlinuz initrd=$work/share/boot/initrd
	fi
	bstart=$(date +%s)
	echo "# boot $boot: stage $(cat "$work/share/stage"), kernel ${kernel#"$root"/}"
	rc=0
	timeout --kill-after=10 "${MS_BOOT_TIMEOUT:-3600}" qemu-system-x86_64 "${accel[@]}" \
		-m 2048 -smp 2 -nodefaults -display none -no-reboot \
		-kernel "$kernel" -initrd "$initrd" \
		-append "root=/dev/vda rw console=ttyS0 panic=1 systemd.show_status=auto" \
		-drive "file=$work/disk.qcow2,if=virtio,format=qcow2,cache=unsafe" \
		-virtfs "local,path=$work/share,mount_tag=host,security_model=none,id=host" \
		-nic user,restrict=on,model=virtio-net-pci \
		-serial "file:$work/console-$boot.log" -serial "file:$work/out-$boot.log" || rc=$?
	sed -i 's/\r$//' "$work/console-$boot.log" "$work/out-$boot.log"
	cat "$work/out-$boot.log" | tee -a "$work/out.log"
	echo "# boot $boot took $(($(date +%s) - bstart)) s (qemu exit $rc)" | tee -a "$work/out.log"
	if [ "$rc" -ne 0 ] || ! grep -q '^ok - boot' "$work/out-$boot.log"; then
		echo "not ok - boot $boot ended (qemu exit $rc) before its checks finished; see $work/console-$boot.log" | tee -a "$work/out.log"
		tail -n 30 "$work/console-$boot.log" | sed 's/^/#   /'
		break
	fi
done
[ -f "$work/share/done" ] || echo "not ok - the VM did not reach the end of the test" | tee -a "$work/out.log"

passed=$(grep -c '^ok ' "$work/out.log" || true)
failed=$(grep -c '^not ok ' "$work/out.log" || true)
echo "# make test-system: $(($(date +%s) - start)) s in all; logs in ${work#"$root"/}/"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
