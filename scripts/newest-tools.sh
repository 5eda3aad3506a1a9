#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# newest-tools.sh: make ready the static checkers of the newest supported
# kernel (the last row of scripts/kernels), whose rules move with it:
# its checkpatch.pl (with spelling.txt and const_structs.checkpatch),
# taken once from its release's linux-source-X.Y into
# $MS_CACHE/checkpatch-KREL/, and sparse, installed once in its build root
# (with the scripts/checker-valid.sh its headers package lacks).
#
# Prints shell assignments for eval:
#   checkpatch= the checkpatch.pl to run (with the host's perl)
#   release=    the build root's release (for scripts/buildroot.sh run)
#   kdir=       its headers directory, inside the root
#   cc=         its compiler
#   name=       the kernel's name in scripts/kernels
set -euo pipefail

. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
cache=$MS_CACHE
name=$(awk '!/^#/ && NF { n = $1 } END { print n }' "$here/kernels")
fetched=$(MS_NO_IMAGE=1 "$here/kernel-fetch.sh" "$name")
field() { sed -n "s/^$1=//p" <<<"$fetched"; }
release=$(field release)
krel=$(field krel)
root=$(field root)
series=$(cut -d. -f1,2 <<<"$krel")

# sparse, inside the root (it checks what the root's kbuild compiles).
if ! dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' sparse 2>/dev/null |
	grep -q "install ok installed"; then
	say "installing sparse (once) in the $release root"
	"$here/buildroot.sh" "$release" run env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends -o APT::Sandbox::User=root sparse >&2 ||
		fail "cannot install sparse in the $release root"
fi

dir=$cache/checkpatch-$krel
if [ ! -f "$dir/.ms-built" ] || [ ! -f "$dir/checker-valid.sh" ]; then
	pkg=linux-source-$series
	version=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "linux-headers-$krel")
	say "fetching $pkg $version (once) for its checkpatch.pl"
	tmp=$(mktemp -d "$cache/.checkpatch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	MS_BIND=$tmp "$here/buildroot.sh" "$release" run \
		apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >"$tmp/apt.log" 2>&1 || {
		sed 's/^/  /' "$tmp/apt.log" >&2
		fail "cannot get $pkg version $version from Debian's archive"
	}
	mkdir "$tmp/out"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -xO "./usr/src/$pkg.tar.xz" |
		tar -xJ -C "$tmp/out" --strip-components=2 "$pkg/scripts/checkpatch.pl" \
			"$pkg/scripts/spelling.txt" "$pkg/scripts/const_structs.checkpatch" \
			"$pkg/scripts/checker-valid.sh" ||
		fail "$pkg holds no scripts/checkpatch.pl"
	rm -rf "$dir"
	mv "$tmp/out" "$dir"
	touch "$dir/.ms-built"
fi

# Debian's headers lack scripts/checker-valid.sh, without which kbuild
# ignores C=1 and C=2 ("sparse is not available"): put the source's in.
common=$(sed -n 's|^include \(/usr/src/linux-headers-[^/]*-common\)/Makefile$|\1|p' \
	"$root$(field kdir)/Makefile" | head -1)
srctree=$root${common:-$(field kdir)}
if [ ! -f "$srctree/scripts/checker-valid.sh" ]; then
	install -m 0755 "$dir/checker-valid.sh" "$srctree/scripts/checker-valid.sh"
fi

printf 'checkpatch=%q\nrelease=%q\nkdir=%q\ncc=%q\nname=%q\n' \
	"$dir/checkpatch.pl" "$release" "$(field kdir)" "$(field cc)" "$name"
