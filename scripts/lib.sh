# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh: what the project's scripts share. Source it; it sets
#   MS_ROOT     the repository
#   MS_CACHE    where fetched kernels, built kernels and tools are kept
#               (MS_CACHE, else ~/.cache/message_slot)
#   MS_SOURCE_TARBALL  Debian's kernel source tree (linux-source-6.1)
# and defines say, fail, ms_make_var, ms_debian_mirror, ms_debian_sources
# and need_packages.

MS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MS_CACHE=${MS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/message_slot}
MS_SOURCE_PACKAGE=linux-source-6.1
MS_SOURCE_TARBALL=/usr/src/$MS_SOURCE_PACKAGE.tar.xz
ms_prog=$(basename "$0")

# say MESSAGE: a progress line on stderr.
say() { printf '%s: %s\n' "$ms_prog" "$*" >&2; }

# fail MESSAGE: say it and exit 1.
fail() {
	say "$*"
	exit 1
}

# ms_make_var NAME: a fact the Makefile holds (make print-NAME).
ms_make_var() {
	make -s --no-print-directory -C "$MS_ROOT" "print-$1"
}

# need_packages PKG...: install the missing ones (root) or say how.
need_packages() {
	local p missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		fail "missing Debian packages; run: sudo apt-get install -y --no-install-recommends$missing"
	fi
	say "installing$missing"
	apt-get update -qq >&2
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 ||
		fail "apt-get install$missing failed"
}

# ms_debian_mirror: Debian's archive, as the host's apt sources name it
# (MS_MIRROR=URL overrides it).
ms_debian_mirror() {
	local mirror=${MS_MIRROR:-$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null |
		grep -m1 '/debian/$')}
	mirror=${mirror%/}
	[ -n "$mirror" ] || fail "no Debian archive in the host's apt sources: set MS_MIRROR"
	echo "$mirror"
}

# ms_debian_sources MIRROR RELEASE: the apt source lines of a release, one
# a line: the release, its updates suite and its security suite (which
# hold its newest kernel) where it has them.
ms_debian_sources() {
	local mirror=$1 release=$2
	echo "deb $mirror $release main"
	case $release in
	bullseye | bookworm) echo "deb $mirror $release-updates main" ;;
	esac
	case $release in
	bullseye | bookworm | trixie) echo "deb ${mirror%/debian}/debian-security $release-security main" ;;
	esac
}
