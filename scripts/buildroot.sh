#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# buildroot.sh RELEASE               make (once) and print a build root
# buildroot.sh RELEASE run CMD...    run CMD inside it
#
# A build root is a minimal Debian RELEASE (bullseye, bookworm, trixie or
# sid) made by mmdebstrap --variant=apt from Debian's archive, holding that
# release's compiler, make, libc6-dev, perl, libelf-dev and the kernel
# headers of its default kernel (linux-headers-amd64), and for trixie and
# sid of its PREEMPT_RT kernel (linux-headers-rt-amd64); each pulls the
# gcc-N its kernel was built with.
# It is kept in $MS_CACHE/root-RELEASE-KEY/, KEY a hash of what went into
# it, and made again only when that changes or MS_REFRESH=1 is set.
#
# `run` mounts /proc (objtool needs it) and /dev, bind-mounts the current
# directory (or MS_BIND=DIR) at the same path inside, and runs CMD there
# as root of the root. No root is needed where the host allows
# unprivileged user namespaces: the root is made with mmdebstrap's unshare
# mode and entered with unshare -r; elsewhere run this as root.
#
# Environment:
#   MS_CACHE=DIR     where roots are kept (~/.cache/message_slot)
#   MS_MIRROR=URL    Debian's archive (default: the one the host's apt uses)
#   MS_REFRESH=1     make the root again (e.g. once the archive moved on)
#   MS_BIND=DIR      with run: the directory to bind (default: $PWD)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

releases="bullseye bookworm trixie sid"
release=${1:-}
case " $releases " in
*" $release "*) [ -n "$release" ] ;;
*) false ;;
esac || fail "usage: $0 RELEASE [run CMD...]; RELEASE is one of: $releases"
shift

cache=$MS_CACHE
mirror=$(ms_debian_mirror)
packages="gcc make libc6-dev perl libelf-dev bc linux-headers-amd64"
# The PREEMPT_RT kernels the suite boots: 6.12 (trixie) and 7.2 (sid).
case $release in
trixie | sid) packages="$packages linux-headers-rt-amd64" ;;
esac
# Bump when the way a root is made changes.
recipe=1
key=$(printf '%s\n' "$recipe" "$release" "$mirror" "$packages" | sha256sum | cut -c1-12)
dir=$cache/root-$release-$key

# How to make and enter a root: as root directly, else in a user namespace.
if [ "$(id -u)" -eq 0 ]; then
	mode=root
elif unshare -r true 2>/dev/null; then
	mode=unshare
else
	fail "this host allows no unprivileged user namespaces: run as root"
fi

make_root() {
	local tmp opts=()
	command -v mmdebstrap >/dev/null ||
		fail "mmdebstrap missing: run as root: apt-get install -y --no-install-recommends mmdebstrap"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.root-$release.XXXXXX")
	# sid's (and an old release's) index may be past its Valid-Until.
	opts=(--variant=apt --include="${packages// /,}"
		--aptopt='Acquire::Check-Valid-Until "false"'
		--aptopt='APT::Install-Recommends "false"'
		--skip=cleanup/apt/lists)
	local sources
	mapfile -t sources < <(ms_debian_sources "$mirror" "$release")
	say "making the $release build root (once) in $dir"
	if [ "$mode" = unshare ] && ! { command -v newuidmap >/dev/null &&
		grep -q "^\($(id -un)\|$(id -u)\):" /etc/subuid 2>/dev/null; }; then
		rm -rf "$tmp"
		fail "mmdebstrap's unshare mode needs newuidmap (package uidmap) and a range for $(id -un) in /etc/subuid and /etc/subgid; without them, run this as root"
	fi
	if [ "$mode" = root ]; then
		mmdebstrap --mode=root "${opts[@]}" "$release" "$tmp/root" "${sources[@]}" >&2 ||
			{ rm -rf "$tmp"; fail "mmdebstrap $release failed (see above)"; }
	else
		# In unshare mode a directory would be owned by sub-uids; a tarball
		# unpacked by this user is owned by this user, and root inside.
		mmdebstrap --mode=unshare "${opts[@]}" "$release" "$tmp/root.tar" "${sources[@]}" >&2 ||
			{ rm -rf "$tmp"; fail "mmdebstrap $release failed (see above)"; }
		mkdir "$tmp/root"
		tar -xf "$tmp/root.tar" -C "$tmp/root" --no-same-owner --exclude='./dev/*'
		rm -f "$tmp/root.tar"
	fi
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rmdir "$tmp"
	touch "$dir/.ms-built"
}

if [ ! -e "$dir/.ms-built" ] || [ "${MS_REFRESH:-}" = 1 ]; then
	make_root
fi

if [ "${1:-}" != run ]; then
	echo "$dir"
	exit 0
fi
shift
[ $# -gt 0 ] || fail "usage: $0 RELEASE run CMD..."
bind=$(cd "${MS_BIND:-$PWD}" && pwd)

# Inside new mount and pid namespaces: /proc, /dev and the bound
# directory, then chroot. Nothing is left mounted afterwards.
enter='
	set -e
	dir=$1 bind=$2
	shift 2
	mount -t proc proc "$dir/proc"
	mount --rbind /dev "$dir/dev"
	mkdir -p "$dir$bind"
	mount --bind "$bind" "$dir$bind"
	cd "$dir$bind"
	exec chroot "$dir" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$bind" "$@"
'
args=(--mount --pid --fork --propagation private)
[ "$mode" = unshare ] && args=(--map-root-user "${args[@]}")
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 TERM=dumb \
	unshare "${args[@]}" /bin/sh -c "$enter" enter "$dir" "$bind" "$@"
