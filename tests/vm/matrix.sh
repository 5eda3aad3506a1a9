#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# matrix.sh: make test-matrix. The whole suite on every supported kernel of
# scripts/kernels in turn (run.sh test with KERNEL=NAME), whatever the
# others gave; then one line per kernel and the total. Exits 1 if any
# kernel failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"

names=$(awk '!/^#/ && NF { print $1 }' "$MS_ROOT/scripts/kernels")
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
passed=0 failed=0 skipped=0 bad=0
for name in $names; do
	say "=== KERNEL=$name"
	start=$(date +%s)
	KERNEL=$name FLAVOUR=amd64 "$here/run.sh" test
	rc=$?
	verdict=$MS_ROOT/build/vm-$name-amd64/logs/verdict.txt
	line=$(grep -E '^cases: [0-9]+ passed' "$verdict" 2>/dev/null | tail -n 1)
	krel=$(sed -n "s/^KRELEASE='\(.*\)'$/\1/p" "$MS_ROOT/build/vm-$name-amd64/logs/run.env" 2>/dev/null)
	if [ -z "$line" ]; then
		line="cases: 0 passed, 1 failed, 0 skipped"
		krel="${krel:-no verdict}"
	fi
	set -- ${line#cases: }
	passed=$((passed + $1)) failed=$((failed + $3)) skipped=$((skipped + $5))
	[ "$rc" -eq 0 ] && [ "$3" -eq 0 ] || bad=1
	printf '%-5s %-44s %s (%ss)\n' "$name" "$krel" "$line" $(($(date +%s) - start)) >>"$summary"
done
echo "# test-matrix:"
sed 's/^/#   /' "$summary"
echo "cases: $passed passed, $failed failed, $skipped skipped"
[ "$bad" -eq 0 ]
