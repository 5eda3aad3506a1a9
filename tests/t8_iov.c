// SPDX-License-Identifier: GPL-2.0
/*
 * t8_iov.c - every other way into read and write keeps the contract:
 * readv and writev (a vector is one message), preadv2 and pwritev2 (offset
 * -1 is the stream, any other offset ESPIPE), io_uring's READ, WRITE,
 * READV and WRITEV through the raw system calls; and what the kernel
 * answers before the driver runs (access_ok, the VFS's vector checks, the
 * ioctls do_vfs_ioctl handles itself).
 */
#define _GNU_SOURCE

#include <linux/fiemap.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#include "common.h"

/* From linux/fs.h, which clashes with glibc's sys/uio.h. */
#define T8_FIGETBSZ _IO(0x00, 2)
#define T8_FS_IOC_FIEMAP _IOWR('f', 11, struct fiemap)

static long page;

/*
 * @n regions, each one mapped page followed by a hole (a PROT_NONE page):
 * region @i starts at region(@i); its last @k mapped bytes start at
 * region_edge(@i, @k); its hole at region_hole(@i).
 */
static unsigned char *regions;

static void map_regions(int n)
{
	int i;

	regions = mmap(NULL, (size_t)page * 2 * (size_t)n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (regions == MAP_FAILED)
		die("mmap");
	/* PROT_NONE, not unmapped: no later mapping can land in a hole. */
	for (i = 0; i < n; i++)
		if (mprotect(regions + page * (2 * i + 1), (size_t)page, PROT_NONE) < 0)
			die("mprotect");
}

static unsigned char *region(int i)
{
	return regions + page * 2 * i;
}

static unsigned char *region_edge(int i, size_t k)
{
	return region(i) + page - (long)k;
}

static unsigned char *region_hole(int i)
{
	return region(i) + page;
}

/* Read the file's channel and compare with the @len bytes of @want. */
static int holds(int fd, const void *want, size_t len)
{
	unsigned char buf[MSG_SLOT_MAX_LEN + 1];
	ssize_t n = read(fd, buf, sizeof(buf));

	return n == (ssize_t)len && memcmp(buf, want, len) == 0;
}

#define IOV(base, len) ((struct iovec){ .iov_base = (void *)(base), .iov_len = (len) })

static void test_writev(void)
{
	unsigned char a[100], b[100], want[MSG_SLOT_MAX_LEN], old[20];
	struct iovec v[4];
	int fd = open(slot_path(0), O_RDWR);

	if (fd < 0)
		die("open");
	fill_msg(a, sizeof(a), 1);
	fill_msg(b, sizeof(b), 2);
	fill_msg(old, sizeof(old), 3);
	v[0] = IOV(a, 10);
	v[1] = IOV(b, 20);
	is_errno(writev(fd, v, 2), EINVAL, "writev with no channel: EINVAL");

	if (ioctl(fd, MSG_SLOT_CHANNEL, 80UL) < 0)
		die("ioctl");
	is_int(write(fd, old, sizeof(old)), 20, "a 20-byte message before the vectors");
	v[0] = IOV(a, 100);
	v[1] = IOV(b, 100);
	is_errno(writev(fd, v, 2), EMSGSIZE, "writev of 100 + 100 bytes: EMSGSIZE (one message of 200)");
	ok(holds(fd, old, sizeof(old)), "and nothing stored: the old message is intact");

	v[0] = IOV(a, 10);
	v[1] = IOV(b, 0);
	v[2] = IOV(b, 20);
	is_int(writev(fd, v, 3), 30, "writev of 10 + 0 + 20 bytes: 30");
	memcpy(want, a, 10);
	memcpy(want + 10, b, 20);
	ok(holds(fd, want, 30), "the message is the 30 bytes of the segments in order");

	v[0] = IOV(a, 100);
	v[1] = IOV(b, 28);
	is_int(writev(fd, v, 2), MSG_SLOT_MAX_LEN, "writev of 100 + 28 bytes: 128, the largest message");
	memcpy(want, a, 100);
	memcpy(want + 100, b, 28);
	ok(holds(fd, want, MSG_SLOT_MAX_LEN), "all 128 bytes read back");
	v[1] = IOV(b, 29);
	is_errno(writev(fd, v, 2), EMSGSIZE, "writev of 100 + 29 bytes: EMSGSIZE");
	ok(holds(fd, want, MSG_SLOT_MAX_LEN), "and the 128-byte message stays");
	close(fd);
}

static void test_writev_faults(void)
{
	unsigned char a[64], old[16];
	struct iovec v[3];
	int fd = must_open_chan(0, 81);

	fill_msg(a, sizeof(a), 4);
	fill_msg(old, sizeof(old), 5);
	is_int(write(fd, old, sizeof(old)), 16, "a 16-byte message");
	memset(region_edge(0, 10), 'e', 10);

	v[0] = IOV(a, 10);
	v[1] = IOV(region_hole(0), 10);
	is_errno(writev(fd, v, 2), EFAULT, "writev whose second segment is unmapped: EFAULT");
	ok(holds(fd, old, sizeof(old)), "and the first segment was not stored");
	v[1] = IOV(region_edge(0, 10), 20);
	is_errno(writev(fd, v, 2), EFAULT, "writev whose second segment is half mapped: EFAULT");
	ok(holds(fd, old, sizeof(old)), "nothing stored");

	v[1] = IOV(NULL, 5);
	is_errno(writev(fd, v, 2), EINVAL, "writev with a NULL segment: EINVAL, as write from NULL");
	v[1] = IOV(NULL, 0);
	is_errno(writev(fd, v, 2), EINVAL, "a NULL segment of 0 bytes: EINVAL too (any NULL segment)");
	v[1] = IOV(NULL, 5);
	v[2] = IOV(region_hole(0), 5);
	is_errno(writev(fd, v, 3), EINVAL, "NULL and unmapped segments: EINVAL before EFAULT");
	v[0] = IOV(a, 64);
	v[1] = IOV(NULL, 65);
	is_errno(writev(fd, v, 2), EMSGSIZE, "129 bytes with a NULL segment: EMSGSIZE before EINVAL");
	ok(holds(fd, old, sizeof(old)), "failed vectored writes store nothing");

	v[0] = IOV(a, 5);
	v[1] = IOV(region_edge(0, 10), 10);
	is_int(writev(fd, v, 2), 15, "the 10 mapped bytes next to the hole do work as a segment");
	close(fd);
}

static void test_readv(void)
{
	unsigned char big[200], small[2], buf[MSG_SLOT_MAX_LEN], msg[MSG_SLOT_MAX_LEN];
	struct iovec v[MSG_SLOT_MAX_LEN];
	int fd = open(slot_path(0), O_RDWR), i, all = 1;

	if (fd < 0)
		die("open");
	v[0] = IOV(buf, 10);
	is_errno(readv(fd, v, 1), EINVAL, "readv with no channel: EINVAL");
	if (ioctl(fd, MSG_SLOT_CHANNEL, 82UL) < 0)
		die("ioctl");
	v[0] = IOV(small, 2);
	v[1] = IOV(big, 200);
	is_errno(readv(fd, v, 2), EWOULDBLOCK, "readv of an empty channel: EWOULDBLOCK");
	v[1] = IOV(NULL, 200);
	is_errno(readv(fd, v, 2), EINVAL, "readv with a NULL segment: EINVAL before EWOULDBLOCK");

	is_int(write(fd, "hello", 5), 5, "a 5-byte message");
	v[0] = IOV(small, 2);
	v[1] = IOV(big, 200);
	memset(big, 0, sizeof(big));
	is_int(readv(fd, v, 2), 5, "readv into 2 + 200 bytes: 5");
	ok(memcmp(small, "he", 2) == 0 && memcmp(big, "llo", 3) == 0,
	   "the message spreads: 2 bytes in the first segment, 3 in the second");
	v[1] = IOV(big, 2);
	is_errno(readv(fd, v, 2), ENOSPC, "readv into 2 + 2 bytes: ENOSPC");
	v[0] = IOV(small, 0);
	v[1] = IOV(big, 4);
	is_errno(readv(fd, v, 2), ENOSPC, "readv into 0 + 4 bytes: ENOSPC");
	v[0] = IOV(big, 5);
	v[1] = IOV(region_hole(0), 100);
	is_int(readv(fd, v, 2), 5, "an unmapped segment past the message's bytes is not touched");
	v[0] = IOV(small, 2);
	v[1] = IOV(region_hole(0), 100);
	is_errno(readv(fd, v, 2), EFAULT, "readv whose segment for the message's bytes is unmapped: EFAULT");
	v[1] = IOV(region_edge(0, 2), 100);
	is_errno(readv(fd, v, 2), EFAULT, "or half mapped: EFAULT");
	ok(holds(fd, "hello", 5), "failed vectored reads change nothing");

	fill_msg(msg, sizeof(msg), 6);
	is_int(write(fd, msg, sizeof(msg)), MSG_SLOT_MAX_LEN, "a 128-byte message");
	for (i = 0; i < MSG_SLOT_MAX_LEN; i++)
		v[i] = IOV(buf + MSG_SLOT_MAX_LEN - 1 - i, 1);
	is_int(readv(fd, v, MSG_SLOT_MAX_LEN), MSG_SLOT_MAX_LEN, "readv into 128 one-byte segments");
	for (i = 0; i < MSG_SLOT_MAX_LEN; i++)
		all &= buf[MSG_SLOT_MAX_LEN - 1 - i] == msg[i];
	ok(all, "each byte lands in its own segment, in order");
	close(fd);
}

static void test_preadv2(void)
{
	unsigned char a[100], b[60], buf[MSG_SLOT_MAX_LEN], want[120];
	struct iovec v[2] = { IOV(a, 60), IOV(b, 60) };
	struct iovec r[1] = { IOV(buf, sizeof(buf)) };
	int fd = must_open_chan(0, 83);

	fill_msg(a, sizeof(a), 7);
	fill_msg(b, sizeof(b), 8);
	memset(buf, 0, sizeof(buf));
	memcpy(want, a, 60);
	memcpy(want + 60, b, 60);
	is_int(pwritev2(fd, v, 2, -1, 0), 120, "pwritev2 at offset -1 (the stream) of 60 + 60 bytes: 120");
	ok(holds(fd, want, 120), "one message of 120 bytes");
	is_int(preadv2(fd, r, 1, -1, 0), 120, "preadv2 at offset -1: 120");
	ok(memcmp(buf, want, 120) == 0, "the bytes");
	is_errno(pwritev2(fd, v, 2, 0, 0), ESPIPE, "pwritev2 at offset 0: ESPIPE");
	is_errno(pwritev2(fd, v, 2, 5, 0), ESPIPE, "pwritev2 at offset 5: ESPIPE");
	is_errno(preadv2(fd, r, 1, 0, 0), ESPIPE, "preadv2 at offset 0: ESPIPE");
	is_errno(pwritev(fd, v, 2, 0), ESPIPE, "pwritev: ESPIPE");
	is_errno(preadv(fd, r, 1, 0), ESPIPE, "preadv: ESPIPE");
	ok(holds(fd, want, 120), "and they stored nothing");

	v[0] = IOV(a, 100);
	v[1] = IOV(b, 60);
	is_errno(pwritev2(fd, v, 2, -1, 0), EMSGSIZE, "pwritev2 at -1 of 100 + 60 bytes: EMSGSIZE");
	v[0] = IOV(a, 7);
	is_int(pwritev2(fd, v, 1, -1, RWF_HIPRI), 7, "pwritev2 with RWF_HIPRI: accepted, no effect");
	is_int(pwritev2(fd, v, 1, -1, RWF_NOWAIT), 7, "pwritev2 with RWF_NOWAIT: accepted (a slot never waits)");
	is_int(preadv2(fd, r, 1, -1, RWF_NOWAIT), 7, "preadv2 with RWF_NOWAIT: the message");
	close(fd);
	fd = must_open_chan(0, 84);
	is_errno(preadv2(fd, r, 1, -1, RWF_NOWAIT), EWOULDBLOCK,
		 "preadv2 RWF_NOWAIT of an empty channel: EWOULDBLOCK");
	close(fd);
}

/* ---- io_uring, through the raw system calls ------------------------------ */

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

/* 0, or -1 with errno (ENOSYS: a kernel without io_uring). */
static int ring_init(struct ring *r)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	unsigned char *sq, *cq;
	void *sqes;

	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(__NR_io_uring_setup, 8, &p);
	if (r->fd < 0)
		return -1;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP) || !(p.features & IORING_FEAT_EXT_ARG)) {
		close(r->fd);
		errno = ENOSYS;
		return -1;
	}
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (cq_len > sq_len)
		sq_len = cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		  IORING_OFF_SQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqes == MAP_FAILED)
		die("mmap io_uring");
	cq = sq;
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	r->sqes = sqes;
	return 0;
}

