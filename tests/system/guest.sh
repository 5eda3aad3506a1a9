#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh: the system test's checks, run as root inside the Debian 12 VM
# by ms-stage.service at every boot, from the host's 9p share /mnt/host.
# /mnt/host/stage says which boot this is; each stage prints TAP lines
# ("ok - ...", "not ok - ...", "# ..." for what the VM printed), then
# reboots into the next stage or powers off. The host (run.sh) boots the
# kernel the guest names in /mnt/host/boot/ after a reboot.
#   1  6.1: record the file list; apt install the two .debs; dkms status;
#      the group; nodes=4 in modprobe.d; the module in modules-load.d
#   2  6.1 after a reboot: module loaded at boot, nodes 0..3 root:msgslot
#      0660 from udevd; member sends and reads, non-member refused;
#      apt install the 6.12 kernel and headers: DKMS builds for it
#   3  6.12 after a reboot: module loaded, round trip; apt purge; no file
#      of ours left; every boot's journal clean
set -u
share=/mnt/host
stage=$(cat "$share/stage")
boot=$(cat "$share/boots" 2>/dev/null || echo 0)
echo $((boot + 1)) >"$share/boots"
export LC_ALL=C DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin

ok() { # ok DESCRIPTION COMMAND...: the command must succeed
	local what=$1
	shift
	if "$@" >/tmp/ms-check.out 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		sed 's/^/#   /' /tmp/ms-check.out | tail -n 30
	fi
}
show() { # show COMMAND...: print what the VM printed, as diagnostics
	echo "# \$ $*"
	"$@" 2>&1 | sed 's/^/#   /'
}
# The paths on the root filesystem, but for what changes by itself.
file_list() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \
		-o -path /tmp -o -path /var/tmp -o -path /var/log -o -path /var/cache \
		-o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/lib/systemd \
		-o -path /var/lib/ucf -o -path /var/backups -o -path /mnt/host \
		-o -path /etc/ld.so.cache \) -prune -o -print | LC_ALL=C sort
}
nodes_ok() { # the nodes 0..3, and no more, root:msgslot 0660
	[ "$(ls /dev/message_slot* | tr '\n' ' ')" = "/dev/message_slot0 /dev/message_slot1 /dev/message_slot2 /dev/message_slot3 " ] || return 1
	for n in 0 1 2 3; do
		[ "$(stat -c '%U:%G %a %F' /dev/message_slot$n)" = "root:msgslot 660 character special file" ] || return 1
	done
}
# runs USER EXPECTED_RC EXPECTED_STDERR_PART COMMAND...
runs_as() {
	local user=$1 rc=$2 err=$3 got
	shift 3
	runuser -u "$user" -- "$@" >/tmp/ms-out 2>/tmp/ms-err
	got=$?
	echo "#   $user\$ $* -> exit $got, stdout '$(cat /tmp/ms-out)', stderr '$(cat /tmp/ms-err)'"
	[ "$got" -eq "$rc" ] && { [ -z "$err" ] || grep -q "$err" /tmp/ms-err; }
}
round_trip() { # as alice (member) and bob (not)
	local msg="hello from alice on $(uname -r)"
	ok "alice (in msgslot) sends with message_sender" runs_as alice 0 "" message_sender /dev/message_slot1 5 "$msg"
	ok "alice reads it back with message_reader" sh -c "runuser -u alice -- message_reader /dev/message_slot1 5 | grep -qx '$msg'"
	ok "bob (not in msgslot): message_sender gets Permission denied, exit 1" \
		runs_as bob 1 "Permission denied" message_sender /dev/message_slot1 6 "from bob"
	ok "bob: message_reader gets Permission denied, exit 1" \
		runs_as bob 1 "Permission denied" message_reader /dev/message_slot1 5
	ok "bob stored nothing: channel 6 is empty (reader: Resource temporarily unavailable)" \
		runs_as alice 1 "Resource temporarily unavailable" message_reader /dev/message_slot1 6
	ok "bob changed nothing: channel 5 still holds alice's message" \
		sh -c "message_reader /dev/message_slot1 5 | grep -qx '$msg'"
}
boot_checks() { # every boot: the module's and units' state
	echo "# boot $((boot + 1)), stage $stage: $(uname -r)"
	ok "boot $((boot + 1)): systemd is PID 1" sh -c '[ "$(cat /proc/1/comm)" = systemd ]'
	ok "boot $((boot + 1)): no failed unit" sh -c '[ -z "$(systemctl --failed --no-legend --plain)" ] || { systemctl --failed --no-pager; false; }'
}

