#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# repeat.sh N TARGET [VAR=VALUE...]: make TARGET N times in a row, in a
# fresh clone of this checkout's HEAD, to measure how often a suite fails
# for reasons other than the code (e.g. `scripts/repeat.sh 3 test-debug
# FLAVOUR=kcsan`). Each run's verdict line, time and log directory go to
# standard output; the logs are kept, a directory per run, under the
# clone's build/repeat/. Not for CI: a loop of whole suites takes hours.
# Ends with "N passed, N failed" over the runs; exits 1 if any failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || fail "usage: repeat.sh N TARGET [VAR=VALUE...]"
runs=$1 target=$2
shift 2
[[ $runs =~ ^[1-9][0-9]*$ ]] || fail "N must be a whole number, not $runs"
clone=$(mktemp -d "${TMPDIR:-/tmp}/ms-repeat.XXXXXX")
git -C "$MS_ROOT" clone -q "$MS_ROOT" "$clone"
say "make $target${*:+ $*} $runs times in $clone ($(git -C "$clone" log -1 --format=%h))"
passed=0
failed=0
for i in $(seq 1 "$runs"); do
	start=$SECONDS
	rc=0
	make -C "$clone" "$target" "$@" >"$clone/run-$i.log" 2>&1 || rc=$?
	verdict=$(grep -E '^cases: ' "$clone/run-$i.log" | tail -n 1 || true)
	# run.sh keeps the last run's logs only: keep each run's.
	mkdir -p "$clone/build/repeat/$i"
	for logs in "$clone"/build/vm-*/logs; do
		cp -a "$logs" "$clone/build/repeat/$i/$(basename "$(dirname "$logs")")"
	done
	outside=$(grep -h '^# [0-9]* kernel reports outside' "$clone"/build/vm-*/logs/vm.tap 2>/dev/null || true)
	echo "run $i: ${verdict:-no verdict}, exit $rc, $((SECONDS - start)) s${outside:+; ${outside#\# }}"
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		awk '/^not ok/ && ++n <= 10 { print "#   " $0 }' "$clone/run-$i.log"
	fi
	rm -rf "$clone"/build/vm-*
done
echo "logs: $clone/build/repeat"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
