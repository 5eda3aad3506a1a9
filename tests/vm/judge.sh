#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# judge.sh LOGDIR: the verdict on a VM run, from its logs alone, so that it
# can be run again on a saved log directory and give the same answer.
#
# It counts test cases, one kind of thing: the cases of every test program
# (nested under the program's KTAP result in out.log) and the run's own
# checks, the cases of "vm": the module built with no warning, the guest
# ran to the end, rmmod, no kernel report in the console or dmesg; on the
# debug kernel no kmemleak leak; on the KCSAN kernel KCSAN was on and set
# watchpoints (kmemleak skipped: it has none); on both, lockdep still on. A program that
# did not finish, or failed with no failed case (its runner crashed or hit
# the program's time limit), counts as one failed case of its own.
# Ends with "cases: N passed, N failed, N skipped"; exits 1 on any failure.
#
# LOGDIR holds run.env (MODE, KERNEL, PROGRAMS, TIMEOUT), build.log,
# console.log, out.log and qemu.rc, as run.sh and boot.sh leave them.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

logs=${1:?usage: judge.sh LOGDIR}
[ -f "$logs/run.env" ] || fail "$logs/run.env: not a VM run's log directory"
# shellcheck source=/dev/null
. "$logs/run.env"
qrc=$(cat "$logs/qemu.rc" 2>/dev/null || echo "?")
out=$logs/out.log
vm=$logs/vm.tap
: >"$vm"

check() { # check OK|FAIL|SKIP NAME [WHY]
	case $1 in
	OK) echo "ok - $2" ;;
	SKIP) echo "ok - $2 # SKIP $3" ;;
	*) echo "not ok - $2${3:+ # $3}" ;;
	esac >>"$vm"
}

if grep -q ': warning:' "$logs/build.log"; then
	check FAIL build_no_warnings "the module built with warnings at W=1: see $logs/build.log"
else
	check OK build_no_warnings
fi

if grep -q '^# guest done' "$out"; then
	check OK guest_finished
else
	if [ "$qrc" = 124 ]; then
		check FAIL guest_finished "killed after ${TIMEOUT}s, the VM's time limit"
	else
		check FAIL guest_finished "qemu exited ($qrc) before the guest finished: a panic, or a reboot"
	fi
fi

if grep -q '^# rmmod: 0' "$out"; then
	check OK rmmod_after_suite
else
	check FAIL rmmod_after_suite "rmmod at the end of the suite failed or never ran"
fi

# Any kernel report anywhere fails the run: the console and the final dmesg.
# Not kmemleak's "N new suspected memory leaks": it scans only when asked
# (guest-init), and what each scan found is judged whole, object by object
# (kmemleak_no_leak below; t5_faults after its walk over module loads).
sed -n '/^# dmesg begin/,/^# dmesg end/p' "$out" >"$logs/dmesg.log"
pattern='WARNING:|BUG:|BUG |Oops|Kernel panic|kernel BUG|general protection|Call Trace|soft lockup|hard LOCKUP|rcu_.*stall|self-detected stall|KASAN|KCSAN|UBSAN|possible recursive locking|circular locking|lockdep is turned off|list_add corruption|list_del corruption|scheduling while atomic|sleeping function called|refcount_t:|Hardware Error|hung_task|blocked for more than'
# One stack dump is no report: the kernel's own account of a failure that
# t5_faults injects on purpose, that it could not create our channel cache
# (a warning line, then dump_stack() up to its </TASK>). Inside it only the
# "Call Trace:" line is passed over; any other match in it still counts.
if awk -v pattern="$pattern" '
	FNR == 1 { dump = 0 }
	/kmem_cache_create(_usercopy)?\(message_slot_channel\) failed with error -[0-9]+$/ { dump = 1 }
	dump && /Call Trace:$/ { next }
	$0 ~ pattern { print FILENAME ":" FNR ":" $0; found = 1 }
	dump && /<\/TASK>$/ { dump = 0 }
	END { exit !found }' "$logs/console.log" "$logs/dmesg.log" >"$logs/reports.log"; then
	check FAIL no_kernel_reports "see $logs/reports.log"
	head -n 40 "$logs/reports.log" | sed 's/^/#   /' >>"$vm"
