#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh test|demo|bench|fuzz: build the module, the programs and the tests for
# Debian's kernel, boot that kernel in a throwaway QEMU VM with a busybox
# initramfs, and report what ran there. The host kernel is never touched;
# no root is needed once the Debian packages below are installed.
#
# Environment:
#   MS_ACCEL=kvm|tcg   force hardware virtualisation or software emulation
#                      (default: kvm when the CPU shows vmx/svm and /dev/kvm
#                      is usable, else tcg)
#   MS_TIMEOUT=SECONDS kill the VM after this long (default 900; debug 2400)
#   MS_CACHE=DIR       where kernel images are kept (~/.cache/message_slot)
#   FLAVOUR=amd64      the Debian kernel flavour (linux-headers-FLAVOUR): rt
#                      (or rt-amd64) boots Debian's PREEMPT_RT kernel
#   MS_KERNEL=debug    boot the debug kernel of tests/debug-kernel.sh
#                      (lockdep, KASAN, kmemleak, UBSAN, fault injection)
#                      instead of Debian's
#   MS_CPU=MODEL       QEMU's -cpu under tcg (default max; qemu64 for bench)
#   BENCH=SECTIONS     with bench: which sections, e.g. 13 (default 1234567)
#   SEED=N OPS=N       with fuzz: the seed and the number of operations
set -euo pipefail

mode=${1:-}
case $mode in
test | demo | bench | fuzz) ;;
*)
	echo "usage: $0 test|demo|bench|fuzz" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
flavour=${FLAVOUR:-amd64}
# Debian's flavour names: amd64, rt-amd64, cloud-amd64; "rt" means rt-amd64.
case $flavour in
amd64 | *-amd64) ;;
*) flavour=$flavour-amd64 ;;
esac
kernel=${MS_KERNEL:-stock}
case $kernel in
stock | debug) ;;
*) echo "MS_KERNEL must be stock or debug" >&2; exit 2 ;;
esac
cache=${MS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/message_slot}
timeout_s=${MS_TIMEOUT:-900}
[ "$kernel" = debug ] && timeout_s=${MS_TIMEOUT:-2400}
work=$root/build/vm-$flavour
[ "$kernel" = debug ] && work=$root/build/vm-debug
logs=$work/logs

say() { printf '%s\n' "$*" >&2; }
fail() {
	say "vm.sh: $*"
	exit 1
}

# --- Debian packages -------------------------------------------------------
packages="qemu-system-x86 busybox-static cpio gcc gcc-multilib libc6-dev make linux-headers-$flavour"
[ "$kernel" = debug ] && packages="$packages linux-source-6.1 xz-utils flex bison bc libelf-dev"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		say "vm.sh: installing$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
	else
		fail "missing Debian packages; run: sudo apt-get install -y$missing"
	fi
fi

if [ "$kernel" = debug ]; then
	# --- The debug kernel: built once from Debian's linux-source ---------
	kdir=$("$root/tests/debug-kernel.sh")
	image=$kdir/arch/x86/boot/bzImage
	krel="$(make -s -C "$kdir" ARCH=x86_64 kernelrelease) (debug)"
else
	krel=$("$root/tests/debian-kernel" "$flavour") ||
		fail "cannot tell which kernel linux-headers-$flavour points to"
	kdir=/usr/src/linux-headers-$krel
	[ -d "$kdir" ] || fail "no kernel headers at $kdir"

	# --- The kernel image: Debian's, matching the headers -----------------
	image=$cache/$krel/vmlinuz
	if [ ! -s "$image" ]; then
		mkdir -p "$cache/$krel"
		if [ -r "/boot/vmlinuz-$krel" ]; then
			cp "/boot/vmlinuz-$krel" "$image"
		else
			say "vm.sh: fetching linux-image-$krel (once) into $cache"
			dl=$(mktemp -d)
			(cd "$dl" && apt-get download -q "linux-image-$krel" >&2) ||
				fail "apt-get download linux-image-$krel failed"
			dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb |
				tar -xO "./boot/vmlinuz-$krel" >"$image.tmp"
			mv "$image.tmp" "$image"
			rm -rf "$dl"
		fi
	fi
fi

