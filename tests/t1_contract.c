// SPDX-License-Identifier: GPL-2.0
/*
 * t1_contract.c - every line of the driver's contract, one process at a time.
 */
#define _GNU_SOURCE

#include <sys/mman.h>

#include "common.h"

#define BIG_CHANNELS 100000u

/* Read @fd's channel and compare with the @len bytes of @want. */
static int holds(int fd, const void *want, size_t len)
{
	unsigned char buf[MSG_SLOT_MAX_LEN + 1];
	ssize_t n = read(fd, buf, sizeof(buf));

	return n == (ssize_t)len && memcmp(buf, want, len) == 0;
}

static void test_no_channel(void)
{
	char buf[MSG_SLOT_MAX_LEN];
	int fd = open(slot_path(0), O_RDWR);

	if (fd < 0)
		die("open %s", slot_path(0));
	is_errno(write(fd, "x", 1), EINVAL, "write with no channel selected: EINVAL");
	is_errno(write(fd, "x", 0), EINVAL, "no channel is checked before the size (n = 0)");
	is_errno(raw_write(fd, NULL, 1), EINVAL, "write from NULL with no channel: EINVAL");
	is_errno(read(fd, buf, sizeof(buf)), EINVAL, "read with no channel selected: EINVAL");
	is_errno(ioctl(fd, MSG_SLOT_CHANNEL, 0UL), EINVAL, "ioctl channel 0: EINVAL");
	is_errno(write(fd, "x", 1), EINVAL, "after a failed ioctl the file still has no channel");
	close(fd);
}

static void test_ioctl(void)
{
	unsigned char buf[MSG_SLOT_MAX_LEN];
	int fd = must_open_chan(0, 10);

	is_int(write(fd, "ten", 3), 3, "write to channel 10");
	is_errno(ioctl(fd, MSG_SLOT_CHANNEL, 0UL), EINVAL, "ioctl id 0: EINVAL");
	ok(holds(fd, "ten", 3), "id 0 leaves the file's channel unchanged");
	is_errno(ioctl(fd, _IOW(MSG_SLOT_MAJOR, 1, unsigned int), 11UL), EINVAL,
		 "ioctl with another command number: EINVAL");
	is_errno(ioctl(fd, _IOR(MSG_SLOT_MAJOR, 0, unsigned int), 11UL), EINVAL,
		 "ioctl with another direction: EINVAL");
	is_errno(ioctl(fd, 0x5401UL /* TCGETS */, buf), EINVAL,
		 "ioctl with a terminal command: EINVAL");
	ok(holds(fd, "ten", 3), "unknown commands leave the file's channel unchanged");
	is_errno(ioctl(fd, MSG_SLOT_CHANNEL, 1UL << 32), EINVAL,
		 "ioctl id 4294967296 (over 32 bits): EINVAL");
	is_errno(ioctl(fd, MSG_SLOT_CHANNEL, -1UL), EINVAL,
		 "ioctl id -1 as unsigned long: EINVAL");
	ok(holds(fd, "ten", 3), "ids out of range leave the file's channel unchanged");

	is_int(ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)MS_MAX_ID), 0,
	       "ioctl id 4294967295 is accepted");
	is_int(write(fd, "max", 3), 3, "write to channel 4294967295");
	ok(holds(fd, "max", 3), "channel 4294967295 keeps its message");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 1UL), 0, "ioctl id 1 is accepted");
	is_errno(read(fd, buf, sizeof(buf)), EWOULDBLOCK,
		 "a channel never written: EWOULDBLOCK");
	is_errno(read(fd, buf, 0), EWOULDBLOCK,
		 "a 0-byte read of an empty channel: EWOULDBLOCK before ENOSPC");
	is_errno(raw_read(fd, NULL, 128), EINVAL,
		 "a read into NULL from an empty channel: EINVAL before EWOULDBLOCK");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 10UL), 0, "switching back to channel 10");
	ok(holds(fd, "ten", 3), "channel 10 kept its message across switches");
	close(fd);
}

/*
 * Programs that declare the id unsigned long compute the command as
 * _IOW(240, 0, unsigned long), 0x4008F000 on 64-bit systems: the same
 * meaning as MSG_SLOT_CHANNEL; commands of other sizes or directions stay
 * EINVAL.
 */