else
	check OK no_kernel_reports
fi

if [ "$KERNEL" = kcsan ]; then
	check SKIP kmemleak_no_leak "the KCSAN kernel has no kmemleak: make test-debug checks leaks"
	sed -n '/^# kcsan begin/,/^# kcsan end/p' "$out" >"$logs/kcsan.log"
	if grep -q '^enabled: 1' "$logs/kcsan.log" &&
		awk '$1 == "setup_watchpoints:" && $2 > 0 { found = 1 } END { exit !found }' "$logs/kcsan.log"; then
		check OK kcsan_watched "$(grep -E '^(setup_watchpoints|data_races|races_unknown_origin):' "$logs/kcsan.log" | tr '\n' ' ')"
	else
		check FAIL kcsan_watched "KCSAN was not on, or set no watchpoint: see $logs/kcsan.log"
	fi
fi
if [ "$KERNEL" = debug ]; then
	sed -n '/^# kmemleak begin/,/^# kmemleak end/p' "$out" >"$logs/kmemleak.log"
	leaks=$(grep -c 'unreferenced object' "$logs/kmemleak.log" || true)
	if grep -q '^# kmemleak end' "$logs/kmemleak.log" && [ "$leaks" -eq 0 ]; then
		check OK kmemleak_no_leak
	else
		check FAIL kmemleak_no_leak "$leaks unreferenced objects: see $logs/kmemleak.log"
	fi
fi
if [ "$KERNEL" != stock ]; then
	if grep -q '^# debug_locks: 1$' "$out"; then
		check OK lockdep_still_on
	else
		check FAIL lockdep_still_on "debug_locks is not 1: lockdep reported something"
	fi
fi

# The programs' KTAP: results at column 0, their cases at 4, assertions at 8.
awk -v programs="$PROGRAMS" -v vm="$vm" '
	function tally(p) {
		if (!(p in seen)) {
			printf "not ok - %s # did not finish\n", p
			failed++
		} else if (!prog_ok[p] && prog_failed[p] == 0) {
			printf "not ok - %s # %s\n", p, prog_why[p]
			failed++
		} else if (planned[p] != ran[p]) {
			printf "not ok - %s # planned %d cases, reported %d\n", p, planned[p], ran[p]
			failed++
		}
		printf "# %-16s %3d passed, %d failed, %d skipped; %d assertions\n", p,
		       prog_passed[p], prog_failed[p], prog_skipped[p], asserts[p]
	}
	/^    # Subtest: / { cur = $3; next }
	/^(not )?ok [0-9]+ / {
		name = ($1 == "not") ? $4 : $3
		seen[name] = 1
		prog_ok[name] = ($1 == "ok")
		why = $0; sub(/^[^#]*# ?/, "", why); prog_why[name] = why
		next
	}
	cur != "" && /^    1\.\.[0-9]+$/ { planned[cur] = substr($0, 8) + 0; next }
	cur != "" && /^    (not )?ok [0-9]+ / {
		ran[cur]++
		line = substr($0, 5)
		if (line ~ /^not ok/) {
			prog_failed[cur]++; failed++
			print line " (" cur ")"
		} else if (line ~ /# SKIP/) {
			prog_skipped[cur]++; skipped++
			print line " (" cur ")"
		} else {
			prog_passed[cur]++; passed++
		}
		next
	}
	cur != "" && /^        (not )?ok [0-9]+ / { asserts[cur]++; next }
	END {
		n = split(programs, list, " ")
		for (i = 1; i <= n; i++)
			tally(list[i])
		while ((getline line < vm) > 0) {
			if (line ~ /^ok .*# SKIP/) { skipped++; vms++; print line " (vm)" }
			else if (line ~ /^ok /) { passed++; vmp++ }
			else if (line ~ /^not ok /) { failed++; vmf++; print line " (vm)" }
			else print line
		}
		printf "# %-16s %3d passed, %d failed, %d skipped\n", "vm", vmp, vmf, vms
		printf "cases: %d passed, %d failed, %d skipped\n", passed, failed, skipped
		exit failed > 0 || passed == 0
	}' "$out" | tee "$logs/verdict.txt"