/* Queue one read or write and submit it; 0 or -1. */
static int ring_submit(struct ring *r, unsigned char op, int fd, const void *addr,
		       unsigned int len, uint64_t off, int rw_flags)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)addr;
	sqe->len = len;
	sqe->off = off;
	sqe->rw_flags = rw_flags;
	sqe->user_data = tail;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) == 1 ? 0 : -1;
}

/*
 * Take the next completion, waiting at most @ms milliseconds for it:
 * 0 with its result in *res, or -1 if none came (errno ETIME).
 */
static int ring_wait(struct ring *r, long ms, int *res)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	struct io_uring_getevents_arg arg = { .ts = (uint64_t)(uintptr_t)&ts };

	for (;;) {
		unsigned int head = *r->cq_head;

		if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
			*res = r->cqes[head & *r->cq_mask].res;
			__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
			return 0;
		}
		if (syscall(__NR_io_uring_enter, r->fd, 0, 1,
			    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg)) < 0 &&
		    errno != EINTR)
			return -1;
	}
}

/* One operation, submitted and waited for (5 s at most): its result. */
static int ring_do(struct ring *r, unsigned char op, int fd, const void *addr, unsigned int len,
		   uint64_t off, int rw_flags)
{
	int res;

	if (ring_submit(r, op, fd, addr, len, off, rw_flags) < 0)
		die("io_uring_enter");
	if (ring_wait(r, 5000, &res) < 0)
		die("io_uring: no completion within 5 s");
	return res;
}

