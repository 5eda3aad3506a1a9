#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh IMAGE INITRD LOGDIR [KERNEL-ARGS...]: boot a throwaway VM with 2
# vCPUs (1 under MS_ACCEL=icount) and no network, show what the guest
# prints as it comes, and keep
#   LOGDIR/console.log  the kernel's console (first serial port)
#   LOGDIR/out.log      what the guest's init printed (second serial port)
#   LOGDIR/qemu.rc      QEMU's exit status (124: killed at the time limit)
# The guest ends with reboot -f; QEMU is killed after MS_TIMEOUT seconds.
#
# Environment:
#   MS_ACCEL=kvm|tcg|icount
#                      force hardware virtualisation or software emulation
#                      (default: kvm when the CPU shows vmx/svm and /dev/kvm
#                      is usable, else tcg); icount is emulation on one vCPU
#                      whose clock counts 1 ns per guest instruction, so that
#                      what the guest times is an instruction count, the same
#                      on every run (the secondary CPU does not come up under
#                      it, hence one)
#   MS_CPU=MODEL       QEMU's -cpu under tcg and icount (default max)
#   MS_TIMEOUT=SECONDS the time limit (default 900)
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ $# -ge 3 ] || fail "usage: boot.sh IMAGE INITRD LOGDIR [KERNEL-ARGS...]"
image=$1 initrd=$2 logs=$3
shift 3
need_packages qemu-system-x86

accel=${MS_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		accel=kvm
	fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg -cpu "${MS_CPU:-max}") ;;
icount) accel_args=(-accel tcg,thread=single -icount shift=0,sleep=off -cpu "${MS_CPU:-max}") ;;
*) fail "MS_ACCEL must be kvm, tcg or icount, not $accel" ;;
esac
timeout_s=${MS_TIMEOUT:-900}
ncpus=2
[ "$accel" = icount ] && ncpus=1
# A warning, a KASAN, KCSAN or UBSAN report, a lockup or a stall does not
# stop the guest: judge.sh reads each one and fails the run on those that
# involve the module, while the kernel's own are listed (docs/testing.md).
# An oops panics (oops=panic), and a panic ends QEMU (panic=-1 with
# -no-reboot): a crash fails the run whoever caused it. loglevel=5 puts every
# warning on the console with its stack, and log_buf_len keeps them all for
# the final dmesg.
append="console=ttyS0 loglevel=5 log_buf_len=8M panic=-1 oops=panic $*"
say "booting $image with $accel (${accel_args[*]}), $ncpus vCPU(s)"

mkdir -p "$logs"
: >"$logs/console.log"
: >"$logs/out.log"
set +e
# Without ACPI (the debug kernel) the guest finds the CPUs only as sockets.
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" \
	-m 2048 -smp "$ncpus,sockets=$ncpus" -nodefaults -display none \
	-no-reboot -nic none -kernel "$image" -initrd "$initrd" -append "$append" \
	-serial "file:$logs/console.log" -serial "file:$logs/out.log" &
qpid=$!
# Show the guest's output as it comes (line by line: no buffering stage
# between), up to its kernel log.
tail -n +1 -f --pid=$qpid "$logs/out.log" |
	awk '{ sub(/\r$/, "") } /^# dmesg begin/ { quiet = 1 } !quiet { print; fflush() }'
wait $qpid
echo $? >"$logs/qemu.rc"
set -e
# The guest's tty wrote CR LF line ends.
sed -i 's/\r$//' "$logs/out.log" "$logs/console.log"