static void test_ioctl_long(void)
{
	const unsigned long cmd = _IOW(MSG_SLOT_MAJOR, 0, unsigned long);
	int fd = open(slot_path(0), O_RDWR);

	if (fd < 0)
		die("open");
	ok(cmd == 0x4008F000UL && cmd == MSG_SLOT_CHANNEL_LONG,
	   "_IOW(240, 0, unsigned long) is 0x4008F000, MSG_SLOT_CHANNEL_LONG (%#lx)", cmd);
	is_int(ioctl(fd, cmd, 12UL), 0, "ioctl _IOW(240, 0, unsigned long) channel 12: 0");
	is_int(write(fd, "twelve", 6), 6, "write to the channel it selected");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 12UL), 0, "MSG_SLOT_CHANNEL 12");
	ok(holds(fd, "twelve", 6), "is the same channel 12");
	is_errno(ioctl(fd, cmd, 0UL), EINVAL, "the long command with id 0: EINVAL");
	is_errno(ioctl(fd, cmd, 1UL << 32), EINVAL, "the long command with id 4294967296: EINVAL");
	ok(holds(fd, "twelve", 6), "and the file's channel is unchanged");
	is_int(ioctl(fd, cmd, (unsigned long)MS_MAX_ID), 0, "the long command with id 4294967295: 0");
	is_int(write(fd, "long max", 8), 8, "write there");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 12UL), 0, "MSG_SLOT_CHANNEL 12");
	ok(holds(fd, "twelve", 6), "channel 12 kept its message");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)MS_MAX_ID), 0, "MSG_SLOT_CHANNEL 4294967295");
	ok(holds(fd, "long max", 8), "holds what the long command's channel got");
	is_errno(ioctl(fd, _IOW(MSG_SLOT_MAJOR, 0, unsigned short), 12UL), EINVAL,
		 "_IOW(240, 0, unsigned short): EINVAL");
	is_errno(ioctl(fd, _IOW(MSG_SLOT_MAJOR, 0, char[16]), 12UL), EINVAL,
		 "_IOW(240, 0, char[16]): EINVAL");
	is_errno(ioctl(fd, _IOR(MSG_SLOT_MAJOR, 0, unsigned long), 12UL), EINVAL,
		 "_IOR(240, 0, unsigned long): EINVAL");
	is_errno(ioctl(fd, _IOWR(MSG_SLOT_MAJOR, 0, unsigned long), 12UL), EINVAL,
		 "_IOWR(240, 0, unsigned long): EINVAL");
	is_errno(ioctl(fd, _IOW(MSG_SLOT_MAJOR, 1, unsigned long), 12UL), EINVAL,
		 "_IOW(240, 1, unsigned long): EINVAL");
	ok(holds(fd, "long max", 8), "none of them moved the file off 4294967295");
	close(fd);
}

static void test_sizes(void)
{
	unsigned char big[4096], msg[MSG_SLOT_MAX_LEN], buf[MSG_SLOT_MAX_LEN];
	int fd = must_open_chan(0, 20);

	fill_msg(msg, sizeof(msg), 20);
	fill_msg(big, sizeof(big), 21);
	is_int(write(fd, msg, MSG_SLOT_MAX_LEN), MSG_SLOT_MAX_LEN, "a 128-byte message is stored whole");
	ok(holds(fd, msg, MSG_SLOT_MAX_LEN), "a 128-byte message reads back byte for byte");
	is_errno(write(fd, big, MSG_SLOT_MAX_LEN + 1), EMSGSIZE, "a 129-byte write: EMSGSIZE");
	is_errno(write(fd, big, sizeof(big)), EMSGSIZE, "a 4096-byte write: EMSGSIZE");
	is_errno(write(fd, big, 0), EMSGSIZE, "a 0-byte write: EMSGSIZE");
	ok(holds(fd, msg, MSG_SLOT_MAX_LEN), "failed size checks store nothing");

	is_int(write(fd, "z", 1), 1, "a 1-byte message is stored");
	ok(holds(fd, "z", 1), "a 1-byte message reads back");

	is_int(read(fd, buf, 1), 1, "a read of exactly the message length works");
	is_int(write(fd, msg, 50), 50, "a 50-byte message");
	is_errno(read(fd, buf, 49), ENOSPC, "a read one byte short: ENOSPC");
	is_errno(read(fd, buf, 0), ENOSPC, "a read of 0 bytes: ENOSPC");
	is_int(read(fd, buf, 50), 50, "a read of exactly 50 bytes works");
	is_int(read(fd, big, sizeof(big)), 50, "a large buffer gets the message length");
	ok(memcmp(big, msg, 50) == 0, "and the bytes");
	ok(holds(fd, msg, 50), "failed reads change nothing");
	close(fd);
}

