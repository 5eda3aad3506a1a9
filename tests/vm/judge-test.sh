#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# judge-test.sh: judge.sh's verdict on made-up VM logs holding kernel
# reports in the kernel's own formats (6.1's), one case each: which fail
# the run (they involve message_slot, or are a panic) and which are the
# kernel's own, listed and not failed. make check runs it; silent when
# every case holds, else a line per case that does not.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0

# A KCSAN report; $1 and $2 are the first frames of its two stacks, $3 a
# frame deeper in the second.
kcsan_report() {
	cat <<EOF
[   41.112233] ==================================================================
[   41.112240] BUG: KCSAN: data-race in $1 / $2
[   41.112250]
[   41.112251] write to 0xffff888003a1c2d0 of 8 bytes by task 231 on cpu 1:
[   41.112260]  $1+0x28/0x59
[   41.112261]  cpumask_next+0x2c/0x40
[   41.112262]  do_syscall_64+0x3b/0x90
[   41.112263]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[   41.112264]
[   41.112265] read to 0xffff888003a1c2d0 of 8 bytes by task 230 on cpu 0:
[   41.112270]  $2+0x11/0x59
[   41.112271]  $3
[   41.112272]  vfs_write+0x1a4/0x4b0
[   41.112273]
[   41.112274] Reported by Kernel Concurrency Sanitizer on:
[   41.112275] CPU: 0 PID: 230 Comm: t4_concurrency Tainted: G           O       6.1.0 #1
[   41.112276] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[   41.112277] ==================================================================
EOF
}

# The dump 6.1 prints when t5_faults fails our channel cache's creation.
cache_dump() {
	cat <<'EOF'
[   50.000001] kmem_cache_create(message_slot_channel) failed with error -12
[   50.000002] CPU: 0 PID: 300 Comm: insmod Tainted: G           O       6.1.0 #1
[   50.000003] Call Trace:
[   50.000004]  <TASK>
[   50.000005]  dump_stack_lvl+0x45/0x5e
[   50.000006]  kmem_cache_create_usercopy+0x1e1/0x2a0
[   50.000007]  ms_init+0x8c/0x1000 [message_slot]
[   50.000008]  do_one_initcall+0x5b/0x220
[   50.000009]  </TASK>
EOF
}

# A KASAN report: the access in the kernel, the object freed by $1.
kasan_report() {
	cat <<EOF
[   60.000001] ==================================================================
[   60.000002] BUG: KASAN: use-after-free in __wake_up_common+0x1d0/0x1f0
[   60.000003] Read of size 8 at addr ffff888004c8a108 by task t6_poll/412
[   60.000004]
[   60.000005] CPU: 1 PID: 412 Comm: t6_poll Tainted: G           O       6.1.0 #1
[   60.000006] Call Trace:
[   60.000007]  <TASK>
[   60.000008]  kasan_report+0xb9/0xf0
[   60.000009]  __wake_up_common+0x1d0/0x1f0
[   60.000010]  </TASK>
[   60.000011]
[   60.000012] Freed by task 410:
[   60.000013]  kfree+0x8a/0x120
[   60.000014]  $1
[   60.000015]
[   60.000016] The buggy address belongs to the object at ffff888004c8a100
[   60.000017] ==================================================================
EOF
}

# A kernel WARN; $1 is a frame of its call trace.
warn_report() {
	cat <<EOF
[   70.000001] ------------[ cut here ]------------
[   70.000002] WARNING: CPU: 1 PID: 500 at kernel/rcu/tree.c:2556 rcu_core+0x4d/0x60
[   70.000003] Modules linked in: message_slot(O)
[   70.000004] CPU: 1 PID: 500 Comm: t9_module Tainted: G           O       6.1.0 #1
[   70.000005] RIP: 0010:rcu_core+0x4d/0x60
[   70.000006] Call Trace:
[   70.000007]  <TASK>
[   70.000008]  $1
[   70.000009]  __x64_sys_ioctl+0x8e/0xd0
[   70.000010]  </TASK>
[   70.000011] ---[ end trace 0000000000000000 ]---
EOF
}

# A lockdep report; $1 is a frame of its lock chain.
lockdep_report() {
	cat <<EOF
[   80.000001] ======================================================
[   80.000002] WARNING: possible circular locking dependency detected
[   80.000003] 6.1.0 #1 Tainted: G           O
[   80.000004] ------------------------------------------------------
[   80.000005] -> #1 (&slot->watch_lock){+.+.}-{3:3}:
[   80.000006]        lock_acquire+0xc4/0x2d0
[   80.000007]        $1
[   80.000008]
[   80.000009] stack backtrace:
[   80.000010] CPU: 0 PID: 600 Comm: t8_races Tainted: G           O       6.1.0 #1
[   80.000011] Call Trace:
[   80.000012]  <TASK>
[   80.000013]  dump_stack_lvl+0x45/0x5e
[   80.000014]  check_noncircular+0x112/0x130
[   80.000015]  </TASK>
EOF
}

