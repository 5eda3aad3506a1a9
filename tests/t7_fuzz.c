// SPDX-License-Identifier: GPL-2.0
/*
 * t7_fuzz.c - random operations on the real device, checked against the
 * reference model of tests/model.h, and a multi-process variant checked
 * against invariants.
 *
 * Single process: open, close, dup, ioctl (valid ids, 0, 4294967295,
 * over 32 bits, ids from a small pool and from the whole range, unknown
 * commands, MSG_SLOT_DELETE), write (0 to 300 bytes, NULL, unmapped and half-mapped
 * buffers, binary content), read (buffers too small, exact, large;
 * NULL, unmapped, half-mapped), and writev and readv of 1 to 4 segments,
 * each empty or not, NULL, unmapped, half-mapped or mapped, over several
 * fresh minors and many files.
 * After every operation the return value, errno and bytes must match the
 * model's; on the first divergence it prints the seed, the operation
 * number and the last operations on that slot and channel, and fails.
 *
 * Several processes: they share slots and channels, so what a read
 * returns cannot be predicted; instead every read must return a whole
 * message some process wrote to that channel (writer, channel, sequence
 * number and checksum inside), never one older than a message this file
 * already read there from the same writer, and every error must be one
 * the contract allows. Some ioctls delete the file's channel, which
 * must answer 0 or ENOENT. A quarter of the writes are writev and a quarter
 * of the reads readv, of two segments split at random.
 *
 * Under the debug kernel, failslab fails about 1 in 10 of the fuzzing
 * processes' allocations: open, dup and write may then fail with ENOMEM,
 * and the model must stay in step (the call changed nothing).
 *
 * Environment: MS_FUZZ_SEED (default: seed 1, then a fresh seed),
 * MS_FUZZ_OPS (default 150000 per seed), MS_KERNEL.
 */
#define _GNU_SOURCE

#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"
#include "model.h"

#define NSLOTS 3
#define MAXFILES 24
#define POOL 8
#define TRACE 8192
#define MP_PROCS 3
#define MP_OPS 20000u

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int rnd(unsigned int n)
{
	return (unsigned int)(rnd64() % n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int debug;		/* failslab may be turned on */
static unsigned long injected;	/* calls failed by failslab, model kept in step */
static int injecting;		/* failslab is on for this process */

static int make_it_fail = -1;	/* this process's /proc/self/make-it-fail */

/*
 * Turn failslab on or off for this process. The file is opened once per
 * process, while nothing fails: opening it with failslab on may fail.
 */
static void inject_faults(int on)
{
	static pid_t opened_by;

	if (opened_by != getpid()) {
		if (make_it_fail >= 0)
			close(make_it_fail);	/* the parent's */
		make_it_fail = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
		if (make_it_fail < 0)
			die("/proc/self/make-it-fail");
		opened_by = getpid();
	}
	if (pwrite(make_it_fail, on ? "1" : "0", 1, 0) != 1)
		die("write /proc/self/make-it-fail");
	injecting = on;
}

/*
 * Zeroed memory for the model and the fuzzer's own state. The heap grows
 * with brk() and mmap(), whose kernel allocations failslab fails too, so
 * with faults on calloc() may return NULL: it is then asked again with
 * them off. Out of memory for real, the program ends.
 */
static void *model_zalloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p && injecting) {
		inject_faults(0);
		p = calloc(1, size);
		inject_faults(1);
	}
	if (!p)
		abort();
	return p;
}

/* Under the debug kernel: failslab for tasks that ask, 1 in 10. */
static void setup_failslab(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/task-filter", "Y" },
		{ "/sys/kernel/debug/failslab/probability", "10" },
		{ "/sys/kernel/debug/failslab/interval", "1" },
		{ "/sys/kernel/debug/failslab/times", "-1" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	};
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (write_file(knobs[i][0], knobs[i][1]) < 0)
			die("%s", knobs[i][0]);
}

/* ---- Buffers -------------------------------------------------------------- */

static unsigned char *area;	/* 2 mapped pages, then a hole */
static long page;

