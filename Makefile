# SPDX-License-Identifier: GPL-2.0
#
# make             build message_slot.ko and the two programs
# make demo        boot a throwaway VM and show the programs at work
# make test        the whole test suite in a throwaway VM (no root needed)
#                  (FLAVOUR=rt: on Debian's PREEMPT_RT kernel; KERNEL=5.10,
#                  6.1, 6.12 or 7.2: on that kernel, built with its
#                  Debian release's compiler)
# make test-matrix the suite on every supported kernel in turn
# make test-debug  the suite under lockdep, KASAN, kmemleak, UBSAN and
#                  fault injection, on a debug kernel built once
#                  (FLAVOUR=kcsan: under lockdep and strict KCSAN, on a
#                  second kernel built once)
#                  (TESTS="t8_races ...": only those test programs)
# make coverage    the debug suite on a module built with gcov, on a third
#                  kernel built once: lcov/genhtml report in build/coverage/,
#                  fails below tests/vm/coverage-min% of lines
# make bench       speed and memory figures in the VM: instructions counted
#                  on one vCPU against a no-op driver, then the two-CPU
#                  sections timed (BENCH=13: sections 1 and 3 only)
# make fuzz        10 million random operations checked against a model
#                  (SEED=N OPS=N to replay one)
# make check       static checks: checkpatch, sparse, W=1, kernel-doc,
#                  gcc -fanalyzer, cppcheck
# make deb         the Debian packages, into build/deb/ (dpkg-buildpackage,
#                  unsigned; lintian must find no error and no warning)
# make test-system the packages installed on a real Debian 12 system in a
#                  VM: systemd, udev, DKMS, reboots, a second kernel, purge
# make install / uninstall            (root; DESTDIR= and PREFIX= honoured)
# make dkms-install / dkms-uninstall  (root)
# make clean
# sudo make load / sudo make unload   on a machine you can crash
#
# The project's facts live here once; scripts ask for them with
# make print-sources, print-version, print-krel, print-cflags.

# The kernel to build for: the running one, else Debian's installed headers.
DEB_KREL := $(shell scripts/debian-kernel 2>/dev/null)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(if $(DEB_KREL),/usr/src/linux-headers-$(DEB_KREL)))
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

# What the module is built from: everything a DKMS tree needs.
MODULE_SOURCES := Kbuild dkms.conf message_slot.c message_slot.h message_slot_compat.h

# The version's one home is dkms.conf, which Kbuild reads (src is the
# directory kbuild would give it).
src := $(CURDIR)
include Kbuild
VERSION := $(MS_VERSION)

CC ?= cc
# The one set of flags for user-space code: the programs and the tests.
CFLAGS ?= -O3 -Wall -Wextra -std=c11
PROGS := message_sender message_reader
# Debian kernel flavour for make test: amd64, or rt for PREEMPT_RT.
FLAVOUR ?= amd64
NODES ?= 4

PREFIX ?= /usr/local
UDEVDIR ?= /etc/udev/rules.d
GROUP ?= msgslot
DKMS_SRC := /usr/src/message_slot-$(VERSION)
RULES := packaging/60-message_slot.rules

.PHONY: all module tests clean test test-matrix test-debug demo bench fuzz check load unload \
	coverage install uninstall dkms-install dkms-uninstall install-rules uninstall-rules \
	print-krel print-sources print-version print-cflags deb test-system

all: module $(PROGS)

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "No kernel build tree: install linux-headers-$$(uname -r) or linux-headers-amd64, or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

$(PROGS): %: %.c message_slot.h message_slot_cli.h
	$(CC) $(CFLAGS) -o $@ $<

# The programs that run in the VM: the tests, the two programs and the
# benchmark, static, into OUTPUT (tests/Makefile).
OUTPUT ?= $(CURDIR)/build/tests
tests:
	$(MAKE) -C tests CC="$(CC)" CFLAGS="$(CFLAGS)" OUTPUT="$(abspath $(OUTPUT))"

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f $(PROGS)
	rm -rf build

test:
	FLAVOUR=$(FLAVOUR) KERNEL=$(KERNEL) tests/vm/run.sh test

test-matrix:
	tests/vm/matrix.sh

