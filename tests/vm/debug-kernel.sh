#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: build (once) the debug kernel of `make test-debug` from
# Debian's linux-source-6.1: tinyconfig plus tests/debug.config. Prints the
# directory of the built tree (bzImage at arch/x86/boot/bzImage). Cached
# under ~/.cache/message_slot/ by a hash of the fragment and the source
# version, so it is built once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${MS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/message_slot}
fragment=$root/tests/debug.config
tarball=/usr/src/linux-source-6.1.tar.xz

say() { printf '%s\n' "$*" >&2; }
[ -r "$tarball" ] || { say "debug-kernel.sh: no $tarball: install linux-source-6.1"; exit 1; }
version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( (cat "$fragment"; echo "$version") | sha256sum | cut -c1-16)
tree=$cache/debug-$key
if [ -f "$tree/.ms-built" ]; then
	echo "$tree"
	exit 0
fi

say "debug-kernel.sh: building the debug kernel (linux-source $version) in $tree; once, several minutes"
rm -rf "$tree"
mkdir -p "$tree"
tar -xf "$tarball" -C "$tree" --strip-components=1
cd "$tree"
make -s ARCH=x86_64 tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
make -s ARCH=x86_64 olddefconfig >&2

# Every line of the fragment must have stuck.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF "$line" .config || { say "debug-kernel.sh: $line did not stick"; bad=1; } ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" .config || { say "debug-kernel.sh: $opt is still set"; bad=1; } ;;
	esac
done <"$fragment"
[ $bad -eq 0 ] || exit 1

make -s ARCH=x86_64 -j"$(nproc)" >&2
touch .ms-built
echo "$tree"
