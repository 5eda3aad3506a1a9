#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# coverage.sh LOGDIR MODULEDIR OUTDIR: what `make coverage` reports after
# its run (run.sh with MS_KERNEL=coverage). The guest printed the module's
# gcov counts (message_slot.gcda, base64, between "# gcov begin" and
# "# gcov end" in LOGDIR/out.log): the counts of every load of the suite,
# as gcov keeps an unloaded module's counts and adds each later load's.
# Beside the .gcno of MODULEDIR's build they make lcov's tracefile of
# message_slot.c, and genhtml its pages in OUTDIR (index.html). Prints
#   lines: X% (a of b), branches: Y% (c of d)
# and fails if line coverage is below tests/vm/coverage-min, the one home of
# the threshold (a percentage).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ $# -eq 3 ] || fail "usage: coverage.sh LOGDIR MODULEDIR OUTDIR"
logs=$1 mod=$2 out=$3
need_packages lcov

gcda=$mod/message_slot.gcda
awk '/^# gcov begin message_slot\.gcda$/ { on = 1; next } /^# gcov end$/ { on = 0 } on' \
	"$logs/out.log" | base64 -d >"$gcda" ||
	fail "the guest's gcov counts in $logs/out.log do not decode"
[ -s "$gcda" ] || fail "no gcov counts of message_slot in $logs/out.log: the guest printed none"

rm -rf "$out"
mkdir -p "$out"
rc=(--rc lcov_branch_coverage=1)
# lcov 1.16's geninfo warns about its own Perl on every run: not ours.
quiet() { "$@" 2> >(grep -v '^Subroutine .* redefined at' >&2) >&2; }
# The module is built from a copy of message_slot.c: name the original.
quiet lcov -q "${rc[@]}" --capture --directory "$mod" --output-file "$out/all.info"
quiet lcov -q "${rc[@]}" --extract "$out/all.info" '*/message_slot.c' --output-file "$out/copy.info"
sed "s|^SF:.*/message_slot\.c$|SF:$MS_ROOT/message_slot.c|" "$out/copy.info" >"$out/message_slot.info"
rm -f "$out/all.info" "$out/copy.info"
quiet genhtml -q "${rc[@]}" --branch-coverage --legend --title "message_slot: make coverage" \
	--output-directory "$out" "$out/message_slot.info"

# LH/LF and BRH/BRF: lines and branches hit, and found.
read -r lh lf brh brf < <(awk -F: '
	$1 == "LH" { lh += $2 } $1 == "LF" { lf += $2 }
	$1 == "BRH" { bh += $2 } $1 == "BRF" { bf += $2 }
	END { print lh + 0, lf + 0, bh + 0, bf + 0 }' "$out/message_slot.info")
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
summary="lines: $(pct "$lh" "$lf")% ($lh of $lf), branches: $(pct "$brh" "$brf")% ($brh of $brf)"
echo "$summary" | tee "$out/summary.txt"
echo "coverage: the report of message_slot.c is $out/index.html"

min=$(cat "$MS_ROOT/tests/vm/coverage-min")
if awk -v h="$lh" -v f="$lf" -v m="$min" 'BEGIN { exit !(f > 0 && 100 * h >= m * f) }'; then
	echo "coverage: line coverage is at least $min% (tests/vm/coverage-min)"
else
	echo "coverage: line coverage $(pct "$lh" "$lf")% is below $min% (tests/vm/coverage-min)"
	exit 1
fi