static void test_content(void)
{
	unsigned char bin[MSG_SLOT_MAX_LEN];
	int fd = must_open_chan(0, 30);
	int i, all = 1;

	for (i = 0; i < MSG_SLOT_MAX_LEN; i++)
		bin[i] = (unsigned char)i;
	bin[5] = 0;
	is_int(write(fd, bin, sizeof(bin)), MSG_SLOT_MAX_LEN, "a binary message with NUL bytes is stored whole");
	ok(holds(fd, bin, sizeof(bin)), "NUL bytes are data: bytes 0..127 read back");
	for (i = 0; i < MSG_SLOT_MAX_LEN; i++)
		bin[i] = (unsigned char)(128 + i);
	is_int(write(fd, bin, sizeof(bin)), MSG_SLOT_MAX_LEN, "a message of bytes 128..255");
	ok(holds(fd, bin, sizeof(bin)), "bytes 128..255 read back");

	is_int(write(fd, "a long message here", 19), 19, "a 19-byte message");
	is_int(write(fd, "short", 5), 5, "overwritten by a 5-byte message");
	ok(holds(fd, "short", 5), "a shorter overwrite leaves no tail of the old message");

	for (i = 0; i < 5; i++)
		all &= holds(fd, "short", 5);
	ok(all, "reading does not consume: five reads return the same message");

	/* Each length crosses the channel's capacity once (it grows). */
	for (i = 1; i <= MSG_SLOT_MAX_LEN; i++) {
		fill_msg(bin, (size_t)i, (uint32_t)i);
		if (write(fd, bin, (size_t)i) != i || !holds(fd, bin, (size_t)i))
			all = 0;
	}
	ok(all, "every length 1..128 in turn reads back exactly");
	for (i = MSG_SLOT_MAX_LEN; i >= 1; i--) {
		fill_msg(bin, (size_t)i, (uint32_t)i + 1000);
		if (write(fd, bin, (size_t)i) != i || !holds(fd, bin, (size_t)i))
			all = 0;
	}
	ok(all, "every length 128..1 in turn reads back exactly");
	close(fd);
}

static void test_bad_buffers(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char msg[64];
	unsigned char *map, *edge;
	int fd = must_open_chan(0, 40);

	map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		die("mmap");
	if (munmap(map + page, (size_t)page) < 0)
		die("munmap");
	edge = map + page - 10; /* 10 mapped bytes, then a hole */
	memset(edge, 'e', 10);

	fill_msg(msg, sizeof(msg), 40);
	is_int(write(fd, msg, sizeof(msg)), 64, "the message before bad buffers");
	is_errno(raw_write(fd, NULL, 5), EINVAL, "write from NULL: EINVAL");
	is_errno(write(fd, edge, 50), EFAULT, "write from a half-mapped buffer: EFAULT");
	is_errno(write(fd, map + page, 5), EFAULT, "write from an unmapped buffer: EFAULT");
	is_errno(write(fd, (void *)-4096L, 5), EFAULT, "write from a kernel address: EFAULT");
	ok(holds(fd, msg, sizeof(msg)), "failed writes leave the old message exactly as it was");

	is_errno(raw_read(fd, NULL, 128), EINVAL, "read into NULL: EINVAL");
	is_errno(raw_write(fd, NULL, 0), EMSGSIZE, "write of 0 bytes from NULL: the size is checked first");
	is_errno(raw_write(fd, NULL, 129), EMSGSIZE, "write of 129 bytes from NULL: EMSGSIZE");
	is_errno(read(fd, edge, 128), EFAULT, "read into a half-mapped buffer: EFAULT");
	is_errno(read(fd, map + page, 128), EFAULT, "read into an unmapped buffer: EFAULT");
	ok(holds(fd, msg, sizeof(msg)), "failed reads change nothing");
	is_errno(read(fd, edge, 10), ENOSPC, "a 10-byte buffer next to a hole: ENOSPC before any copy");

	memset(edge, 'e', 10); /* the failed reads may have filled it part way */
	is_int(write(fd, edge, 10), 10, "a write from the 10 mapped bytes works");
	ok(holds(fd, "eeeeeeeeee", 10), "and stores them");
	munmap(map, (size_t)page);
	close(fd);
}