#define NO_OFFSET ((uint64_t)-1)

static void test_io_uring(void)
{
	unsigned char a[100], b[100], buf[MSG_SLOT_MAX_LEN], small[2], big[200], want[30];
	struct iovec v[2];
	struct ring r;
	int fd, other, res;

	if (ring_init(&r) < 0) {
		char why[96];

		snprintf(why, sizeof(why), "no io_uring on this kernel: %s", strerror(errno));
		tap_skip_case(why);
	}
	fd = open(slot_path(0), O_RDWR);
	if (fd < 0)
		die("open");
	fill_msg(a, sizeof(a), 9);
	fill_msg(b, sizeof(b), 10);
	fill_msg(big, sizeof(big), 11);
	is_int(ring_do(&r, IORING_OP_WRITE, fd, a, 10, NO_OFFSET, 0), -EINVAL,
	       "io_uring WRITE with no channel: -EINVAL");
	is_int(ring_do(&r, IORING_OP_READ, fd, buf, sizeof(buf), NO_OFFSET, 0), -EINVAL,
	       "io_uring READ with no channel: -EINVAL");
	if (ioctl(fd, MSG_SLOT_CHANNEL, 85UL) < 0)
		die("ioctl");

	is_int(ring_do(&r, IORING_OP_WRITE, fd, a, 64, NO_OFFSET, 0), 64, "io_uring WRITE of 64 bytes");
	memset(buf, 0, sizeof(buf));
	is_int(ring_do(&r, IORING_OP_READ, fd, buf, sizeof(buf), NO_OFFSET, 0), 64, "io_uring READ: 64");
	ok(memcmp(buf, a, 64) == 0, "the bytes written");
	is_int(ring_do(&r, IORING_OP_READ, fd, buf, 63, NO_OFFSET, 0), -ENOSPC,
	       "io_uring READ of 63 bytes: -ENOSPC");
	is_int(ring_do(&r, IORING_OP_WRITE, fd, a, 0, NO_OFFSET, 0), -EMSGSIZE,
	       "io_uring WRITE of 0 bytes: -EMSGSIZE (io_uring does not skip empty writes)");
	is_int(ring_do(&r, IORING_OP_WRITE, fd, big, 129, NO_OFFSET, 0), -EMSGSIZE,
	       "io_uring WRITE of 129 bytes: -EMSGSIZE");
	is_int(ring_do(&r, IORING_OP_WRITE, fd, NULL, 5, NO_OFFSET, 0), -EINVAL,
	       "io_uring WRITE from NULL: -EINVAL");
	is_int(ring_do(&r, IORING_OP_READ, fd, NULL, 128, NO_OFFSET, 0), -EINVAL,
	       "io_uring READ into NULL: -EINVAL");
	is_int(ring_do(&r, IORING_OP_WRITE, fd, region_hole(0), 5, NO_OFFSET, 0), -EFAULT,
	       "io_uring WRITE from unmapped memory: -EFAULT");
	is_int(ring_do(&r, IORING_OP_WRITE, fd, a, 5, 7, 0), -ESPIPE,
	       "io_uring WRITE at offset 7: -ESPIPE");
	is_int(ring_do(&r, IORING_OP_READ, fd, buf, sizeof(buf), 7, 0), -ESPIPE,
	       "io_uring READ at offset 7: -ESPIPE");
	ok(holds(fd, a, 64), "the failed operations stored nothing");
	is_int(ring_do(&r, IORING_OP_WRITE, fd, b, 6, 0, 0), 6,
	       "io_uring WRITE at offset 0 cannot be told from no offset: stored");

	v[0] = IOV(a, 100);
	v[1] = IOV(b, 100);
	is_int(ring_do(&r, IORING_OP_WRITEV, fd, v, 2, NO_OFFSET, 0), -EMSGSIZE,
	       "io_uring WRITEV of 100 + 100 bytes: -EMSGSIZE");
	v[1] = IOV(region_hole(0), 10);
	v[0] = IOV(a, 10);
	is_int(ring_do(&r, IORING_OP_WRITEV, fd, v, 2, NO_OFFSET, 0), -EFAULT,
	       "io_uring WRITEV with an unmapped second segment: -EFAULT");
	ok(holds(fd, b, 6), "and nothing stored");
	v[1] = IOV(b, 20);
	is_int(ring_do(&r, IORING_OP_WRITEV, fd, v, 2, NO_OFFSET, 0), 30,
	       "io_uring WRITEV of 10 + 20 bytes: 30");
	memcpy(want, a, 10);
	memcpy(want + 10, b, 20);
	ok(holds(fd, want, 30), "one message of the 30 bytes in order");
	is_int(write(fd, "hello", 5), 5, "a 5-byte message");
	v[0] = IOV(small, 2);
	v[1] = IOV(big, 200);
	is_int(ring_do(&r, IORING_OP_READV, fd, v, 2, NO_OFFSET, 0), 5,
	       "io_uring READV into 2 + 200 bytes: 5");
	ok(memcmp(small, "he", 2) == 0 && memcmp(big, "llo", 3) == 0, "spread over the segments");
	v[1] = IOV(big, 2);
	is_int(ring_do(&r, IORING_OP_READV, fd, v, 2, NO_OFFSET, 0), -ENOSPC,
	       "io_uring READV into 2 + 2 bytes: -ENOSPC");

	/* A channel with no message: io_uring waits for one, as for a pipe. */
	if (ioctl(fd, MSG_SLOT_CHANNEL, 86UL) < 0)
		die("ioctl");
	is_int(ring_do(&r, IORING_OP_READ, fd, buf, sizeof(buf), NO_OFFSET, RWF_NOWAIT), -EAGAIN,
	       "io_uring READ of an empty channel with RWF_NOWAIT: -EAGAIN");
	if (ring_submit(&r, IORING_OP_READ, fd, buf, sizeof(buf), NO_OFFSET, 0) < 0)
		die("io_uring_enter");
	errno = 0;
	ok(ring_wait(&r, 200, &res) < 0 && errno == ETIME,
	   "io_uring READ of an empty channel without RWF_NOWAIT waits for a message");
	other = must_open_chan(0, 86);
	is_int(write(other, "arrived", 7), 7, "another file writes the channel");
	res = 0;
	ok(ring_wait(&r, 5000, &res) == 0 && res == 7 && memcmp(buf, "arrived", 7) == 0,
	   "and the waiting READ completes with that message (%d)", res);
	close(other);
	close(fd);
	close(r.fd);
}

