// SPDX-License-Identifier: GPL-2.0
/*
 * t2_compat32.c - built as a 32-bit program: MSG_SLOT_CHANNEL reaches the
 * driver through .compat_ioctl and behaves as for 64-bit callers.
 */
#define _GNU_SOURCE

#include "common.h"

/*
 * 0x4008F000, _IOW(240, 0, unsigned long) as 64-bit programs compute it,
 * means the same from a 32-bit program; here _IOW(240, 0, unsigned long)
 * is MSG_SLOT_CHANNEL itself.
 */
static void test_ioctl_long(void)
{
	unsigned char b[MSG_SLOT_MAX_LEN];
	int fd = open(slot_path(0), O_RDWR);

	if (fd < 0)
		die("open");
	ok(_IOW(MSG_SLOT_MAJOR, 0, unsigned long) == MSG_SLOT_CHANNEL,
	   "32-bit: _IOW(240, 0, unsigned long) is MSG_SLOT_CHANNEL");
	is_int(ioctl(fd, 0x4008F000u, 13u), 0, "32-bit ioctl 0x4008F000 channel 13: 0");
	is_int(write(fd, "thirteen", 8), 8, "32-bit write to it");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 13u), 0, "MSG_SLOT_CHANNEL 13");
	is_int(read(fd, b, sizeof(b)), 8, "is the same channel");
	is_errno(ioctl(fd, 0x4008F000u, 0u), EINVAL, "32-bit 0x4008F000 with id 0: EINVAL");
	is_int(ioctl(fd, 0x4008F000u, 4294967295u), 0, "32-bit 0x4008F000 with id 4294967295: 0");
	is_errno(ioctl(fd, _IOW(MSG_SLOT_MAJOR, 0, unsigned short), 13u), EINVAL,
		 "32-bit _IOW(240, 0, unsigned short): EINVAL");
	is_errno(ioctl(fd, _IOR(MSG_SLOT_MAJOR, 0, unsigned long long), 13u), EINVAL,
		 "32-bit _IOR(240, 0, unsigned long long): EINVAL");
	close(fd);
}

static void test_compat_ioctl(void)
{
	unsigned char b[MSG_SLOT_MAX_LEN];
	int fd;

	ok(sizeof(long) == 4, "this test is a 32-bit program (long is %zu bytes)", sizeof(long));
	fd = open(slot_path(0), O_RDWR);
	if (fd < 0)
		die("open");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 4294967295u), 0, "32-bit ioctl: channel 4294967295");
	is_int(write(fd, "compat", 6), 6, "32-bit write");
	is_int(read(fd, b, sizeof(b)), 6, "32-bit read");
	ok(memcmp(b, "compat", 6) == 0, "the message matches");
	is_errno(ioctl(fd, MSG_SLOT_CHANNEL, 0u), EINVAL, "32-bit ioctl channel 0: EINVAL");
	is_errno(ioctl(fd, _IOW(MSG_SLOT_MAJOR, 1, unsigned int), 5u), EINVAL,
		 "32-bit ioctl with another command: EINVAL");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 1u), 0, "32-bit ioctl: channel 1");
	is_errno(read(fd, b, sizeof(b)), EWOULDBLOCK, "channel 1 of minor 0 is empty: EWOULDBLOCK");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 4294967295u), 0, "back to channel 4294967295");
	is_int(read(fd, b, sizeof(b)), 6, "its message is still there");
	close(fd);
}

TAP_MAIN(
	TAP_CASE(test_compat_ioctl, 60),
	TAP_CASE(test_ioctl_long, 60),
)
