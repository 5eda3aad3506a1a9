// SPDX-License-Identifier: GPL-2.0
/*
 * t9_module.c - the module's life: rmmod refused while a file is open,
 * messages gone after a reload, unload/reload cycles, every byte freed
 * on unload, the major parameter and a failing init unwound.
 *
 * Runs last: it unloads and reloads the module the other tests used, and
 * leaves it loaded as it found it.
 */
#define _GNU_SOURCE

#include <sys/klog.h>

#include "common.h"

#define CYCLES 5
#define SLAB_CHANNELS 100000u

/* 1 if the kernel log holds @needle. */
static int klog_has(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);

	if (n <= 0 || n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, n);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* The major /proc/devices lists for the module, or -1. */
static int registered_major(void)
{
	char line[128], name[64];
	int major, found = -1;
	FILE *f = fopen("/proc/devices", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Block", 5) == 0)
			break;
		if (sscanf(line, "%d %63s", &major, name) == 2 &&
		    strcmp(name, MSG_SLOT_DEVICE_NAME) == 0)
			found = major;
	}
	fclose(f);
	return found;
}

/* Slab: in /proc/meminfo after asking every cache to give back empty slabs. */
static long slab_kb(void)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	if (system("for s in /sys/kernel/slab/*/shrink; do echo 1 > $s; done 2>/dev/null") != 0)
		tap_diag("could not shrink every slab cache");
	return meminfo_kb("Slab:");
}

static void test_refused_while_open(void)
{
	unsigned char b[16];
	int fd = must_open_chan(0, 1);

	is_int(write(fd, "before reload", 13), 13, "a message before unloading");
	is_errno(module_unload(), EWOULDBLOCK, "rmmod while a file is open: refused (EWOULDBLOCK)");
	is_int(read(fd, b, sizeof(b)), 13, "the open file still works after the refused rmmod");
	close(fd);
	is_int(module_unload(), 0, "rmmod once every file is closed");
	is_errno(open(slot_path(0), O_RDWR), ENXIO, "with the module gone, opening a slot: ENXIO");
	is_int(registered_major(), -1, "and /proc/devices no longer lists message_slot");

	is_int(module_load(""), 0, "insmod again");
	fd = must_open_chan(0, 1);
	is_errno(read(fd, b, sizeof(b)), EWOULDBLOCK, "after a reload the old message is gone");
	close(fd);
}

static void test_cycles(void)
{
	unsigned int i, gone = 0, fail = 0;
	unsigned char b[16];

	for (i = 0; i < CYCLES; i++) {
		int fd = open_chan(2, 5);

		if (fd < 0) {
			fail++;
			continue;
		}
		if (read(fd, b, sizeof(b)) < 0 && errno == EWOULDBLOCK)
			gone++;
		if (write(fd, "cycle", 5) != 5)
			fail++;
		close(fd);
		if (module_unload() < 0 || module_load("") < 0)
			fail++;
	}
	ok(fail == 0, "%d write, unload and reload cycles", CYCLES);
	ok(gone == CYCLES, "each reload starts empty (%u of %d)", gone, CYCLES);
}

static void test_slab(void)
{
	unsigned char msg[MSG_SLOT_MAX_LEN];
	long before, full, after;
	unsigned int i, bad = 0;
	int fd;

	is_int(module_unload(), 0, "unload before measuring the slab");
	before = slab_kb();
	is_int(module_load(""), 0, "load");
	fd = must_open_chan(2, 1);
	for (i = 1; i <= SLAB_CHANNELS; i++) {
		fill_msg(msg, sizeof(msg), i);
		if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)(uint32_t)(i * 2654435761u)) < 0 ||
		    write(fd, msg, sizeof(msg)) != MSG_SLOT_MAX_LEN)
			bad++;
	}
	close(fd);
	full = slab_kb();
	ok(bad == 0 && full - before > (long)SLAB_CHANNELS * MSG_SLOT_MAX_LEN / 1024,
	   "100000 channels of 128 bytes grow the slab by more than 12.5 MiB (%ld KiB, %u failed writes)",
	   full - before, bad);
	is_int(module_unload(), 0, "unload with 100000 channels");
	after = slab_kb();
	if (strcmp(getenv("MS_KERNEL") ? getenv("MS_KERNEL") : "", "debug") == 0)
		tap_skip("unloading gives the slab back",
			 "KASAN's quarantine holds freed objects; kmemleak checks for leaks instead");
	else
		ok(after - before < 1024,
		   "unloading gives it all back: slab %ld KiB before, %ld KiB after (limit +1024)",
		   before, after);
	is_int(module_load(""), 0, "reload");
}

static void test_major_param(void)
{
	char path[] = "/tmp/dyn_slot";
	char msg[64];
	int major, fd;

	is_int(module_unload(), 0, "unload the default instance");
	is_int(module_load("major=0"), 0, "insmod major=0");
	major = registered_major();
	ok(major > 0 && major != MSG_SLOT_MAJOR, "the kernel picked a major (%d)", major);
	snprintf(msg, sizeof(msg), "message_slot: registered with major %d", major);
	ok(klog_has(msg), "and the module logged it: \"%s\"", msg);
	is_int(make_node(path, (unsigned int)major, 5), 0, "mknod on that major");
	fd = open(path, O_RDWR);
	ok(fd >= 0 && ioctl(fd, MSG_SLOT_CHANNEL, 9UL) == 0 && write(fd, "dyn", 3) == 3 &&
	   read(fd, msg, sizeof(msg)) == 3, "the dynamic major works");
	if (fd >= 0)
		close(fd);
	unlink(path);
	is_int(module_unload(), 0, "unload");

	/* Major 4 is the terminals': registering its minors fails. */
	is_errno(module_load("major=4"), EBUSY, "insmod major=4 (taken): EBUSY");
	ok(klog_has("message_slot: cannot register major 4"),
	   "the failure is logged with pr_err");
	is_int(registered_major(), -1, "nothing stays registered");
	is_int(module_load(""), 0, "after the failed init, a normal load works");
	fd = open_chan(0, 1);
	ok(fd >= 0 && write(fd, "ok", 2) == 2, "and serves slots");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_refused_while_open();
	test_cycles();
	test_slab();
	test_major_param();
	return tap_done();
}