/* ---- What the kernel answers before the driver runs ---------------------- */

static void test_vfs_first(void)
{
	unsigned char buf[MSG_SLOT_MAX_LEN];
	static struct iovec many[1025];
	struct iovec v[2];
	int fd = open(slot_path(0), O_RDWR), i;

	if (fd < 0)
		die("open");
	memset(buf, 'v', sizeof(buf));
	/* No channel: the driver would say EINVAL. */
	is_errno(raw_read(fd, buf, (size_t)1 << 62), EFAULT,
		 "read of 2^62 bytes, no channel: EFAULT (access_ok), not EINVAL");
	is_errno(raw_write(fd, buf, (size_t)1 << 62), EFAULT,
		 "write of 2^62 bytes, no channel: EFAULT (access_ok), not EINVAL");
	is_errno(raw_read(fd, NULL, (size_t)1 << 62), EFAULT, "read of 2^62 bytes into NULL: EFAULT");
	v[0] = IOV(buf, 0);
	is_int(readv(fd, v, 1), 0, "readv of 0 bytes, no channel: 0 (the VFS skips the driver)");
	is_int(writev(fd, v, 1), 0, "writev of 0 bytes, no channel: 0, not EINVAL");
	is_int(writev(fd, v, 0), 0, "writev of no segments: 0");
	v[0] = IOV(-4096L, 0);
	is_errno(writev(fd, v, 1), EFAULT, "writev with a kernel address (even of 0 bytes): EFAULT");

	if (ioctl(fd, MSG_SLOT_CHANNEL, 87UL) < 0)
		die("ioctl");
	is_int(write(fd, "kept", 4), 4, "a message on channel 87");
	is_errno(raw_write(fd, buf, (size_t)1 << 62), EFAULT,
		 "write of 2^62 bytes with a channel: EFAULT, not EMSGSIZE");
	v[0] = IOV(buf, 0);
	v[1] = IOV(NULL, 0);
	is_int(writev(fd, v, 2), 0, "writev of 0 bytes in all: 0, not EMSGSIZE (nor EINVAL for NULL)");
	for (i = 0; i < 1025; i++)
		many[i] = IOV(buf, i == 0);
	is_errno(writev(fd, many, 1025), EINVAL, "writev of 1025 segments (over IOV_MAX): EINVAL");
	is_int(writev(fd, many, 1024), 1, "writev of 1024 segments: the driver runs (1 byte)");
	v[0] = IOV(buf, (size_t)-1);
	is_errno(writev(fd, v, 1), EINVAL, "writev with a negative segment length: EINVAL");
	v[0] = IOV(buf, 4);
	is_errno(preadv2(fd, v, 1, -1, 0x40000000), EOPNOTSUPP, "preadv2 with an unknown flag: EOPNOTSUPP");
	is_errno(preadv2(fd, v, 1, -2, 0), EINVAL, "preadv2 at offset -2: EINVAL");
	close(fd);
}