# --- Build: the module for that kernel, static programs and tests ---------
rm -rf "$work/rootfs" "$logs"
mkdir -p "$work/module" "$work/rootfs/bin" "$work/rootfs/tests" "$logs"
cp "$root"/message_slot.[ch] "$root"/message_slot_compat.h "$root/Kbuild" "$root/dkms.conf" "$work/module/"
say "vm.sh: building message_slot.ko for $krel"
make -s -C "$kdir" ARCH=x86_64 M="$work/module" W=1 modules >"$logs/build.log" 2>&1 ||
	{
		cat "$logs/build.log" >&2
		fail "module build failed"
	}

ucflags="-O2 -Wall -Wextra -std=c11 -static -pthread"
gcc $ucflags -o "$work/rootfs/bin/message_sender" "$root/message_sender.c"
gcc $ucflags -o "$work/rootfs/bin/message_reader" "$root/message_reader.c"
for t in "$root"/tests/t[0-9]*_*.c; do
	name=$(basename "$t" .c)
	case $name in
	*32) gcc -m32 $ucflags -o "$work/rootfs/tests/$name" "$t" ;;
	*) gcc $ucflags -o "$work/rootfs/tests/$name" "$t" ;;
	esac
done
if [ -f "$root/tests/bench.c" ]; then
	gcc $ucflags -O3 -o "$work/rootfs/tests/bench" "$root/tests/bench.c" -lrt
fi
cp "$root/tests/demo" "$work/rootfs/tests/demo"
cp "$work/module/message_slot.ko" "$work/rootfs/"
cp "$root/tests/guest-init" "$work/rootfs/init"
cp /bin/busybox "$work/rootfs/bin/busybox"
mkdir -p "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/tmp"
(cd "$work/rootfs" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initrd.cpio"

# --- Boot -----------------------------------------------------------------
accel=${MS_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		accel=kvm
	fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg)
	# TCG runs rep movs/stos one iteration at a time: under `max`, whose
	# ERMS/FSRM make the kernel copy with them, copies cost far more than
	# on any real CPU. The benchmark uses qemu64, which has neither.
	cpu=max
	[ "$mode" = bench ] && cpu=qemu64
	accel_args=(-accel tcg -cpu "${MS_CPU:-$cpu}")
	;;
*) fail "MS_ACCEL must be kvm or tcg, not $accel" ;;
esac
# The debug kernel has no ACPI: QEMU must describe the CPUs as sockets.
smp=(-smp 2)
append="console=ttyS0 loglevel=4 panic=-1 panic_on_warn=1 oops=panic softlockup_panic=1"
append="$append ms_mode=$mode ms_bench=${BENCH:-1234567} ms_kernel=$kernel"
[ "$mode" = fuzz ] && append="$append ms_fuzz_seed=${SEED:-} ms_fuzz_ops=${OPS:-10000000}"
if [ "$kernel" = debug ]; then
	smp=(-smp 2,sockets=2)
	# Catch code that relies on zeroed memory or touches freed memory.
	append="$append init_on_alloc=0 slub_debug=FZPU"
fi
say "vm.sh: booting $krel with $accel (${accel_args[*]}), 2 vCPUs, mode $mode"

: >"$logs/console.log"
: >"$logs/out.log"
set +e
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" \
	-m 2048 "${smp[@]}" -nodefaults -display none -no-reboot -nic none \
	-kernel "$image" -initrd "$work/initrd.cpio" \
	-append "$append" \
	-serial "file:$logs/console.log" -serial "file:$logs/out.log" &
qpid=$!
# Show the guest's output as it comes, up to its kernel log.
tail -n +1 -f --pid=$qpid "$logs/out.log" | tr -d '\r' | awk '/^# dmesg begin/ { quiet = 1 } !quiet { print; fflush() }' |
	if [ "$mode" = demo ]; then grep --line-buffered -v '^# '; else cat; fi
wait $qpid
qrc=$?
set -e
# The guest's tty wrote CR LF line ends.
sed -i 's/\r$//' "$logs/out.log" "$logs/console.log"

# --- Verdict --------------------------------------------------------------
case $mode in test | fuzz) ;; *) false ;; esac || {
	grep -q '^# guest done' "$logs/out.log" || fail "the VM did not finish (qemu exit $qrc); see $logs"
	exit 0
}

