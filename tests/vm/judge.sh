#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# judge.sh LOGDIR: the verdict on a VM run, from its logs alone, so that it
# can be run again on a saved log directory and give the same answer.
#
# It counts test cases, one kind of thing: the cases of every test program
# (nested under the program's KTAP result in out.log) and the run's own
# checks, the cases of "vm": the module built with no warning, the guest
# ran to the end, rmmod, no kernel report involving the module (and no
# panic) in the console or dmesg; on the debug kernel no kmemleak leak of
# the module's; on the KCSAN kernel KCSAN was on and set watchpoints
# (kmemleak skipped: it has none); on both, lockdep still on; under make
# coverage, line coverage at its floor (coverage.sh's check). Reports and
# leaks of the kernel's own are listed and counted, not failed. A program that
# did not finish, or failed with no failed case (its runner crashed or hit
# the program's time limit), counts as one failed case of its own.
# Ends with "cases: N passed, N failed, N skipped"; exits 1 on any failure.
#
# LOGDIR holds run.env (MODE, KERNEL, COVERAGE, PROGRAMS, TIMEOUT), build.log,
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

# Kernel reports, in the console (every message of level warning or worse:
# boot.sh's loglevel=5) and in the final dmesg. Each report is judged by
# whether it involves the module: a frame of message_slot ("[message_slot]",
# or an address in the modules' area that no longer has a symbol, as after
# rmmod: message_slot is the only module the VM ever loads) anywhere in it,
# in either stack of a KCSAN report, in the allocation and free stacks of a
# KASAN report, in the lock chains of a lockdep report. A report that
# involves the module fails the run, and so does a panic, whoever caused it;
# any other report is the kernel's own (KCSAN's strict mode finds benign
# races in it now and then), listed and counted in reports.log and in the
# verdict, and no failure. docs/testing.md says how each detector is judged.
# Not kmemleak's "N new suspected memory leaks": it scans only when asked
# (guest-init), and what each scan found is judged object by object
# (kmemleak_no_leak below; t5_faults after its walk over module loads).
sed -n '/^# dmesg begin/,/^# dmesg end/p' "$out" >"$logs/dmesg.log"
# The first line of a report.
pattern='WARNING:|BUG:|BUG |Oops|Kernel panic|kernel BUG|general protection|Call Trace|soft lockup|hard LOCKUP|rcu_.*stall|self-detected stall|KASAN|KCSAN|UBSAN|possible recursive locking|circular locking|lockdep is turned off|list_add corruption|list_del corruption|scheduling while atomic|sleeping function called|refcount_t:|Hardware Error|hung_task|blocked for more than'
# A frame or an address of the module: its name, or an address in the
# modules' area (0xffffffffa0000000 up to 0xffffffffff000000) printed
# without a symbol.
ms_module_re='\[message_slot\]|0xffffffff([a-e][0-9a-f]|f[0-e])[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]([^0-9a-f]|$)'
# classify_reports FILE...: a line per report, "KIND<tab>FILE:LINE<tab>its
# first line", KIND being module, panic or outside. A report runs from its
# first line to its end: the closing "=====" bar of one that a bar opened
# (KASAN, KCSAN, UBSAN), the "</TASK>" of its stack dump (WARN, BUG, a
# lockdep report after its "stack backtrace:", stalls), "---[ end trace",
# or 400 lines. One stack dump is no report: the kernel's own account of a
# failure that t5_faults injects on purpose, that it could not create our
# channel cache (a warning line, then dump_stack() up to its </TASK>).
# Inside it only the frames are passed over; any report's first line in it
# still counts.
classify_reports() {
	awk -v pattern="$pattern" -v module="$ms_module_re" '
	function flush() {
		if (inrep)
			printf "%s\t%s:%d\t%s\n", panic ? "panic" : (mod ? "module" : "outside"),
			       FILENAME, first, text
		inrep = 0
	}
	FNR == 1 { flush(); dump = 0; prev = "" }
	{ line = $0; sub(/^\[ *[0-9]+\.[0-9]+\] /, "", line) }
	inrep {
		n++
		if (line ~ module) mod = 1
		if (line ~ /Kernel panic/) panic = 1
		if (line ~ /^stack backtrace:/) backtrace = 1
		if (line ~ /^-+\[ end trace/ || (bar && line ~ /^====================/) ||
		    ((!bar || backtrace) && line ~ /<\/TASK>$/) || n >= 400)
			flush()
		prev = line
		next
	}
	!dump && line ~ /kmem_cache_create(_usercopy)?\(message_slot_channel\) failed with error -[0-9]+$/ {
		dump = 1
		next
	}
	dump && line !~ pattern || dump && line ~ /Call Trace:$/ {
		if (line ~ /<\/TASK>$/)
			dump = 0
		prev = line
		next
	}
	line ~ pattern {
		dump = 0
		inrep = 1; first = FNR; text = line; n = 0; backtrace = 0
		mod = line ~ module
		panic = line ~ /Kernel panic/
		bar = prev ~ /^====================/
	}
	{ prev = line }
	END { flush() }' "$@"
}
classify_reports "$logs/console.log" "$logs/dmesg.log" >"$logs/reports.log"
ours=$(grep -cv '^outside' "$logs/reports.log" || true)
if [ "$ours" -gt 0 ]; then
	check FAIL no_module_reports "$ours reports involve the module or are a panic: see $logs/reports.log"
	# The first 20; awk reads to the end, as head would not: under
	# pipefail, grep killed by SIGPIPE would end the judge with no verdict.
	awk '!/^outside/ && ++n <= 20 { print "#   " $0 }' "$logs/reports.log" >>"$vm"
else
	check OK no_module_reports
fi
# The kernel's own: counted in the console, which holds them all (the
# final dmesg repeats them, when the guest got that far).
outside=$(grep -c "^outside	$logs/console.log:" "$logs/reports.log" || true)
if [ "$outside" -gt 0 ]; then
	echo "# $outside kernel reports outside the module in the console (no failure): see $logs/reports.log" >>"$vm"
	awk -F '\t' -v src="$logs/console.log:" '$1 == "outside" && index($2, src) == 1 && ++n <= 10 { print "#   " $0 }' \
		"$logs/reports.log" >>"$vm"
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
	# Each unreferenced object is the module's when a frame of its
	# allocation's backtrace is (after rmmod, an address without a symbol
	# in the modules' area); any other is the kernel's own, listed.
	sed -n '/^# kmemleak begin/,/^# kmemleak end/p' "$out" >"$logs/kmemleak.log"
	read -r leaks kernels < <(awk -v module="$ms_module_re" '
		function flush() { if (obj) { if (mod) m++; else k++ } obj = mod = 0 }
		/unreferenced object/ { flush(); obj = 1 }
		obj && $0 ~ module { mod = 1 }
		END { flush(); print m + 0, k + 0 }' "$logs/kmemleak.log")
	if ! grep -q '^# kmemleak end' "$logs/kmemleak.log"; then
		check FAIL kmemleak_no_leak "kmemleak's report did not come: see $logs/kmemleak.log"
	elif [ "$leaks" -gt 0 ]; then
		check FAIL kmemleak_no_leak "$leaks unreferenced objects of the module: see $logs/kmemleak.log"
	else
		check OK kmemleak_no_leak
	fi
	[ "$kernels" -eq 0 ] ||
		echo "# $kernels unreferenced objects outside the module (no failure): see $logs/kmemleak.log" >>"$vm"
fi
# Lockdep turns itself off after its first report, and after any report
# that taints the kernel (KASAN's, for one). Off after a report of the
# kernel's own alone, it checked the rest of the run no more: skipped,
# with the reason, neither passed nor failed.
if [ "$KERNEL" != stock ]; then
	if grep -q '^# debug_locks: 1$' "$out"; then
		check OK lockdep_still_on
	elif [ "$ours" -eq 0 ] && [ "$outside" -gt 0 ]; then
		check SKIP lockdep_still_on "lockdep turned itself off after a report outside the module: see $logs/reports.log"
	else
		check FAIL lockdep_still_on "debug_locks is not 1: lockdep reported something"
	fi
fi

if [ -n "${COVERAGE:-}" ]; then
	if [ -s "$logs/coverage.tap" ]; then
		cat "$logs/coverage.tap" >>"$vm"
	else
		check FAIL line_coverage "coverage.sh left no verdict in $logs/coverage.tap"
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