static void test_vfs_ioctls(void)
{
	struct fiemap fm;
	int fd = must_open_chan(0, 88), flags, bsz = 0, on = 1, off = 0;
	unsigned char b[8];
	long long qsize;

	if (write(fd, "chan 88", 7) != 7)
		die("write");
	is_int(ioctl(fd, FIONBIO, &on), 0, "FIONBIO: 0 (do_vfs_ioctl)");
	flags = fcntl(fd, F_GETFL);
	ok(flags >= 0 && (flags & O_NONBLOCK), "and the file is O_NONBLOCK (nothing in the driver waits)");
	is_int(ioctl(fd, FIONBIO, &off), 0, "FIONBIO off: 0");
	is_int(ioctl(fd, FIOCLEX), 0, "FIOCLEX: 0");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "and the descriptor is close-on-exec");
	is_int(ioctl(fd, FIONCLEX), 0, "FIONCLEX: 0");
	ok(!(fcntl(fd, F_GETFD) & FD_CLOEXEC), "and it is not any more");
	is_errno(ioctl(fd, FIOASYNC, &on), ENOTTY, "FIOASYNC on: ENOTTY (no fasync)");
	is_int(ioctl(fd, FIOASYNC, &off), 0, "FIOASYNC off: 0 (nothing to change)");
	is_int(ioctl(fd, T8_FIGETBSZ, &bsz), 0, "FIGETBSZ: 0");
	ok(bsz > 0, "with the block size of the node's file system (%d)", bsz);
	memset(&fm, 0, sizeof(fm));
	is_errno(ioctl(fd, T8_FS_IOC_FIEMAP, &fm), EOPNOTSUPP, "FS_IOC_FIEMAP: EOPNOTSUPP");
	is_errno(ioctl(fd, FIOQSIZE, &qsize), ENOTTY, "FIOQSIZE: ENOTTY");
	is_errno(ioctl(fd, FIONREAD, &on), EINVAL, "FIONREAD reaches the driver: EINVAL");
	ok(read(fd, b, sizeof(b)) == 7 && memcmp(b, "chan 88", 7) == 0,
	   "none of them changed the file's channel");
	close(fd);
}