/*
 * Pick a buffer ending at most at @hole, an unmapped page: NULL, in the
 * hole, half-mapped (up to @max_half bytes before the hole), or mapped (at
 * @start plus up to @spread, with @mapped bytes readable). Its address,
 * and what the model knows of it in @b.
 */
static unsigned char *pick_in(unsigned char *start, unsigned char *hole, unsigned int max_half,
			      size_t mapped, unsigned int spread, struct model_buf *b, char *kind)
{
	unsigned int r = rnd(100);

	b->is_null = 0;
	if (r < 3) {
		b->is_null = 1;
		b->mapped = 0;
		*kind = 'N';
		return NULL;
	}
	if (r < 6) {
		b->mapped = 0;
		*kind = 'U';
		return hole;
	}
	if (r < 16) {
		size_t k = 1 + rnd(max_half);

		b->mapped = k;
		*kind = 'H';
		return hole - k;
	}
	b->mapped = mapped;
	*kind = 'M';
	return start + rnd(spread);
}

/* A buffer for read or write: in area. */
static unsigned char *pick_buf(struct model_buf *b, char *kind)
{
	return pick_in(area, area + 2 * page, 300, (size_t)page, (unsigned int)page, b, kind);
}

/*
 * Segments of vectors: MODEL_MAX_SEGS regions of one mapped page followed
 * by a hole, one per segment, so that segments never overlap.
 */
static unsigned char *seg_area;

/* Segment @i of a vector, of @len bytes if it is mapped. */
static unsigned char *pick_seg(int i, size_t len, struct model_buf *b, char *kind)
{
	unsigned char *region = seg_area + 2 * page * i;

	return pick_in(region, region + page, 150, len, (unsigned int)(page - 512), b, kind);
}

/* ---- Files ------------------------------------------------------------------ */

struct entry {
	int fd;			/* -1: free */
	int slot;
	struct model_file *mf;
};

static struct entry files[MAXFILES];
static struct model_slot *mslots[NSLOTS];
static char slot_paths[NSLOTS][64];
static uint32_t pool[POOL];

/* ---- The trace ---------------------------------------------------------- */

struct rec {
	unsigned long op;
	char what[80];
	int slot;
	uint32_t channel;
};

static struct rec trace[TRACE];
static unsigned long nops;

