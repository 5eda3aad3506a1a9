# SPDX-License-Identifier: GPL-2.0
#
# make          build message_slot.ko and the two programs
# make demo     boot a throwaway VM and show the programs at work
# make test     the whole test suite in a throwaway VM (no root needed)
#               (FLAVOUR=rt: on Debian's PREEMPT_RT kernel)
# make test-debug  the suite under lockdep, KASAN, kmemleak, UBSAN and
#               fault injection, on a debug kernel built once
# make bench    speed and memory figures, measured in the VM
# make clean
# sudo make load / sudo make unload   on a machine you can crash

# The kernel to build for: the running one, else Debian's installed headers.
DEB_KREL := $(shell tests/debian-kernel 2>/dev/null)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(if $(DEB_KREL),/usr/src/linux-headers-$(DEB_KREL)))

CC ?= cc
CFLAGS ?= -O3 -Wall -Wextra -std=c11
PROGS := message_sender message_reader
# Debian kernel flavour for make test: amd64, or rt for PREEMPT_RT.
FLAVOUR ?= amd64
NODES ?= 0 1 2 3

.PHONY: all module clean test test-debug demo bench load unload

all: module $(PROGS)

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "No kernel build tree: install linux-headers-$$(uname -r) or linux-headers-amd64, or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

$(PROGS): %: %.c message_slot.h message_slot_cli.h
	$(CC) $(CFLAGS) -o $@ $<

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f $(PROGS)
	rm -rf build

test:
	FLAVOUR=$(FLAVOUR) tests/vm.sh test

test-debug:
	MS_KERNEL=debug tests/vm.sh test

demo:
	tests/vm.sh demo

bench:
	tests/vm.sh bench

# For a machine you can afford to crash: load the module, make nodes.
load: all
	insmod message_slot.ko
	for n in $(NODES); do mknod -m 0666 /dev/message_slot$$n c 240 $$n; done

unload:
	for n in $(NODES); do rm -f /dev/message_slot$$n; done
	rmmod message_slot
