#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# coverage.sh LOGDIR MODULEDIR: the coverage report of a `make coverage`
# run. The guest printed the module's gcov counts (message_slot.gcda, all
# loads of the run added up) as base64 between "# gcov begin" and
# "# gcov end" in LOGDIR/out.log; they go beside the .gcno the build left
# in MODULEDIR, and lcov and genhtml (Debian's lcov) make of them:
#   build/coverage/index.html        the HTML report, every line's count
#   build/coverage/message_slot.info the lcov data of message_slot.c alone
#   build/coverage/summary.txt       one line: lines and branches covered
# It prints the summary and writes LOGDIR/coverage.tap, one check for
# judge.sh: line coverage at least tests/vm/coverage-min (a percentage,
# the one home of the figure CI holds the suite to).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

logs=${1:?usage: coverage.sh LOGDIR MODULEDIR}
module=${2:?usage: coverage.sh LOGDIR MODULEDIR}
need_packages lcov
out=$MS_ROOT/build/coverage
min=$(grep -v '^#' "$MS_ROOT/tests/vm/coverage-min")
tap=$logs/coverage.tap
rm -rf "$out"
mkdir -p "$out"

verdict() { # verdict OK|FAIL WHY
	if [ "$1" = OK ]; then
		echo "ok - line_coverage # $2"
	else
		echo "not ok - line_coverage # $2"
	fi >"$tap"
}

rm -f "$module/message_slot.gcda"
sed -n '/^# gcov begin /,/^# gcov end/{/^# gcov /d;p}' "$logs/out.log" |
	base64 -d >"$module/message_slot.gcda" 2>/dev/null || true
if [ ! -s "$module/message_slot.gcda" ]; then
	verdict FAIL "no gcov counts in $logs/out.log (did the guest finish?)"
	say "no gcov counts in $logs/out.log"
	exit 0
fi

rc=(--rc lcov_branch_coverage=1)
lcov --quiet "${rc[@]}" --capture --directory "$module" --gcov-tool gcov \
	--output-file "$out/all.info" >"$logs/lcov.log" 2>&1 &&
	lcov --quiet "${rc[@]}" --extract "$out/all.info" '*/message_slot.c' \
		--output-file "$out/message_slot.info" >>"$logs/lcov.log" 2>&1 &&
	genhtml --quiet "${rc[@]}" --branch-coverage --legend --title message_slot \
		--output-directory "$out" "$out/message_slot.info" >>"$logs/lcov.log" 2>&1 ||
	{
		verdict FAIL "lcov or genhtml failed: see $logs/lcov.log"
		say "lcov or genhtml failed: see $logs/lcov.log"
		exit 0
	}
rm -f "$out/all.info"

# lcov's record of the file: LH/LF lines hit/found, BRH/BRF branches.
read -r lh lf brh brf < <(awk -F: '
	{ v[$1] = $2 } END { print v["LH"] + 0, v["LF"] + 0, v["BRH"] + 0, v["BRF"] + 0 }' \
	"$out/message_slot.info")
summary=$(awk -v lh="$lh" -v lf="$lf" -v brh="$brh" -v brf="$brf" 'BEGIN {
	printf "message_slot.c: lines %.1f%% (%d of %d), branches %.1f%% (%d of %d)",
		lf ? 100 * lh / lf : 0, lh, lf, brf ? 100 * brh / brf : 0, brh, brf }')
echo "$summary" >"$out/summary.txt"
echo "coverage: $summary; report in $out/index.html"
if awk -v lh="$lh" -v lf="$lf" -v min="$min" 'BEGIN { exit !(lf > 0 && 100 * lh >= min * lf) }'; then
	verdict OK "$summary, at least $min% of lines"
else
	verdict FAIL "$summary, below tests/vm/coverage-min's $min% of lines"
fi