checks=$logs/host.tap
: >"$checks"
check() { # check OK|FAIL description
	if [ "$1" = OK ]; then echo "ok - $2"; else echo "not ok - $2"; fi >>"$checks"
}

if grep -q ': warning:' "$logs/build.log"; then
	check FAIL "the module builds with no warning at W=1 (see $logs/build.log)"
else
	check OK "the module builds with no warning at W=1"
fi

if grep -q '^# guest done' "$logs/out.log"; then
	check OK "the guest ran to the end"
else
	check FAIL "the guest ran to the end (qemu exit $qrc; killed after ${timeout_s}s if 124)"
fi

# Every test program ran, printed its plan, ran as many tests and exited 0.
programs=("$root"/tests/t[0-9]*_*.c)
[ "$mode" = fuzz ] && programs=("$root/tests/t7_fuzz.c")
for t in "${programs[@]}"; do
	name=$(basename "$t" .c)
	verdict=$(awk -v name="$name" '
		$0 == "# test: " name { on = 1; n = 0; plan = -1; next }
		on && /^(not )?ok / { n++ }
		on && /^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
		on && /^1\.\.0 # SKIP/ { plan = 0; skip = substr($0, 13) }
		on && index($0, "# exit: " name " ") == 1 { code = $4; on = 0; seen = 1 }
		END {
			if (!seen) print "did not finish"
			else if (plan < 0) print "printed no plan (died part way?), exit " code
			else if (plan != n) print "planned " plan " tests, ran " n
			else if (code != 0) print "exited " code
			else if (skip != "") print "SKIP " skip
			else print "OK"
		}' "$logs/out.log")
	if [ "$verdict" = OK ]; then
		check OK "$name ran all its tests and exited 0"
	elif [ "${verdict%% *}" = SKIP ]; then
		check OK "$name # $verdict"
	else
		check FAIL "$name: $verdict"
	fi
done

if grep -q '^# rmmod: 0' "$logs/out.log"; then
	check OK "rmmod at the end of the suite"
else
	check FAIL "rmmod at the end of the suite"
fi

# Any kernel report anywhere fails the run: the console and the final dmesg.
sed -n '/^# dmesg begin/,/^# dmesg end/p' "$logs/out.log" >"$logs/dmesg.log"
pattern='WARNING:|BUG:|BUG |Oops|Kernel panic|kernel BUG|general protection|Call Trace|soft lockup|hard LOCKUP|rcu_.*stall|self-detected stall|KASAN|UBSAN|suspected memory leak|possible recursive locking|circular locking|lockdep is turned off|list_add corruption|list_del corruption|scheduling while atomic|sleeping function called|refcount_t:|Hardware Error|hung_task|blocked for more than'
if grep -aEn "$pattern" "$logs/console.log" "$logs/dmesg.log" >"$logs/reports.log"; then
	check FAIL "no kernel report in the console or dmesg:"
	sed 's/^/#   /' "$logs/reports.log" | head -40 >>"$checks"
else
	check OK "no kernel oops, BUG, WARN, lockup or other report in the console or dmesg"
fi

if [ "$kernel" = debug ]; then
	sed -n '/^# kmemleak begin/,/^# kmemleak end/p' "$logs/out.log" >"$logs/kmemleak.log"
	leaks=$(grep -c 'unreferenced object' "$logs/kmemleak.log" || true)
	if grep -q '^# kmemleak end' "$logs/kmemleak.log" && [ "$leaks" -eq 0 ]; then
		check OK "kmemleak finds no leak after the suite and rmmod"
	else
		check FAIL "kmemleak finds no leak after the suite and rmmod ($leaks; see $logs/kmemleak.log)"
	fi
	if grep -q '^# debug_locks: 1$' "$logs/out.log"; then
		check OK "lockdep still on at the end (debug_locks 1): it reported nothing"
	else
		check FAIL "lockdep still on at the end (debug_locks 1)"
	fi
fi

cat "$checks"
# TAP: "ok N - what # SKIP why" is a skipped test, not a passed one.
tap=$(cat "$logs/out.log" "$checks")
skipped=$(grep -Ec '^ok .*# SKIP' <<<"$tap" || true)
passed=$(($(grep -c '^ok ' <<<"$tap" || true) - skipped))
failed=$(grep -c '^not ok ' <<<"$tap" || true)
say "vm.sh: logs in $logs"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