test-debug:
	MS_KERNEL=$(if $(filter kcsan,$(FLAVOUR)),kcsan,debug) tests/vm/run.sh test

coverage:
	MS_KERNEL=coverage tests/vm/run.sh test

demo:
	tests/vm/run.sh demo

bench:
	tests/vm/run.sh bench

# make fuzz [SEED=N] [OPS=N]: the model-based fuzzer alone, 10 000 000
# operations by default; SEED= replays a seed that diverged.
fuzz:
	SEED=$(SEED) OPS=$(OPS) tests/vm/run.sh fuzz

check:
	KDIR=$(KDIR) scripts/check.sh

# The udev rule, with the group of the GROUP variable.
install-rules:
	install -d $(DESTDIR)$(UDEVDIR)
	sed 's/GROUP="msgslot"/GROUP="$(GROUP)"/' $(RULES) >$(DESTDIR)$(UDEVDIR)/$(notdir $(RULES))
	chmod 0644 $(DESTDIR)$(UDEVDIR)/$(notdir $(RULES))

uninstall-rules:
	rm -f $(DESTDIR)$(UDEVDIR)/$(notdir $(RULES))

# The module (kbuild's modules_install, then depmod), the programs, the
# header and the udev rule.
install: all install-rules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	depmod -b "$(or $(DESTDIR),/)" $(KREL)
	install -D -m 0755 message_sender $(DESTDIR)$(PREFIX)/bin/message_sender
	install -D -m 0755 message_reader $(DESTDIR)$(PREFIX)/bin/message_reader
	install -D -m 0644 message_slot.h $(DESTDIR)$(PREFIX)/include/message_slot.h

uninstall: uninstall-rules
	rm -f $(wildcard $(DESTDIR)/lib/modules/$(KREL)/*/message_slot.ko*)
	depmod -b "$(or $(DESTDIR),/)" $(KREL)
	rm -f $(DESTDIR)$(PREFIX)/bin/message_sender $(DESTDIR)$(PREFIX)/bin/message_reader
	rm -f $(DESTDIR)$(PREFIX)/include/message_slot.h

# DKMS rebuilds the module for every kernel installed from now on.
dkms-install: install-rules
	install -d $(DKMS_SRC)
	install -m 0644 $(MODULE_SOURCES) $(DKMS_SRC)/
	dkms add message_slot/$(VERSION)
	dkms build message_slot/$(VERSION) -k $(KREL)
	dkms install message_slot/$(VERSION) -k $(KREL)

dkms-uninstall: uninstall-rules
	dkms remove message_slot/$(VERSION) --all
	rm -rf $(DKMS_SRC)

print-krel:
	@echo $(KREL)

print-sources:
	@echo $(MODULE_SOURCES)

print-version:
	@echo $(VERSION)

print-cflags:
	@echo $(CFLAGS)

# The source package is made from the files git knows (tracked, or new and
# not ignored), copied to build/deb/message-slot-VERSION/, so that build
# products never end up in it. debian/changelog must carry dkms.conf's
# version.
DEB_DIR := build/deb
deb:
	@v=$$(dpkg-parsechangelog -S Version -l debian/changelog); \
	test "$${v%%-*}" = "$(VERSION)" || \
		{ echo "make deb: debian/changelog says $$v, dkms.conf $(VERSION): make them agree" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/message-slot-$(VERSION)
	git ls-files -z -co --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		xargs -0 cp -a --parents -t $(DEB_DIR)/message-slot-$(VERSION)
	cd $(DEB_DIR)/message-slot-$(VERSION) && dpkg-buildpackage -us -uc -j2
	lintian --fail-on error,warning \
		$(DEB_DIR)/*.dsc $(DEB_DIR)/*.deb
	@ls -1 $(DEB_DIR)/*.deb

test-system: deb
	tests/system/run.sh $(DEB_DIR)/message-slot-dkms_$(VERSION)_all.deb \
		$(DEB_DIR)/message-slot-utils_$(VERSION)_*.deb

# For a machine you can afford to crash: load the module with NODES nodes
# (/dev/message_slot0 ..), made by the module itself, open to everyone.
load: all
	insmod message_slot.ko nodes=$(NODES) mode=0666

unload:
	rmmod message_slot
