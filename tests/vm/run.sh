#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh test|demo|bench|fuzz: what make test, demo, bench and fuzz run.
#  1. kernel.sh: the kernel to boot, fetched or built once;
#  2. the module built for it at W=1, from the sources make print-sources
#     lists, and the programs of tests/Makefile (make tests);
#  3. initramfs.sh, then boot.sh with the guest's orders on the kernel
#     command line;
#  4. judge.sh on the logs (test and fuzz), kept in build/vm-KIND/logs;
#     under MS_KERNEL=coverage, coverage.sh first (make coverage).
# make bench boots twice unless BENCH= names its sections: the one-CPU
# sections under MS_ACCEL=icount, counted in guest instructions, beside
# bench/ms_noop.ko (the floor), then the two-CPU sections timed.
# The host kernel is never touched; no root is needed once the Debian
# packages are installed (as root, the scripts install what is missing).
#
# Environment: FLAVOUR=amd64|rt (Debian's kernel flavour), KERNEL=NAME (one
# of scripts/kernels: 5.10, 6.1, 6.12, 7.2, built in that Debian release's
# root with its compiler; default: the host's headers), MS_KERNEL=debug,
# kcsan or coverage (the debug, the KCSAN or the coverage kernel instead:
# coverage is the debug kernel with gcov, the module built with MS_GCOV=y,
# the suite run as on the debug kernel), MS_ACCEL, MS_CPU, MS_TIMEOUT (see boot.sh),
# MS_CACHE (see scripts/lib.sh), BENCH=SECTIONS (e.g. 13; default 1234567),
# TESTS="t4_concurrency t8_races" (test: only these programs),
# SEED=N OPS=N (fuzz).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"

mode=${1:-}
case $mode in
test | demo | bench | fuzz) ;;
*)
	echo "usage: $0 test|demo|bench|fuzz" >&2
	exit 2
	;;
esac
kernel=${MS_KERNEL:-stock}
flavour=${FLAVOUR:-amd64}
flavour=${flavour%-amd64}
case $kernel in
stock)
	which=${KERNEL:-stock}
	work=$MS_ROOT/build/vm-${KERNEL:+$KERNEL-}$flavour
	timeout_s=${MS_TIMEOUT:-900}
	;;
debug | kcsan | coverage)
	[ -z "${KERNEL:-}" ] || fail "KERNEL= and MS_KERNEL=$kernel exclude each other"
	which=$kernel flavour=
	work=$MS_ROOT/build/vm-$kernel
	# KCSAN's watchpoints make its kernel the slowest of all.
	timeout_s=${MS_TIMEOUT:-2400}
	[ "$kernel" = kcsan ] && timeout_s=${MS_TIMEOUT:-3600}
	;;
*) fail "MS_KERNEL must be stock, debug, kcsan or coverage, not $kernel" ;;
esac
# What the guest runs and the judge judges: the coverage kernel is the
# debug kernel, counting.
detectors=$kernel gcov=
[ "$kernel" = coverage ] && detectors=debug gcov=y
need_packages make gcc gcc-multilib libc6-dev

