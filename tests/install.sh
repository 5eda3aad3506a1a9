#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# install.sh: the two install routes, as root on the build machine (the
# module is installed, not loaded: the VM tests load it).
#  1. make install DESTDIR=<stage>: list the staged tree and check it holds
#     exactly the module, the programs, the header, the udev rule and
#     depmod's indexes; make uninstall: nothing of ours is left.
#  2. make dkms-install (dkms add, build, install for the kernel of KDIR);
#     check dkms status and the installed module's version; make
#     dkms-uninstall (dkms remove --all): nothing of ours is left.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$MS_ROOT"
passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $what"
		passed=$((passed + 1))
	else
		echo "not ok - $what"
		failed=$((failed + 1))
	fi
}
[ "$(id -u)" -eq 0 ] || fail "run as root"
need_packages make gcc kmod dkms linux-headers-amd64

krel=$(ms_make_var krel)
version=$(ms_make_var version)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

make -s install DESTDIR="$stage" PREFIX=/usr >"$stage.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr succeeds" test $? -eq 0
echo "# staged tree:"
(cd "$stage" && find . -type f | LC_ALL=C sort | sed 's/^/#   /')
want="./etc/udev/rules.d/60-message_slot.rules
./lib/modules/$krel/extra/message_slot.ko
./usr/bin/message_reader
./usr/bin/message_sender
./usr/include/message_slot.h"
ours=$(cd "$stage" && find . -type f ! -name 'modules.*' | LC_ALL=C sort)
check "the staged tree holds exactly the module, the programs, the header and the udev rule" \
	test "$ours" = "$want"
check "depmod indexed the module in the staged tree" \
	grep -q 'extra/message_slot.ko:' "$stage/lib/modules/$krel/modules.dep"
check "the installed module reports version $version" \
	bash -c "modinfo -F version '$stage/lib/modules/$krel/extra/message_slot.ko' | grep -qx '$version'"
check "the udev rule gives the msgslot group the nodes" \
	grep -q 'SUBSYSTEM=="message_slot", GROUP="msgslot", MODE="0660"' "$stage/etc/udev/rules.d/60-message_slot.rules"
check "the installed programs run (--help)" "$stage/usr/bin/message_reader" --help

make -s uninstall DESTDIR="$stage" PREFIX=/usr >>"$stage.log" 2>&1
check "make uninstall succeeds" test $? -eq 0
left=$(cd "$stage" && find . -type f ! -name 'modules.*')
check "make uninstall removes everything install put there (but depmod's indexes)" test -z "$left"
check "and depmod's index no longer lists the module" \
	bash -c "! grep -q message_slot '$stage/lib/modules/$krel/modules.dep'"
rm -f "$stage.log"

make -s dkms-install >"$stage.dkms.log" 2>&1
check "make dkms-install: dkms add, build and install for $krel" test $? -eq 0
check "dkms status says installed" \
	bash -c "dkms status message_slot/$version -k '$krel' | grep -q installed"
check "the DKMS module is in /lib/modules/$krel/updates/dkms with version $version" \
	bash -c "modinfo -F version /lib/modules/$krel/updates/dkms/message_slot.ko* | grep -qx '$version'"
check "the udev rule is installed by DKMS's route too" test -f /etc/udev/rules.d/60-message_slot.rules
make -s dkms-uninstall >>"$stage.dkms.log" 2>&1
check "make dkms-uninstall: dkms remove --all" test $? -eq 0
check "nothing of ours is left: source, dkms tree, module, udev rule" \
	bash -c "! ls /usr/src/message_slot-$version /var/lib/dkms/message_slot /lib/modules/$krel/updates/dkms/message_slot.ko* /etc/udev/rules.d/60-message_slot.rules"
[ "$failed" -eq 0 ] || cat "$stage.dkms.log"
rm -f "$stage.dkms.log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