systemctl is-system-running --wait >/dev/null 2>&1
udevadm settle -t 60
boot_checks
echo "# the boot took $(cut -d. -f1 /proc/uptime) s to get here"

case $stage in
1)
	file_list >"$share/files-before"
	debs=$(cd "$share/debs" && ls ./*.deb | tr '\n' ' ')
	echo "# \$ apt install $debs"
	t0=$(date +%s)
	ok "apt install ./message-slot-dkms_*.deb ./message-slot-utils_*.deb" \
		sh -c "cd $share/debs && apt-get install -y --no-install-recommends $debs"
	echo "# apt install of the two .debs (DKMS build for $(uname -r) included) took $(($(date +%s) - t0)) s"
	tail -n 15 /tmp/ms-check.out | sed 's/^/#   /'
	show dkms status
	ok "dkms status: message_slot installed for the running kernel $(uname -r)" \
		sh -c "dkms status | grep -E '^message_slot/[^,]+, $(uname -r), x86_64: installed'"
	show getent group msgslot
	ok "postinst made the system group msgslot" sh -c 'gid=$(getent group msgslot | cut -d: -f3) && [ "$gid" -lt 1000 ]'
	ok "the udev rule is installed" test -f /lib/udev/rules.d/60-message_slot.rules
	ok "the module is not loaded before the reboot" sh -c '! grep -q "^message_slot " /proc/modules'
	sed -i 's/^#options message_slot nodes=4$/options message_slot nodes=4/' /etc/modprobe.d/message_slot.conf
	sed -i 's/^#message_slot$/message_slot/' /etc/modules-load.d/message_slot.conf
	show grep -v '^#' /etc/modprobe.d/message_slot.conf /etc/modules-load.d/message_slot.conf
	adduser --quiet alice msgslot
	show id alice
	show id bob
	echo 2 >"$share/stage"
	sync
	systemctl reboot
	;;
2)
	ok "after the reboot the module was loaded at boot" grep -q '^message_slot ' /proc/modules
	ok "systemd-modules-load.service, which loads modules-load.d's list, ran and succeeded" \
		sh -c '[ "$(systemctl show -P ActiveState systemd-modules-load.service)" = active ] && [ "$(systemctl show -P Result systemd-modules-load.service)" = success ]'
	ok "modprobe.d's nodes=4 applies" sh -c '[ "$(cat /sys/module/message_slot/parameters/nodes)" = 4 ]'
	show ls -l /dev/message_slot0 /dev/message_slot1 /dev/message_slot2 /dev/message_slot3
	ok "/dev/message_slot0..3 exist, and no more, as root:msgslot 0660" nodes_ok
	ok "made by the real systemd-udevd (active; the module made them 0600 root:root; udevd knows them)" \
		sh -c 'systemctl is-active -q systemd-udevd && [ "$(cat /sys/module/message_slot/parameters/mode)" = 384 ] && udevadm info -q property -n /dev/message_slot0 | grep -qx "DEVNAME=/dev/message_slot0"'
	round_trip
	echo "# \$ apt install /opt/ms-kernel/*.deb"
	t0=$(date +%s)
	ok "apt install Debian 12's 6.12 kernel and headers (.debs fetched by the host)" \
		sh -c 'cd /opt/ms-kernel && apt-get install -y --no-install-recommends ./*.deb'
	echo "# apt install of the 6.12 kernel (initramfs and DKMS build included) took $(($(date +%s) - t0)) s"
	grep -iE 'dkms|message_slot|Setting up linux-(image|headers)' /tmp/ms-check.out | sed 's/^/#   /'
	new=$(cd /opt/ms-kernel && ls linux-image-6.12.*+deb12-amd64_*.deb | sed 's/^linux-image-\([^_]*\)_.*/\1/')
	show dkms status
	ok "DKMS built and installed message_slot for $new" \
		sh -c "dkms status | grep '^message_slot/' | grep -qF ', $new, x86_64: installed'"
	mkdir -p "$share/boot"
	cp "/boot/vmlinuz-$new" "$share/boot/vmlinuz"
	cp "/boot/initrd.img-$new" "$share/boot/initrd"
	echo "$new" >"$share/boot/krel"
	echo 3 >"$share/stage"
	sync
	systemctl reboot
	;;
3)
	ok "booted the second kernel $(cat "$share/boot/krel")" sh -c "[ \"\$(uname -r)\" = '$(cat "$share/boot/krel")' ]"
	ok "the module was loaded at boot" grep -q '^message_slot ' /proc/modules
	show modinfo -F filename message_slot
	ok "it is DKMS's build for this kernel, with the packaged version" \
		sh -c 'modinfo -F filename message_slot | grep -q "^/lib/modules/$(uname -r)/updates/dkms/message_slot.ko" && [ "$(cat /sys/module/message_slot/version)" = "$(sed -n "s/^PACKAGE_VERSION=\"\(.*\)\"/\1/p" /usr/src/message_slot-*/dkms.conf)" ]'
	show ls -l /dev/message_slot0 /dev/message_slot1 /dev/message_slot2 /dev/message_slot3
	ok "/dev/message_slot0..3 are root:msgslot 0660" nodes_ok
	round_trip
	ok "the module unloads" modprobe -r message_slot
	echo "# \$ apt purge message-slot-dkms message-slot-utils"
	ok "apt purge of both packages" apt-get purge -y message-slot-dkms message-slot-utils
	grep -iE 'dkms|Purging|Removing' /tmp/ms-check.out | sed 's/^/#   /'
	file_list >"$share/files-after"
	# What the second kernel's packages brought, and what their scripts
	# made (initramfs, depmod's indexes): not ours.
	new=$(uname -r)
	# Debian 12 has merged /usr: dpkg's /lib/... are /usr/lib/... on disk.
	{
		dpkg -L $(cd /opt/ms-kernel && ls ./*.deb | sed 's|^\./\([^_]*\)_.*|\1|') 2>/dev/null
		ls -d /boot/*"$new"* /var/lib/initramfs-tools/"$new" /usr/lib/modules/"$new"/modules.* 2>/dev/null
	} | sed -E 's#^/(lib|lib64|bin|sbin)(/|$)#/usr/\1\2#' | LC_ALL=C sort -u >"$share/files-kernel"
	comm -13 "$share/files-before" "$share/files-after" | comm -23 - "$share/files-kernel" >"$share/files-new"
	# dkms's own Machine Owner Key, made by its first build: dkms's, kept
	# for the next module it signs.
	grep -vxE '/var/lib/dkms/mok\.(key|pub)' "$share/files-new" >"$share/files-left"
	show cat "$share/files-new"
	ok "apt purge left no file of ours (file lists before install and after purge)" test ! -s "$share/files-left"
	ok "nothing named message_slot, message-slot or msgslot is left on disk" \
		sh -c '! grep -E "message[_-]slot|msgslot" "'"$share"'/files-after"'
	show getent group msgslot
	echo "# kept by Debian policy: the system group msgslot (and alice's membership), as for any device group"
	# The boot ids: systemd 252 heads its list with a line "IDX BOOT ID ...".
	ids=$(journalctl --list-boots --no-pager | awk '$2 ~ /^[0-9a-f]+$/ && length($2) == 32 { print $2 }')
	nboots=$(echo "$ids" | grep -c .)
	show journalctl --list-boots --no-pager
	ok "the journal holds all $((boot + 1)) boots" test "$nboots" -eq $((boot + 1))
	for id in $ids; do
		# Not a warning: the kernel's notice that it loaded a module it
		# cannot verify (DKMS's key is not in the kernel's keyring), and
		# so marks itself tainted, as for any unsigned out-of-tree module.
		k=$(journalctl -k -b "$id" -o cat --no-pager |
			grep -vF 'message_slot: module verification failed: signature and/or required key missing - tainting kernel' |
			grep -E 'WARNING:|Oops|BUG:|Call Trace|general protection|kernel BUG|UBSAN|KASAN|lockdep|message_slot.*(error|fail)')
		ok "boot $id: kernel log has no warning, oops or BUG" test -z "$k"
		[ -z "$k" ] || echo "$k" | head -n 20 | sed 's/^/#   /'
		u=$(journalctl -b "$id" -o cat --no-pager | grep -E 'Failed to start|failed with result|Failed with result' | grep -iE 'message|dkms|modules-load|udev|ms-stage')
		ok "boot $id: no failed unit of ours (modules-load, udevd, dkms, ms-stage)" test -z "$u"
		[ -z "$u" ] || echo "$u" | head -n 20 | sed 's/^/#   /'
	done
	echo done >"$share/done"
	sync
	systemctl poweroff
	;;
esac