/*
 * io_uring's READ_FIXED and WRITE_FIXED: the buffer is one registered with
 * the ring, which the kernel holds as pages (not user addresses), so the
 * module gets an iterator over kernel pages. A message goes through it
 * both ways as through any buffer, and no NULL check refuses it.
 */
static void test_io_uring_fixed(void)
{
	static unsigned char area[4096] __attribute__((aligned(4096)));
	unsigned char msg[50], buf[MSG_SLOT_MAX_LEN];
	struct iovec reg = IOV(area, sizeof(area));
	struct ring r;
	int fd;

	if (ring_init(&r) < 0) {
		char why[96];

		snprintf(why, sizeof(why), "no io_uring on this kernel: %s", strerror(errno));
		tap_skip_case(why);
	}
	if (syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_BUFFERS, &reg, 1) < 0)
		die("register a buffer with the ring");
	fd = open(slot_path(0), O_RDWR);
	if (fd < 0 || ioctl(fd, MSG_SLOT_CHANNEL, 89UL) < 0)
		die("open and select channel 89");
	fill_msg(msg, sizeof(msg), 12);
	memcpy(area, msg, sizeof(msg));
	is_int(ring_do(&r, IORING_OP_WRITE_FIXED, fd, area, sizeof(msg), NO_OFFSET, 0),
	       (long)sizeof(msg), "io_uring WRITE_FIXED of 50 bytes from a registered buffer: 50");
	ok(holds(fd, msg, sizeof(msg)), "read() returns them");
	memset(area, 0, sizeof(area));
	is_int(ring_do(&r, IORING_OP_READ_FIXED, fd, area + 100, 128, NO_OFFSET, 0),
	       (long)sizeof(msg), "io_uring READ_FIXED into the registered buffer: 50");
	ok(memcmp(area + 100, msg, sizeof(msg)) == 0, "the bytes written");
	is_int(ring_do(&r, IORING_OP_READ_FIXED, fd, area, 49, NO_OFFSET, 0), -ENOSPC,
	       "io_uring READ_FIXED of 49 bytes: -ENOSPC");
	is_int(write(fd, "x", 1), 1, "a 1-byte message by write()");
	is_int(ring_do(&r, IORING_OP_READ_FIXED, fd, buf, 1, NO_OFFSET, 0), -EFAULT,
	       "io_uring READ_FIXED outside the registered buffer: -EFAULT");
	close(fd);
	close(r.fd);
}

/* Before the first case: the page size and the mapped regions. */
int main(void)
{
	static const struct tap_case cases[] = {
		TAP_CASE(test_writev, 60),
		TAP_CASE(test_writev_faults, 60),
		TAP_CASE(test_readv, 60),
		TAP_CASE(test_preadv2, 60),
		TAP_CASE(test_io_uring, 60),
		TAP_CASE(test_vfs_first, 60),
		TAP_CASE(test_vfs_ioctls, 60),
		TAP_CASE(test_io_uring_fixed, 60),
	};

	page = sysconf(_SC_PAGESIZE);
	map_regions(1);
	return tap_main(cases, sizeof(cases) / sizeof(cases[0]));
}
