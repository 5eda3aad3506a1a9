#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: build (once) the debug kernel of `make test-debug` from
# Debian's linux-source-6.1: tinyconfig plus tests/vm/debug.config. Prints
# the directory of the built tree (bzImage at arch/x86/boot/bzImage).
# Cached under the cache directory by a hash of the fragment's settings and
# the source version, so it is built once.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

fragment=$MS_ROOT/tests/vm/debug.config
need_packages "$MS_SOURCE_PACKAGE" xz-utils make gcc flex bison bc libelf-dev
version=$(dpkg-query -W -f='${Version}' "$MS_SOURCE_PACKAGE")
key=$( (grep -E '^(# )?CONFIG_' "$fragment"; echo "$version") | sha256sum | cut -c1-16)
tree=$MS_CACHE/debug-$key
if [ -f "$tree/.ms-built" ]; then
	echo "$tree"
	exit 0
fi

say "building the debug kernel ($MS_SOURCE_PACKAGE $version) in $tree; once, several minutes"
rm -rf "$tree"
mkdir -p "$tree"
tar -xf "$MS_SOURCE_TARBALL" -C "$tree" --strip-components=1
cd "$tree"
make -s ARCH=x86_64 tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
make -s ARCH=x86_64 olddefconfig >&2

# Every line of the fragment must have stuck.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF "$line" .config || { say "$line did not stick"; bad=1; } ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" .config || { say "$opt is still set"; bad=1; } ;;
	esac
done <"$fragment"
[ $bad -eq 0 ] || exit 1

make -s ARCH=x86_64 -j"$(nproc)" >&2
touch .ms-built
echo "$tree"