static void test_files(void)
{
	unsigned char buf[MSG_SLOT_MAX_LEN];
	int a = must_open_chan(1, 1);
	int b = must_open_chan(1, 2);
	int c, d;

	is_int(write(a, "from a", 6), 6, "file A writes channel 1");
	is_errno(read(b, buf, sizeof(buf)), EWOULDBLOCK, "file B on channel 2 of the same slot sees nothing");
	is_int(ioctl(a, MSG_SLOT_CHANNEL, 3UL), 0, "file A switches to channel 3");
	is_int(write(b, "from b", 6), 6, "file B still writes channel 2");
	is_int(ioctl(b, MSG_SLOT_CHANNEL, 1UL), 0, "file B switches to channel 1");
	ok(holds(b, "from a", 6), "file B reads what A wrote on channel 1");
	is_errno(read(a, buf, sizeof(buf)), EWOULDBLOCK, "file A is on channel 3: nothing there");

	c = open(slot_path(1), O_RDWR);
	if (c < 0)
		die("open");
	is_errno(read(c, buf, sizeof(buf)), EINVAL, "a file opened later has no channel of its own");
	is_errno(write(c, "x", 1), EINVAL, "nor for writing");

	d = dup(a);
	is_int(ioctl(d, MSG_SLOT_CHANNEL, 2UL), 0, "a dup of A selects channel 2");
	ok(holds(a, "from b", 6), "dup shares the open file, so A is on channel 2 too");
	close(d);
	close(c);

	is_int(write(a, "two", 3), 3, "channel 2 overwritten through A");
	is_int(ioctl(b, MSG_SLOT_CHANNEL, 1UL), 0, "B on channel 1");
	ok(holds(b, "from a", 6), "channel 1 untouched by writes to channel 2");
	close(a);
	close(b);
}

static void test_slots(void)
{
	static const unsigned int minors[] = { 0, 2, 3, 255, MS_MAX_MINOR };
	char want[32];
	int fds[5];
	unsigned int i;
	int all = 1;

	for (i = 0; i < 5; i++) {
		fds[i] = must_open_chan(minors[i], 77);
		snprintf(want, sizeof(want), "slot %u", minors[i]);
		if (write(fds[i], want, strlen(want)) != (ssize_t)strlen(want))
			all = 0;
	}
	ok(all, "channel 77 written on minors 0, 2, 3, 255 and 1048575");
	for (i = 0; i < 5; i++) {
		snprintf(want, sizeof(want), "slot %u", minors[i]);
		ok(holds(fds[i], want, strlen(want)), "minor %u keeps its own channel 77", minors[i]);
	}
	for (i = 0; i < 5; i++)
		close(fds[i]);
}

static void test_persistence(void)
{
	int fd = must_open_chan(3, 5);

	is_int(write(fd, "still here", 10), 10, "a message, then every file closed");
	close(fd);
	fd = must_open_chan(3, 5);
	ok(holds(fd, "still here", 10), "a new file reads it: messages outlive their files");
	close(fd);
}

static void test_stream(void)
{
	char buf[8];
	int fd = must_open_chan(3, 5);

	is_errno(lseek(fd, 0, SEEK_SET), ESPIPE, "lseek: ESPIPE (a slot file is a stream)");
	is_errno(pread(fd, buf, sizeof(buf), 0), ESPIPE, "pread: ESPIPE");
	is_errno(pwrite(fd, "x", 1, 0), ESPIPE, "pwrite: ESPIPE");
	close(fd);
}

/*
 * MSG_SLOT_DELETE removes the file's channel and its message: reads get
 * EWOULDBLOCK, the id can be written again, the counters go down; a file
 * not open for writing may not delete, a file with no channel has
 * nothing to delete, and an absent channel is ENOENT.
 */