static void record(int slot, uint32_t channel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void record(int slot, uint32_t channel, const char *fmt, ...)
{
	struct rec *r = &trace[nops % TRACE];
	va_list ap;

	r->op = nops;
	r->slot = slot;
	r->channel = channel;
	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
}

static uint64_t seed_used;
static unsigned long divergences;

static void diverge(int slot, uint32_t channel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diverge(int slot, uint32_t channel, const char *fmt, ...)
{
	unsigned long i, first = nops >= TRACE ? nops - TRACE + 1 : 0, shown = 0;
	char what[256];
	va_list ap;

	divergences++;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tap_diag("DIVERGENCE: seed %llu, operation %lu: %s", (unsigned long long)seed_used,
		 nops, what);
	tap_diag("reproduce: make fuzz SEED=%llu OPS=%lu", (unsigned long long)seed_used,
		 nops + 1);
	tap_diag("last operations on slot %d channel %u:", slot, channel);
	for (i = nops + 1; i-- > first && shown < 20;) {
		struct rec *r = &trace[i % TRACE];

		if (r->slot == slot && (r->channel == channel || r->channel == 0)) {
			tap_diag("  %lu: %s", r->op, r->what);
			shown++;
		}
	}
}

/* Compare a real result with the model's (-errno form). */
static int same(long real, int err, long model)
{
	return real >= 0 ? real == model : model == -err;
}

/* ---- Operations ------------------------------------------------------------- */

static int free_entry(void)
{
	int i;

	for (i = 0; i < MAXFILES; i++)
		if (files[i].fd < 0)
			return i;
	return -1;
}

static int used_entry(void)
{
	int i, start = (int)rnd(MAXFILES);

	for (i = 0; i < MAXFILES; i++) {
		int k = (start + i) % MAXFILES;

		if (files[k].fd >= 0)
			return k;
	}
	return -1;
}

static void op_open(void)
{
	int e = free_entry(), slot = (int)rnd(NSLOTS), fd;

	if (e < 0)
		return;
	fd = open(slot_paths[slot], O_RDWR);
	record(slot, 0, "open slot %d -> %d (%s)", slot, fd, fd < 0 ? strerror(errno) : "ok");
	if (fd < 0) {
		if (injecting && errno == ENOMEM)
			injected++;
		else
			diverge(slot, 0, "open failed: %s", strerror(errno));
		return;
	}
	files[e].fd = fd;
	files[e].slot = slot;
	files[e].mf = model_zalloc(sizeof(*files[e].mf));
	files[e].mf->slot = mslots[slot];
	files[e].mf->refs = 1;
}

static void op_close(void)
{
	int e = used_entry();

	if (e < 0)
		return;
	record(files[e].slot, files[e].mf->channel, "close fd %d", files[e].fd);
	if (close(files[e].fd) < 0)
		diverge(files[e].slot, files[e].mf->channel, "close: %s", strerror(errno));
	if (--files[e].mf->refs == 0)
		free(files[e].mf);
	files[e].fd = -1;
}

static void op_dup(void)
{
	int e = used_entry(), n = free_entry(), fd;

	if (e < 0 || n < 0)
		return;
	fd = dup(files[e].fd);
	record(files[e].slot, files[e].mf->channel, "dup fd %d -> %d", files[e].fd, fd);
	if (fd < 0) {
		if (injecting && errno == ENOMEM)
			injected++;
		else
			diverge(files[e].slot, files[e].mf->channel, "dup: %s", strerror(errno));
		return;
	}
	files[n] = files[e];
	files[n].fd = fd;
	files[n].mf->refs++;
}

static unsigned long pick_id(unsigned long *cmd)
{
	unsigned int r = rnd(100);

	*cmd = MSG_SLOT_CHANNEL;
	if (r < 4) {
		/* An unknown command of our type (the VFS answers others). */
		do {
			*cmd = (unsigned long)(rnd64() & 0xffff00ffu) | (MSG_SLOT_MAJOR << 8);
		} while (*cmd == MSG_SLOT_CHANNEL || *cmd == MSG_SLOT_CHANNEL_LONG ||
			 *cmd == MSG_SLOT_DELETE);
		return 1 + rnd(5);
	}
	if (r < 4 + 8) {
		/* Delete the file's channel; the argument is not used. */
		*cmd = MSG_SLOT_DELETE;
		return rnd(2) ? 0 : (unsigned long)rnd64();
	}
	if (r < 16)
		return 0;
	if (r < 19)
		return 4294967295ul;
	if (r < 21)
		return (1ul << 32) + rnd(1000);
	if (r < 33)
		return (unsigned long)(uint32_t)rnd64();
	return pool[rnd(POOL)];
}

static void op_ioctl(void)
{
	int e = used_entry();
	unsigned long cmd, id;
	long real, model;
	int err;

	if (e < 0)
		return;
	id = pick_id(&cmd);
	real = ioctl(files[e].fd, cmd, id);
	err = errno;
	model = model_ioctl(files[e].mf, cmd, id);
	record(files[e].slot, files[e].mf->channel, "ioctl fd %d cmd %#lx id %lu -> %ld/%d model %ld",
	       files[e].fd, cmd, id, real, real < 0 ? err : 0, model);
	if (!same(real, err, model))
		diverge(files[e].slot, files[e].mf->channel, "ioctl returned %ld (%s), model %ld (%s)",
			real, real < 0 ? strerror(err) : "-", model,
			model < 0 ? strerror((int)-model) : "-");
}

static size_t pick_len(void)
{
	unsigned int r = rnd(100);

	if (r < 5)
		return 0;
	if (r < 15)
		return MSG_SLOT_MAX_LEN + 1 + rnd(300 - MSG_SLOT_MAX_LEN);
	if (r < 25)
		return MSG_SLOT_MAX_LEN;
	return 1 + rnd(MSG_SLOT_MAX_LEN);
}

static void op_write(void)
{
	int e = used_entry();
	struct model_buf b;
	unsigned char *buf;
	long real, model;
	size_t n, i;
	char kind;
	int err;

	if (e < 0)
		return;
	buf = pick_buf(&b, &kind);
	n = pick_len();
	for (i = 0; buf && i < n && i < b.mapped; i++)
		buf[i] = (unsigned char)rnd64();
	real = raw_write(files[e].fd, buf, n);
	err = errno;
	if (real < 0 && err == ENOMEM && injecting &&
	    model_write_check(files[e].mf, b, n) == 0) {
		model = -ENOMEM;	/* an injected failure: nothing stored */
		injected++;
	} else {
		model = model_write(files[e].mf, b, buf, n);
	}
	record(files[e].slot, files[e].mf->channel, "write fd %d buf %c/%zu n %zu -> %ld/%d model %ld",
	       files[e].fd, kind, b.mapped, n, real, real < 0 ? err : 0, model);
	if (!same(real, err, model))
		diverge(files[e].slot, files[e].mf->channel, "write returned %ld (%s), model %ld (%s)",
			real, real < 0 ? strerror(err) : "-", model,
			model < 0 ? strerror((int)-model) : "-");
}

static size_t pick_read_size(struct model_file *mf)
{
	struct model_channel *c = mf->channel ? model_find(mf->slot, mf->channel) : NULL;
	unsigned int r = rnd(100);

	if (c && r < 30)
		return c->len;				/* exact */
	if (c && r < 45)
		return rnd((unsigned int)c->len);	/* too small */
	if (r < 50)
		return 0;
	return MSG_SLOT_MAX_LEN + rnd(200);		/* large */
}

static void op_read(void)
{
	int e = used_entry();
	const unsigned char *want = NULL;
	struct model_buf b;
	unsigned char *buf;
	long real, model;
	size_t n;
	char kind;
	int err;

	if (e < 0)
		return;
	buf = pick_buf(&b, &kind);
	n = pick_read_size(files[e].mf);
	real = raw_read(files[e].fd, buf, n);
	err = errno;
	model = model_read(files[e].mf, b, n, &want);
	record(files[e].slot, files[e].mf->channel, "read fd %d buf %c/%zu n %zu -> %ld/%d model %ld",
	       files[e].fd, kind, b.mapped, n, real, real < 0 ? err : 0, model);
	if (!same(real, err, model))
		diverge(files[e].slot, files[e].mf->channel, "read returned %ld (%s), model %ld (%s)",
			real, real < 0 ? strerror(err) : "-", model,
			model < 0 ? strerror((int)-model) : "-");
	else if (real > 0 && (!want || memcmp(buf, want, (size_t)real) != 0))
		diverge(files[e].slot, files[e].mf->channel, "read returned the wrong %ld bytes", real);
}

/* A vector's segments, as the kernel and the model see them. */
struct vec {
	struct model_vec m;
	struct iovec iov[MODEL_MAX_SEGS];
	char kinds[MODEL_MAX_SEGS + 1];
};

/* Segments of @total bytes in all, split at random. */
static void pick_vec(struct vec *v, size_t total)
{
	size_t left = total;
	int i;

	v->m.nsegs = 1 + (int)rnd(MODEL_MAX_SEGS);
	for (i = 0; i < v->m.nsegs; i++) {
		size_t len = i == v->m.nsegs - 1 ? left : rnd((unsigned int)left + 1);

		if (rnd(8) == 0)
			len = 0;
		left -= len;
		v->m.len[i] = len;
		v->iov[i].iov_base = pick_seg(i, len, &v->m.buf[i], &v->kinds[i]);
		v->iov[i].iov_len = len;
	}
	v->kinds[v->m.nsegs] = '\0';
}

static void op_writev(void)
{
	unsigned char data[MODEL_MAX_SEGS * MSG_SLOT_MAX_LEN * 3];
	int e = used_entry(), i;
	size_t total = 0, j;
	long real, model;
	struct vec v;
	int err;

	if (e < 0)
		return;
	pick_vec(&v, pick_len());
	for (i = 0; i < v.m.nsegs; i++) {
		unsigned char *base = v.iov[i].iov_base;

		for (j = 0; base && j < v.m.len[i] && j < v.m.buf[i].mapped; j++)
			base[j] = (unsigned char)rnd64();
		if (base && v.m.buf[i].mapped >= v.m.len[i])
			memcpy(data + total, base, v.m.len[i]);
		total += v.m.len[i];
	}
	real = writev(files[e].fd, v.iov, v.m.nsegs);
	err = errno;
	if (real < 0 && err == ENOMEM && injecting && total &&
	    model_writev_check(files[e].mf, &v.m) == 0) {
		model = -ENOMEM;	/* an injected failure: nothing stored */
		injected++;
	} else {
		model = model_writev(files[e].mf, &v.m, data);
	}
	record(files[e].slot, files[e].mf->channel, "writev fd %d segs %s n %zu -> %ld/%d model %ld",
	       files[e].fd, v.kinds, total, real, real < 0 ? err : 0, model);
	if (!same(real, err, model))
		diverge(files[e].slot, files[e].mf->channel, "writev returned %ld (%s), model %ld (%s)",
			real, real < 0 ? strerror(err) : "-", model,
			model < 0 ? strerror((int)-model) : "-");
}

static void op_readv(void)
{
	const unsigned char *want = NULL;
	int e = used_entry(), i;
	size_t off = 0, left;
	long real, model;
	struct vec v;
	int err, right = 1;

	if (e < 0)
		return;
	pick_vec(&v, pick_read_size(files[e].mf));
	real = readv(files[e].fd, v.iov, v.m.nsegs);
	err = errno;
	model = model_readv(files[e].mf, &v.m, &want);
	left = real > 0 ? (size_t)real : 0;
	for (i = 0; i < v.m.nsegs && left; i++) {
		size_t part = v.m.len[i] < left ? v.m.len[i] : left;

		if (!want || memcmp(v.iov[i].iov_base, want + off, part) != 0)
			right = 0;
		off += part;
		left -= part;
	}
	record(files[e].slot, files[e].mf->channel, "readv fd %d segs %s n %zu -> %ld/%d model %ld",
	       files[e].fd, v.kinds, model_vec_total(&v.m), real, real < 0 ? err : 0, model);
	if (!same(real, err, model))
		diverge(files[e].slot, files[e].mf->channel, "readv returned %ld (%s), model %ld (%s)",
			real, real < 0 ? strerror(err) : "-", model,
			model < 0 ? strerror((int)-model) : "-");
	else if (!right)
		diverge(files[e].slot, files[e].mf->channel,
			"readv put the wrong bytes in the segments (%ld)", real);
}

/* One seed: @ops operations on fresh minors from @minor_base. */
static void fuzz_one(uint64_t seed, unsigned long ops, unsigned int minor_base)
{
	double t0, t;
	int i;

	seed_used = seed;
	rng_state = seed;
	divergences = 0;
	injected = 0;
	nops = 0;
	for (i = 0; i < NSLOTS; i++) {
		snprintf(slot_paths[i], sizeof(slot_paths[i]), "/tmp/fuzz_slot%u",
			 minor_base + (unsigned int)i);
		if (make_node(slot_paths[i], MSG_SLOT_MAJOR, minor_base + (unsigned int)i) < 0)
			die("mknod %s", slot_paths[i]);
		mslots[i] = model_zalloc(sizeof(*mslots[i]));
	}
	for (i = 0; i < POOL; i++)
		pool[i] = 1 + rnd(20);
	pool[0] = 4294967295u;
	for (i = 0; i < MAXFILES; i++)
		files[i].fd = -1;

	if (debug)
		inject_faults(1);
	t0 = now();
	for (nops = 0; nops < ops && divergences == 0; nops++) {
		unsigned int r = rnd(100);

		if (r < 5)
			op_open();
		else if (r < 8)
			op_close();
		else if (r < 10)
			op_dup();
		else if (r < 30)
			op_ioctl();
		else if (r < 57)
			op_write();
		else if (r < 65)
			op_writev();
		else if (r < 90)
			op_read();
		else
			op_readv();
	}
	t = now() - t0;
	if (debug)
		inject_faults(0);

	ok(divergences == 0, "fuzz seed %llu: %lu operations on minors %u..%u, %lu divergences "
	   "(%.0f operations/s; %lu calls failed by failslab)", (unsigned long long)seed, nops,
	   minor_base, minor_base + NSLOTS - 1, divergences, (double)nops / t, injected);

	for (i = 0; i < MAXFILES; i++) {
		if (files[i].fd >= 0) {
			close(files[i].fd);
			if (--files[i].mf->refs == 0)
				free(files[i].mf);
		}
	}
	for (i = 0; i < NSLOTS; i++) {
		int b;

		for (b = 0; b < MODEL_BUCKETS; b++) {
			struct model_channel *c = mslots[i]->buckets[b], *next;

			for (; c; c = next) {
				next = c->next;
				free(c);
			}
		}
		free(mslots[i]);
		unlink(slot_paths[i]);
	}
}

/* ---- Several processes ------------------------------------------------------ */

static int mp_worker(unsigned int me, uint64_t seed)
{
	/* last[file][channel][writer]: newest seq this file read there. */
	static uint32_t last[4][POOL][MP_PROCS];
	unsigned char m[MSG_SLOT_MAX_LEN];
	uint32_t seq = 0, chan[4] = { 0 };
	int fds[4], slot_of[4], i;
	int bad = 0;
	unsigned long k;

	rng_state = seed * 1000003u + me;
	for (i = 0; i < 4; i++) {
		slot_of[i] = (int)rnd(2);
		fds[i] = open(slot_paths[slot_of[i]], O_RDWR);
		if (fds[i] < 0)
			return 2;
	}
	if (debug)
		inject_faults(1);
	for (k = 0; k < MP_OPS && !bad; k++) {
		unsigned int r = rnd(100), writer;
		int f = (int)rnd(4);
		uint32_t got;
		ssize_t n;

		if (r < 20 || chan[f] == 0) {
			chan[f] = 1 + rnd(POOL);
			if (ioctl(fds[f], MSG_SLOT_CHANNEL, (unsigned long)chan[f]) < 0)
				bad = 1;
		} else if (r < 23) {
			if (ioctl(fds[f], MSG_SLOT_DELETE) < 0 && errno != ENOENT)
				bad = 7;
		} else if (r < 55) {
			size_t len = SC_MIN_LEN + rnd(MSG_SLOT_MAX_LEN - SC_MIN_LEN + 1);

			sc_make(m, len, me, chan[f], ++seq);
			if (rnd(4) == 0) {
				size_t cut = rnd((unsigned int)len + 1);
				struct iovec v[2] = {
					{ .iov_base = m, .iov_len = cut },
					{ .iov_base = m + cut, .iov_len = len - cut },
				};

				n = writev(fds[f], v, 2);
			} else {
				n = write(fds[f], m, len);
			}
			if (n != (ssize_t)len && !(n < 0 && errno == ENOMEM && injecting))
				bad = 3;
		} else {
			if (rnd(4) == 0) {
				size_t cut = rnd(sizeof(m) + 1);
				struct iovec v[2] = {
					{ .iov_base = m, .iov_len = cut },
					{ .iov_base = m + cut, .iov_len = sizeof(m) - cut },
				};

				n = readv(fds[f], v, 2);
			} else {
				n = read(fds[f], m, sizeof(m));
			}
			if (n < 0) {
				if (errno != EWOULDBLOCK)
					bad = 4;
			} else if (sc_check(m, n, chan[f], &writer, &got) < 0 || writer >= MP_PROCS) {
				bad = 5;
			} else if (got < last[f][chan[f] - 1][writer]) {
				bad = 6;
			} else {
				last[f][chan[f] - 1][writer] = got;
			}
		}
	}
	if (bad)
		tap_diag("process %u: %s at operation %lu", me,
		       bad == 3 ? "a write failed" : bad == 4 ? "a read failed with an error outside the contract" :
		       bad == 5 ? "a read returned a torn message or another channel's" :
		       bad == 6 ? "a read went back in time" :
		       bad == 7 ? "a delete failed with an error other than ENOENT" : "ioctl failed", k);
	return bad;
}

static int mp_process(int i, void *arg)
{
	int ret = mp_worker((unsigned int)i, *(const uint64_t *)arg);

	if (debug)
		inject_faults(0);
	return ret;
}

static void fuzz_processes(uint64_t seed, unsigned int minor_base)
{
	int i, clean;

	for (i = 0; i < 2; i++) {
		snprintf(slot_paths[i], sizeof(slot_paths[i]), "/tmp/fuzz_mp%u",
			 minor_base + (unsigned int)i);
		if (make_node(slot_paths[i], MSG_SLOT_MAJOR, minor_base + (unsigned int)i) < 0)
			die("mknod");
	}
	clean = run_gated(MP_PROCS, mp_process, &seed);
	ok(clean, "fuzz seed %llu, %d processes x %u operations on shared slots: every read a "
	   "whole message of its channel, none older than one read before, only allowed errors",
	   (unsigned long long)seed, MP_PROCS, MP_OPS);
	for (i = 0; i < 2; i++)
		unlink(slot_paths[i]);
}

/* The seeds and the length of a run, set by main() before the first case. */
static uint64_t seed_fixed = 1, seed_fresh;
static unsigned long ops = 150000;

/* Each process needs the buffers; under the debug kernel, failslab. */
static void fuzz_setup(void)
{
	int i;

	page = sysconf(_SC_PAGESIZE);
	area = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (area == MAP_FAILED || munmap(area + 2 * page, (size_t)page) < 0)
		die("mmap");
	seg_area = mmap(NULL, (size_t)page * 2 * MODEL_MAX_SEGS, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (seg_area == MAP_FAILED)
		die("mmap");
	for (i = 0; i < MODEL_MAX_SEGS; i++)
		if (mprotect(seg_area + page * (2 * i + 1), (size_t)page, PROT_NONE) < 0)
			die("mprotect");
	debug = debug_kernel();
	if (debug) {
		setup_failslab();
		tap_diag("failslab: about 1 in 10 allocations of the fuzzing processes fail");
	}
}

static void test_fuzz_fixed_seed(void)
{
	fuzz_setup();
	fuzz_one(seed_fixed, ops, 5000);
}

static void test_fuzz_fresh_seed(void)
{
	fuzz_setup();
	fuzz_one(seed_fresh, ops, 5010);
}

static void test_processes_fixed_seed(void)
{
	fuzz_setup();
	fuzz_processes(seed_fixed, 5100);
}

static void test_processes_fresh_seed(void)
{
	fuzz_setup();
	fuzz_processes(seed_fresh, 5110);
}

/*
 * Seed 1 and a fresh seed, or only the seed of MS_FUZZ_SEED (make fuzz
 * SEED=N replays it). A case's time limit grows with MS_FUZZ_OPS.
 */
int main(void)
{
	const char *env_seed = getenv("MS_FUZZ_SEED"), *env_ops = getenv("MS_FUZZ_OPS");
	struct tap_case cases[] = {
		TAP_CASE(test_fuzz_fixed_seed, 0),
		TAP_CASE(test_processes_fixed_seed, 300),
		TAP_CASE(test_fuzz_fresh_seed, 0),
		TAP_CASE(test_processes_fresh_seed, 300),
	};
	int fd;

	if (env_ops && *env_ops)
		ops = strtoul(env_ops, NULL, 10);
	cases[0].timeout = cases[2].timeout = 60 + (unsigned int)(ops / 2000);
	if (env_seed && *env_seed) {
		seed_fixed = strtoull(env_seed, NULL, 10);
		tap_line(0, "# seed %llu; %lu operations", (unsigned long long)seed_fixed, ops);
		return tap_main(cases, 2);
	}
	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, &seed_fresh, sizeof(seed_fresh)) != sizeof(seed_fresh)) {
		perror("/dev/urandom");
		return 1;
	}
	close(fd);
	seed_fresh %= 1000000000000ull;
	tap_line(0, "# seeds: 1 (fixed) and %llu (fresh); reproduce one with make fuzz SEED=N OPS=%lu",
		 (unsigned long long)seed_fresh, ops);
	return tap_main(cases, 4);
}
