#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: `make check`, the static checks. Every one must find nothing.
#  - checkpatch.pl --strict on the kernel sources (Debian ships it only
#    inside linux-source-6.1's tarball: extracted once into the cache)
#  - sparse (C=2) and W=1 through kbuild, warnings as errors
#  - the kernel-doc checker on message_slot.c
#  - gcc -fanalyzer and cppcheck on the programs and the tests
# Ends with "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${MS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/message_slot}
kdir=${KDIR:?KDIR: the kernel build tree}
tarball=/usr/src/linux-source-6.1.tar.xz
passed=0
failed=0

# check NAME COMMAND...: the command must succeed and print nothing.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1) && [ -z "$out" ]; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name"
		printf '%s\n' "$out" | sed 's/^/#   /' | head -60
		failed=$((failed + 1))
	fi
}

checkpatch=$cache/checkpatch/checkpatch.pl
if [ ! -f "$checkpatch" ]; then
	[ -r "$tarball" ] || { echo "check.sh: no $tarball: install linux-source-6.1" >&2; exit 1; }
	mkdir -p "$cache/checkpatch"
	tar -xJf "$tarball" -C "$cache/checkpatch" --strip-components=2 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi
check "checkpatch --strict: message_slot.c message_slot.h" \
	perl "$checkpatch" --strict --no-tree -q -f message_slot.c message_slot.h
# Version checks are the compat header's purpose.
check "checkpatch --strict: message_slot_compat.h (LINUX_VERSION_CODE allowed)" \
	perl "$checkpatch" --strict --no-tree -q --ignore LINUX_VERSION_CODE -f message_slot_compat.h

# kbuild with sparse and W=1 in a copy, so that the tree's build stays.
build=$root/build/check
rm -rf "$build"
mkdir -p "$build"
cp message_slot.[ch] message_slot_compat.h Kbuild dkms.conf "$build/"
sparse_build() {
	make -s -C "$kdir" M="$build" C=2 W=1 KCFLAGS=-Werror modules 2>&1 |
		grep -v -e '^Skipping BTF generation' -e '^  '
	return "${PIPESTATUS[0]}"
}
check "kbuild W=1 -Werror and sparse C=2" sparse_build

kernel_doc() {
	local out rc
	out=$("$kdir/scripts/kernel-doc" -none -v -Werror message_slot.c 2>&1)
	rc=$?
	grep -v ': info: ' <<<"$out"
	return $rc
}
check "kernel-doc -v -Werror: message_slot.c" kernel_doc

user_sources=(message_sender.c message_reader.c tests/*.c)
analyze() {
	local f
	for f in "${user_sources[@]}"; do
		gcc -fanalyzer -std=c11 -Wall -Wextra -Werror -O2 -pthread -c "$f" -o /dev/null || return 1
	done
}
check "gcc -fanalyzer: programs and tests" analyze
check "cppcheck: programs and tests" \
	cppcheck -q --error-exitcode=1 --enable=warning,portability,performance \
	--std=c11 --inline-suppr "${user_sources[@]}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