static void test_delete(void)
{
	unsigned char buf[MSG_SLOT_MAX_LEN], msg[MSG_SLOT_MAX_LEN];
	int a = must_open_chan(4, 50);
	int b = must_open_chan(4, 50);
	int c = must_open_chan(4, 51);
	long chans, bytes;
	int ro, none;

	is_int(write(a, "doomed", 6), 6, "channel 50 holds 6 bytes");
	is_int(write(c, "kept", 4), 4, "channel 51 holds 4 bytes");
	chans = ms_counter("channels");
	bytes = ms_counter("bytes");
	is_int(ioctl(a, MSG_SLOT_DELETE), 0, "MSG_SLOT_DELETE on channel 50: 0");
	is_errno(read(a, buf, sizeof(buf)), EWOULDBLOCK, "the deleting file reads EWOULDBLOCK");
	is_errno(read(b, buf, sizeof(buf)), EWOULDBLOCK,
		 "another file on channel 50 reads EWOULDBLOCK");
	ok(holds(c, "kept", 4), "channel 51 of the same slot is untouched");
	is_int(ms_counter("channels"), chans - 1, "debugfs channels is one lower");
	is_int(ms_counter("bytes"), bytes - 6, "debugfs bytes is 6 lower");
	is_errno(ioctl(a, MSG_SLOT_DELETE), ENOENT, "deleting it again: ENOENT");
	is_errno(ioctl(b, MSG_SLOT_DELETE), ENOENT, "from the other file too: ENOENT");
	is_int(write(a, "again", 5), 5, "the file keeps channel 50 selected: a write creates it anew");
	ok(holds(b, "again", 5), "the other file reads the new message");
	is_int(ms_counter("channels"), chans, "debugfs channels is back");

	is_int(ioctl(b, MSG_SLOT_DELETE, 12345UL), 0, "the argument is not used: any value deletes");
	is_errno(read(a, buf, sizeof(buf)), EWOULDBLOCK, "and the channel is gone");

	fill_msg(msg, sizeof(msg), 52);
	is_int(ioctl(a, MSG_SLOT_CHANNEL, 52UL), 0, "channel 52");
	is_int(write(a, "s", 1), 1, "a 1-byte message");
	is_int(write(a, msg, sizeof(msg)), MSG_SLOT_MAX_LEN, "then 128 bytes: the channel is replaced");
	is_int(ioctl(a, MSG_SLOT_DELETE), 0, "a replaced channel deletes");
	is_errno(read(a, buf, sizeof(buf)), EWOULDBLOCK, "and reads EWOULDBLOCK");

	is_int(ioctl(a, MSG_SLOT_CHANNEL, (unsigned long)MS_MAX_ID), 0, "channel 4294967295");
	is_int(write(a, "max", 3), 3, "written");
	is_int(ioctl(a, MSG_SLOT_DELETE), 0, "channel 4294967295 deletes");
	is_errno(read(a, buf, sizeof(buf)), EWOULDBLOCK, "and reads EWOULDBLOCK");

	none = open(slot_path(4), O_RDWR);
	if (none < 0)
		die("open");
	is_errno(ioctl(none, MSG_SLOT_DELETE), EINVAL, "no channel selected: EINVAL");
	close(none);

	ro = open(slot_path(4), O_RDONLY);
	if (ro < 0)
		die("open");
	is_errno(ioctl(ro, MSG_SLOT_DELETE), EBADF,
		 "a file not open for writing, with no channel: EBADF (before EINVAL)");
	is_int(ioctl(ro, MSG_SLOT_CHANNEL, 51UL), 0, "the read-only file selects channel 51");
	is_errno(ioctl(ro, MSG_SLOT_DELETE), EBADF, "and may not delete it: EBADF");
	ok(holds(ro, "kept", 4), "channel 51 keeps its message");
	close(ro);

	ro = open(slot_path(4), O_WRONLY);
	if (ro < 0)
		die("open");
	is_int(ioctl(ro, MSG_SLOT_CHANNEL, 51UL), 0, "a write-only file selects channel 51");
	is_int(ioctl(ro, MSG_SLOT_DELETE), 0, "and may delete it");
	is_errno(read(c, buf, sizeof(buf)), EWOULDBLOCK, "channel 51 is gone");
	close(ro);
	close(a);
	close(b);
	close(c);
}

static void test_many_channels(void)
{
	unsigned char msg[MSG_SLOT_MAX_LEN], buf[MSG_SLOT_MAX_LEN];
	unsigned int i, bad_write = 0, bad_read = 0;
	int fd = must_open_chan(2, 1);

	for (i = 1; i <= BIG_CHANNELS; i++) {
		size_t len = 1 + i % MSG_SLOT_MAX_LEN;

		fill_msg(msg, len, i);
		if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)i * 42943u) < 0 ||
		    write(fd, msg, len) != (ssize_t)len)
			bad_write++;
	}
	ok(bad_write == 0, "100000 channels written on one slot (%u failures)", bad_write);
	for (i = BIG_CHANNELS; i >= 1; i--) {
		size_t len = 1 + i % MSG_SLOT_MAX_LEN;

		fill_msg(msg, len, i);
		if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)i * 42943u) < 0 ||
		    read(fd, buf, sizeof(buf)) != (ssize_t)len ||
		    memcmp(buf, msg, len) != 0)
			bad_read++;
	}
	ok(bad_read == 0, "each of the 100000 channels keeps its own message (%u wrong)", bad_read);
	close(fd);
}

TAP_MAIN(
	TAP_CASE(test_no_channel, 60),
	TAP_CASE(test_ioctl, 60),
	TAP_CASE(test_ioctl_long, 60),
	TAP_CASE(test_sizes, 60),
	TAP_CASE(test_content, 60),
	TAP_CASE(test_bad_buffers, 60),
	TAP_CASE(test_files, 60),
	TAP_CASE(test_slots, 60),
	TAP_CASE(test_persistence, 60),
	TAP_CASE(test_stream, 60),
	TAP_CASE(test_delete, 60),
	TAP_CASE(test_many_channels, 300),
)
