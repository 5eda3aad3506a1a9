#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: `make check`, the static checks. Every one must find nothing.
#  - checkpatch.pl --strict on the kernel sources (Debian ships it only
#    inside linux-source-6.1's tarball: extracted once into the cache)
#  - sparse (C=2) and W=1 through kbuild, warnings as errors
#  - both again with the newest supported kernel's checkpatch.pl, sparse,
#    headers and compiler, in its Debian release's build root
#  - the kernel-doc checker on message_slot.c
#  - gcc -fanalyzer (the programs' own CFLAGS, through make tests) and
#    cppcheck on the programs, the tests and the benchmark
#  - mandoc -T lint and groff -ww on the man pages; message_slot(4) against
#    the contract (tests/man-contract.sh); debian/changelog's version
#    against dkms.conf's
#  - tests/vm/judge-test.sh: the VM verdict on made-up kernel reports
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MS_ROOT"
kdir=${KDIR:?KDIR: the kernel build tree}
need_packages "$MS_SOURCE_PACKAGE" xz-utils sparse cppcheck perl gcc gcc-multilib make \
	mandoc groff-base dpkg-dev
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

checkpatch=$MS_CACHE/checkpatch/checkpatch.pl
if [ ! -f "$checkpatch" ]; then
	mkdir -p "$MS_CACHE/checkpatch"
	tar -xJf "$MS_SOURCE_TARBALL" -C "$MS_CACHE/checkpatch" --strip-components=2 \
		"$MS_SOURCE_PACKAGE/scripts/checkpatch.pl" "$MS_SOURCE_PACKAGE/scripts/spelling.txt" \
		"$MS_SOURCE_PACKAGE/scripts/const_structs.checkpatch" ||
		fail "cannot extract checkpatch.pl from $MS_SOURCE_TARBALL"
fi
check "checkpatch --strict: message_slot.c message_slot.h" \
	perl "$checkpatch" --strict --no-tree -q -f message_slot.c message_slot.h
# Version checks are the compat header's purpose.
check "checkpatch --strict: message_slot_compat.h (LINUX_VERSION_CODE allowed)" \
	perl "$checkpatch" --strict --no-tree -q --ignore LINUX_VERSION_CODE -f message_slot_compat.h

# kbuild with sparse and W=1 in a copy, so that the tree's build stays.
build=$MS_ROOT/build/check
rm -rf "$build"
mkdir -p "$build/module"
# shellcheck disable=SC2046 # a list of file names
cp $(ms_make_var sources) "$build/module/"
sparse_build() {
	make -s -C "$kdir" M="$build/module" C=2 W=1 KCFLAGS=-Werror modules 2>&1 |
		grep -v -e '^Skipping BTF generation' -e '^  '
	return "${PIPESTATUS[0]}"
}
check "kbuild W=1 -Werror and sparse C=2" sparse_build

# make bench's floor, bench/ms_noop.c: kernel code too.
check "checkpatch --strict: bench/ms_noop.c" \
	perl "$checkpatch" --strict --no-tree -q -f bench/ms_noop.c
noop_build() {
	mkdir -p "$build/noop"
	cp bench/Kbuild bench/ms_noop.c "$build/noop/"
	make -s -C "$kdir" M="$build/noop" C=2 W=1 KCFLAGS=-Werror modules 2>&1 |
		grep -v -e '^Skipping BTF generation' -e '^  '
	return "${PIPESTATUS[0]}"
}
check "kbuild W=1 -Werror and sparse C=2: bench/ms_noop.c" noop_build

kernel_doc() {
	local out rc
	out=$("$kdir/scripts/kernel-doc" -none -v -Werror message_slot.c 2>&1)
	rc=$?
	grep -v ': info: ' <<<"$out"
	return $rc
}
check "kernel-doc -v -Werror: message_slot.c" kernel_doc

# The same with the newest supported kernel's checkpatch, sparse, headers
# and compiler (scripts/newest-tools.sh), built in its release's root:
# their rules move on.
if newest=$("$MS_ROOT/scripts/newest-tools.sh"); then
	# Its own names: check() has a local "name".
	nfield() { sed -n "s/^$1=//p" <<<"$newest"; }
	nname=$(nfield name)
	nbuild=$build/$nname
	check "checkpatch --strict ($nname): message_slot.c message_slot.h" \
		perl "$(nfield checkpatch)" --strict --no-tree -q -f message_slot.c message_slot.h
	check "checkpatch --strict ($nname): message_slot_compat.h (LINUX_VERSION_CODE allowed)" \
		perl "$(nfield checkpatch)" --strict --no-tree -q --ignore LINUX_VERSION_CODE \
		-f message_slot_compat.h
	mkdir -p "$nbuild"
	# shellcheck disable=SC2046 # a list of file names
	cp $(ms_make_var sources) "$nbuild/"
	newest_build() {
		MS_BIND=$nbuild "$MS_ROOT/scripts/buildroot.sh" "$(nfield release)" run \
			make -s -C "$(nfield kdir)" M="$nbuild" CC="$(nfield cc)" C=2 W=1 \
			KCFLAGS=-Werror modules 2>&1 |
			grep -v -e '^Skipping BTF generation' -e '^  '
		return "${PIPESTATUS[0]}"
	}
	check "kbuild W=1 -Werror and sparse C=2 ($nname, $(nfield cc))" newest_build
else
	check "the newest kernel's checkpatch and sparse (scripts/newest-tools.sh)" false
fi

analyze() {
	make -s --no-print-directory tests OUTPUT="$build/analyzer" \
		CFLAGS="$(ms_make_var cflags) -fanalyzer -Werror"
}
check "gcc -fanalyzer: programs, tests and benchmark (make tests)" analyze
check "cppcheck: programs, tests and benchmark" \
	cppcheck -q --error-exitcode=1 --enable=warning,portability,performance \
	--std=c11 --inline-suppr message_sender.c message_reader.c tests/*.c bench/*.c

# The man pages: mandoc's lint (every level) and groff's warnings.
man_pages=(docs/man/message_sender.1 docs/man/message_reader.1 docs/man/message_slot.4)
check "mandoc -T lint: ${man_pages[*]}" mandoc -T lint "${man_pages[@]}"
groff_lint() {
	local f
	for f in "${man_pages[@]}"; do
		groff -ww -z -man "$f" || return 1
	done
}
check "groff -ww: the man pages" groff_lint
check "message_slot(4) agrees with the contract (tests/man-contract.sh)" tests/man-contract.sh

# The VM runs' verdict on kernel reports: which involve the module.
check "judge.sh on made-up kernel reports (tests/vm/judge-test.sh)" tests/vm/judge-test.sh

# The version's one home is dkms.conf; debian/changelog must say the same.
version_agrees() {
	local conf deb
	conf=$(ms_make_var version)
	deb=$(dpkg-parsechangelog -S Version -l debian/changelog)
	[ "$conf" = "${deb%%-*}" ] || echo "dkms.conf says $conf, debian/changelog $deb"
}
check "debian/changelog's version is dkms.conf's" version_agrees

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