panic_report() {
	cat <<'EOF'
[   90.000001] BUG: kernel NULL pointer dereference, address: 0000000000000008
[   90.000002] Oops: 0000 [#1] PREEMPT SMP KASAN
[   90.000003] RIP: 0010:do_sys_poll+0x1e1/0x4c0
[   90.000004] Call Trace:
[   90.000005]  <TASK>
[   90.000006]  __x64_sys_poll+0x5c/0x1c0
[   90.000007]  </TASK>
[   90.000008] ---[ end trace 0000000000000000 ]---
[   90.000009] Kernel panic - not syncing: Fatal exception
EOF
}

# kmemleak's report of one object whose allocation went through $1.
leak_report() {
	cat <<EOF
unreferenced object 0xffff888004d1e400 (size 64):
  comm "insmod", pid 300, jiffies 4294681234 (age 12.340s)
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace:
    [<000000003b6a1a7e>] __kmalloc+0x4d/0x150
    [<00000000c1a2b3d4>] $1
    [<0000000077d1e2f3>] do_one_initcall+0x5b/0x220
EOF
}

# run_case NAME KERNEL STATUS GREP [CONSOLE-MAKER [KMEMLEAK-MAKER [DEBUG_LOCKS]]]:
# judge.sh on logs whose console holds what CONSOLE-MAKER prints (also in
# the final dmesg) must exit STATUS (0 or 1) and its vm.tap match GREP.
run_case() {
	local name=$1 kernel=$2 want=$3 expect=$4 console=${5:-true} leaks=${6:-true}
	local locks=${7:-1} logs=$work/$1 rc
	mkdir -p "$logs"
	printf "MODE=test\nKERNEL=%s\nKRELEASE='6.1.0'\nPROGRAMS=''\nTIMEOUT=60\n" \
		"$kernel" >"$logs/run.env"
	: >"$logs/build.log"
	echo 0 >"$logs/qemu.rc"
	"$console" >"$logs/console.log"
	{
		echo "# rmmod: 0"
		echo "# kmemleak begin"
		"$leaks"
		echo "# kmemleak end"
		printf '# kcsan begin\nenabled: 1\nsetup_watchpoints: 4096\ndata_races: 0\n# kcsan end\n'
		echo "# debug_locks: $locks"
		echo "# dmesg begin"
		"$console"
		echo "# dmesg end"
		echo "# guest done"
	} >"$logs/out.log"
	"$here/judge.sh" "$logs" >"$logs/verdict.out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qE "$expect" "$logs/vm.tap"; then
		echo "not ok - $name: judge.sh exited $rc (want $want), vm.tap:"
		sed 's/^/#   /' "$logs/vm.tap"
		bad=1
	fi
}

clean() { :; }
kcsan_kernel() { kcsan_report _find_first_bit _find_first_bit 'cpumask_next+0x2c/0x40'; }
kcsan_ours_top() { kcsan_report 'ms_write [message_slot]' ms_write 'ms_write_msg+0x40/0x90 [message_slot]'; }
kcsan_ours_deep() { kcsan_report __wake_up_common __wake_up_common 'ms_write+0x1d/0x80 [message_slot]'; }
kcsan_ours_gone() { kcsan_report rcu_do_batch rcu_do_batch '0xffffffffc0201a3c'; }
kcsan_then_dump() { kcsan_kernel; cache_dump; }
dump_alone() { cache_dump; }
kasan_freed_by_us() { kasan_report 'ms_channel_put+0x33/0x60 [message_slot]'; }
kasan_kernel() { kasan_report 'free_pipe_info+0x11/0x30'; }
warn_ours() { warn_report 'ms_ioctl+0x90/0x120 [message_slot]'; }
warn_kernel() { warn_report 'rcu_do_batch+0x1a/0x90'; }
lockdep_ours() { lockdep_report 'ms_poll+0x44/0x130 [message_slot]'; }
lockdep_kernel() { lockdep_report 'pipe_read+0x44/0x130'; }
leak_ours() { leak_report '0xffffffffc0203e10'; }
# More reports than a pipe holds: the verdict must still come.
many_ours() {
	kcsan_ours_top | awk '{ l[NR] = $0 } END { for (i = 0; i < 3000; i++) for (j = 1; j <= NR; j++) print l[j] }'
}
leak_kernel() { leak_report 'kobject_set_name_vargs+0x29/0x90'; }

run_case clean kcsan 0 '^ok - no_module_reports'
run_case kcsan_kernel_listed kcsan 0 '^# 1 kernel reports outside the module' kcsan_kernel
run_case kcsan_ours_at_top kcsan 1 '^not ok - no_module_reports' kcsan_ours_top
run_case kcsan_ours_in_second_stack kcsan 1 '^not ok - no_module_reports' kcsan_ours_deep
run_case kcsan_ours_after_rmmod kcsan 1 '^not ok - no_module_reports' kcsan_ours_gone
run_case kcsan_kernel_then_t5_dump kcsan 0 '^ok - no_module_reports' kcsan_then_dump
run_case t5_cache_dump debug 0 '^ok - no_module_reports' dump_alone
run_case kasan_freed_by_us debug 1 '^not ok - no_module_reports' kasan_freed_by_us
run_case kasan_kernel debug 0 '^# 1 kernel reports outside' kasan_kernel
run_case warn_ours stock 1 '^not ok - no_module_reports' warn_ours
run_case warn_kernel stock 0 '^ok - no_module_reports' warn_kernel
run_case lockdep_ours debug 1 '^not ok - lockdep_still_on' lockdep_ours true 0
run_case lockdep_kernel_skips debug 0 '^ok - lockdep_still_on # SKIP' lockdep_kernel true 0
run_case lockdep_off_unexplained debug 1 '^not ok - lockdep_still_on' clean true 0
run_case many_module_reports kcsan 1 '^not ok - no_module_reports # 6000 reports' many_ours
run_case panic_anywhere stock 1 '^not ok - no_module_reports' panic_report
run_case leak_ours debug 1 '^not ok - kmemleak_no_leak' clean leak_ours
run_case leak_kernel_listed debug 0 '^# 1 unreferenced objects outside the module' clean leak_kernel
exit $bad
