#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [debug|kcsan|coverage]: build (once) a kernel of `make
# test-debug` or `make coverage` from Debian's linux-source-6.1:
# tinyconfig, then tests/vm/vm.config (what the VM needs), then
# tests/vm/NAME.config: debug (the default: lockdep, KASAN, kmemleak,
# UBSAN, fault injection), kcsan (lockdep and KCSAN, which cannot share a
# kernel with KASAN) or coverage (debug.config's detectors, then gcov:
# coverage.config). Prints the directory of the
# built tree (bzImage at arch/x86/boot/bzImage). Cached as NAME-HASH by a
# hash of the fragments' settings and the source version: built once.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

name=${1:-debug}
fragments=("$MS_ROOT/tests/vm/vm.config")
case $name in
debug | kcsan) ;;
coverage) fragments+=("$MS_ROOT/tests/vm/debug.config") ;;
*) fail "usage: debug-kernel.sh [debug|kcsan|coverage]" ;;
esac
fragments+=("$MS_ROOT/tests/vm/$name.config")
need_packages "$MS_SOURCE_PACKAGE" xz-utils make gcc flex bison bc libelf-dev
version=$(dpkg-query -W -f='${Version}' "$MS_SOURCE_PACKAGE")
key=$( (grep -hE '^(# )?CONFIG_' "${fragments[@]}"; echo "$version") | sha256sum | cut -c1-16)
tree=$MS_CACHE/$name-$key
if [ -f "$tree/.ms-built" ]; then
	echo "$tree"
	exit 0
fi

say "building the $name kernel ($MS_SOURCE_PACKAGE $version) in $tree; once, several minutes"
rm -rf "$tree"
mkdir -p "$tree"
tar -xf "$MS_SOURCE_TARBALL" -C "$tree" --strip-components=1
cd "$tree"
make -s ARCH=x86_64 tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "${fragments[@]}" >/dev/null
make -s ARCH=x86_64 olddefconfig >&2

# Every line of the fragments must have stuck.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF "$line" .config || { say "$line did not stick"; bad=1; } ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" .config || { say "$opt is still set"; bad=1; } ;;
	esac
done < <(cat "${fragments[@]}")
[ $bad -eq 0 ] || exit 1

make -s ARCH=x86_64 -j"$(nproc)" >&2
touch .ms-built
echo "$tree"