programs=$(make -s --no-print-directory -C "$MS_ROOT/tests" CFLAGS=- print-tests)
if [ -n "${TESTS:-}" ]; then
	# A subset, in the suite's order, for chasing one failure.
	for t in $TESTS; do
		[[ " $programs " == *" $t "* ]] || fail "TESTS: no test $t; the tests are: $programs"
	done
	chosen=
	for t in $programs; do
		[[ " $TESTS " == *" $t "* ]] && chosen="$chosen $t"
	done
	programs=${chosen# }
fi
[ "$mode" = fuzz ] && programs=t7_fuzz

fetched=$("$here/kernel.sh" "$which" $flavour) || exit 1
eval "$fetched"
logs=$work/logs
rm -rf "$work"
mkdir -p "$work/module" "$logs"

# build_module DIR: the external module whose sources DIR holds, for $krel.
build_module() {
	if [ "$root" = / ]; then
		make -s -C "$kdir" ARCH=x86_64 M="$1" W=1 CC="$cc" MS_GCOV=$gcov modules
	else
		# In the kernel's Debian release, with its own compiler.
		MS_BIND=$1 "$MS_ROOT/scripts/buildroot.sh" "$release" run \
			make -s -C "$kdir" ARCH=x86_64 M="$1" W=1 CC="$cc" modules
	fi >"$logs/build.log" 2>&1 ||
		{
			cat "$logs/build.log" >&2
			fail "module build failed in $1"
		}
}
say "building message_slot.ko for $krel"
(cd "$MS_ROOT" && cp $(ms_make_var sources) "$work/module/")
build_module "$work/module"
make -s --no-print-directory -C "$MS_ROOT" tests OUTPUT="$work/progs" >/dev/null ||
	fail "building the test programs failed"
if [ "$mode" = bench ]; then
	# The benchmark's floor, a driver that does nothing, goes in /tests.
	mkdir -p "$work/noop"
	cp "$MS_ROOT/bench/Kbuild" "$MS_ROOT/bench/ms_noop.c" "$work/noop/"
	build_module "$work/noop"
	cp "$work/noop/ms_noop.ko" "$work/progs/"
fi

# shellcheck disable=SC2086 # one word a program
"$here/initramfs.sh" "$work/initrd.cpio" "$work/module/message_slot.ko" "$work/progs" $programs
cat >"$logs/run.env" <<ENV
MODE=$mode
KERNEL=$detectors
COVERAGE=$gcov
KRELEASE='$krel${release:+ ($release, $cc)}'
PROGRAMS='$programs'
TIMEOUT=$timeout_s
ENV

append="ms_mode=$mode ms_bench=${BENCH:-1234567} ms_kernel=$detectors${gcov:+ ms_gcov=1}"
[ "$mode" = fuzz ] && append="$append ms_fuzz_seed=${SEED:-} ms_fuzz_ops=${OPS:-10000000}"
# The debug kernels: catch code that relies on zeroed memory or touches
# freed memory. KCSAN starts with the suite, not at boot: strict KCSAN
# reports races of the kernel's own boot code (APIC timer calibration).
[ "$kernel" != stock ] && append="$append init_on_alloc=0 slub_debug=FZPU"
[ "$kernel" = kcsan ] && append="$append kcsan.early_enable=0"
# TCG runs rep movs/stos one iteration at a time: under `max`, whose
# ERMS/FSRM make the kernel copy with them, copies cost far more than on
# any real CPU. The benchmark uses qemu64, which has neither.
[ "$mode" = bench ] && export MS_CPU=${MS_CPU:-qemu64}
say "krel $krel, mode $mode"
# boot [LOGDIR]: the guest, logging to LOGDIR (default $logs).
boot() { MS_TIMEOUT=$timeout_s "$here/boot.sh" "$image" "$work/initrd.cpio" "${1:-$logs}" $append; }
# finished LOGDIR: fail unless the guest that logged there got to its end.
finished() {
	grep -q '^# guest done' "$1/out.log" ||
		fail "the VM did not finish (qemu exit $(cat "$1/qemu.rc")); see $1"
}
case $mode in
test | fuzz)
	boot
	[ -z "$gcov" ] || "$here/coverage.sh" "$logs" "$work/module"
	"$here/judge.sh" "$logs"
	;;
demo)
	# The demo is the transcript alone, without the guest's # lines.
	boot | grep --line-buffered -v '^# '
	finished "$logs"
	;;
bench)
	if [ -n "${BENCH:-}" ]; then
		# The sections asked for, in one boot, under MS_ACCEL's clock.
		[ "${MS_ACCEL:-}" = icount ] && append="$append ms_icount=1"
		boot
		finished "$logs"
	else
		# One vCPU counting instructions for the sections that need
		# one CPU; two vCPUs, timed, for those that need two.
		all=$append
		say "sections 1, 2, 4, 6: counted in guest instructions (MS_ACCEL=icount)"
		append="${all/ms_bench=1234567/ms_bench=1246} ms_icount=1"
		MS_ACCEL=icount boot "$logs/icount"
		finished "$logs/icount"
		say "sections 3, 5, 7: timed, on two vCPUs"
		append=${all/ms_bench=1234567/ms_bench=357}
		boot "$logs/timed"
		finished "$logs/timed"
		grep -h '^goal ' "$logs/icount/out.log" "$logs/timed/out.log" |
			awk '{ n++ } / MISSED/ { m++ } END { printf "bench: %d goals, %d met, %d missed\n", n, n - m, m }'
	fi
	;;
esac
