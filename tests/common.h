/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h - helpers shared by the tests that run inside the VM.
 *
 * The guest's init loads the module and makes these nodes before the
 * tests run: /dev/message_slotN for N in 0 1 2 3 7 255 1048575.
 */
#ifndef MS_TESTS_COMMON_H
#define MS_TESTS_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../message_slot.h"
#include "tap.h"

#define MS_MODULE_PATH "/message_slot.ko"
#define MS_MODULE_NAME "message_slot"
#define MS_MAX_MINOR 1048575u
#define MS_MAX_ID 4294967295u

/* The node of @minor made by the guest's init. */
static inline const char *slot_path(unsigned int minor)
{
	static char path[64];

	snprintf(path, sizeof(path), "/dev/message_slot%u", minor);
	return path;
}

/* Stop the whole program: a setup step the checks depend on failed. */
#define die(...)                                                             \
	do {                                                                 \
		printf("Bail out! ");                                        \
		printf(__VA_ARGS__);                                         \
		printf(": %s\n", strerror(errno));                           \
		fflush(stdout);                                              \
		exit(2);                                                     \
	} while (0)

/* Open the slot of @minor and select channel @id; -1 on failure. */
static inline int open_chan(unsigned int minor, unsigned long id)
{
	int fd = open(slot_path(minor), O_RDWR);

	if (fd < 0)
		return -1;
	if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* open_chan() that must work. */
static inline int must_open_chan(unsigned int minor, unsigned long id)
{
	int fd = open_chan(minor, id);

	if (fd < 0)
		die("open %s channel %lu", slot_path(minor), id);
	return fd;
}

/* read(2) and write(2) without libc's checks, for NULL and bad pointers. */
static inline long raw_read(int fd, void *buf, size_t len)
{
	return syscall(SYS_read, fd, buf, len);
}

static inline long raw_write(int fd, const void *buf, size_t len)
{
	return syscall(SYS_write, fd, buf, len);
}

/* Deterministic bytes of message @seq of length @len, all 256 values. */
static inline void fill_msg(unsigned char *buf, size_t len, uint32_t seq)
{
	uint32_t x = seq * 2654435761u + 12345u;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(x >> 24);
	}
}

/* The value of @key (e.g. "Slab:") in /proc/meminfo, in KiB; -1 if absent. */
static inline long meminfo_kb(const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			val = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* A counter in /sys/kernel/debug/message_slot/; -1 if it cannot be read. */
static inline long ms_counter(const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/message_slot/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* Load the module with @params; 0 or -1 with errno. */
static inline int module_load(const char *params)
{
	int fd = open(MS_MODULE_PATH, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = (int)syscall(SYS_finit_module, fd, params, 0);
	if (ret < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

/* Unload the module without waiting; 0 or -1 with errno. */
static inline int module_unload(void)
{
	return (int)syscall(SYS_delete_module, MS_MODULE_NAME, O_NONBLOCK);
}

/* Make a character node, replacing what was there. */
static inline int make_node(const char *path, unsigned int major,
			    unsigned int minor)
{
	unlink(path);
	return mknod(path, S_IFCHR | 0666, makedev(major, minor));
}

#endif /* MS_TESTS_COMMON_H */
