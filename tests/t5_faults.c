// SPDX-License-Identifier: GPL-2.0
/*
 * t5_faults.c - every allocation and user copy of open, ioctl, write and
 * read, and of the module's load, made to fail in turn, under the debug
 * kernel's fault injection.
 *
 * /proc/thread-self/fail-nth = N makes the N-th injectable call of this
 * task fail: a slab allocation (failslab) or a user copy (fail_usercopy).
 * Each walk sets N = 1, 2, 3, ... before one call until a call completes
 * with no fault injected: by then every injectable point of that call
 * has failed once. Each failed call must return ENOMEM or EFAULT and
 * leave everything as it was; a call that survived its fault must have
 * done its job. Writes and polls are also walked in slots whose tables
 * are past their size, where the table's insert itself allocates.
 *
 * On Debian's stock kernel there is no fault injection: every case says
 * so and skips.
 */
#define _GNU_SOURCE

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#include "common.h"

#define FAIL_NTH "/proc/thread-self/fail-nth"
#define KMEMLEAK "/sys/kernel/debug/kmemleak"
#define MODPROBE "/proc/sys/kernel/modprobe"
#define MAX_POINTS 200

static int nth_fd = -1;

/*
 * Fault injection needs the debug kernel: elsewhere the case skips. Opens
 * this task's fail-nth file, once per case (each case is its own process).
 */
static void need_fault_injection(void)
{
	if (!debug_kernel())
		tap_skip_case("fault injection needs the debug kernel: make test-debug");
	nth_fd = open(FAIL_NTH, O_RDWR);
	if (nth_fd < 0)
		die("open %s", FAIL_NTH);
}

/* Make the @n-th injectable call from now on fail. */
static void inject(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, (size_t)len, 0) != len)
		die("write %s", FAIL_NTH);
}

/*
 * Whether the injected fault fired, and reset. Reading a count not yet
 * down to 0 is itself an injectable user copy; either way it ends at 0.
 */
static int fired(void)
{
	char buf[16] = "";
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	int hit = n > 0 && buf[0] == '0';

	if (pwrite(nth_fd, "0", 1, 0) != 1 && errno != EFAULT)
		die("reset %s", FAIL_NTH);
	return hit;
}

struct walk {
	unsigned int points;	/* faults injected */
	unsigned int enomem, efault;
	unsigned int survived;	/* fault injected, call succeeded anyway */
	unsigned int wrong;	/* other errno, or state not as it must be */
	int finished;		/* a call ran with no fault left to inject */
};

/*
 * Classify one call: whether a fault fired in it (fired(), asked right
 * after the call, before any check can consume the fault), its result
 * and errno, and whether the state check held.
 */
static void account(struct walk *w, int hit, long ret, int err, int state_ok)
{
	if (!hit) {
		w->finished = 1;
		if (ret < 0 || !state_ok)
			w->wrong++;
		return;
	}
	w->points++;
	if (ret >= 0)
		w->survived++;
	else if (err == ENOMEM)
		w->enomem++;
	else if (err == EFAULT)
		w->efault++;
	else
		w->wrong++;
	if (!state_ok)
		w->wrong++;
}

static void report(const char *what, const struct walk *w)
{
	ok(w->finished && w->wrong == 0,
	   "%s: %u faults injected (%u ENOMEM, %u EFAULT, %u survived), every result and state right (%u wrong)",
	   what, w->points, w->enomem, w->efault, w->survived, w->wrong);
}

/* The message of channel @id of @fd's slot is @want (NULL: none). */
static int channel_is(int fd, unsigned long id, const void *want, size_t len)
{
	unsigned char buf[MSG_SLOT_MAX_LEN];
	ssize_t n;

	if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	if (!want)
		return n < 0 && errno == EWOULDBLOCK;
	return n == (ssize_t)len && memcmp(buf, want, len) == 0;
}

/*
 * Walk the injectable calls of a write of @msg, on channel @base + n for
 * the n-th call (@fresh) or on channel @base every time. Before each
 * write the channel gets @old (NULL: it stays absent); a failed write must
 * leave it so, a successful one must have stored @msg. A second file of
 * the slot looks. @flags: WALK_NEW_USER, the n-th write runs under real
 * uid 300000 + 64n, a user the module has not seen (the one channels are
 * charged to; the effective uid stays root's), 64 apart so that each
 * needs a node of the users map of its own; WALK_WRITEV, writev() of the
 * message's two halves in place of write(). Returns the walk, reported
 * as @what.
 */
#define WALK_NEW_USER 1
#define WALK_WRITEV 2
static struct walk walk_write(const char *what, unsigned long base, int fresh,
			      const void *msg, size_t len, const void *old, size_t old_len,
			      unsigned int flags)
{
	struct iovec halves[2] = {
		{ .iov_base = (void *)msg, .iov_len = len / 2 },
		{ .iov_base = (char *)msg + len / 2, .iov_len = len - len / 2 },
	};
	int new_user = flags & WALK_NEW_USER;
	struct walk w = { 0 };
	unsigned int n;
	int fd = must_open_chan(0, base), check = must_open_chan(0, base);

	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		unsigned long id = fresh ? base + n : base;
		long ret;
		int err, hit;

		ioctl(fd, MSG_SLOT_CHANNEL, id);
		if (old && write(fd, old, old_len) != (ssize_t)old_len)
			die("write the message before the injected write");
		if (new_user && setresuid(300000 + 64 * n, -1, -1) < 0)
			die("setresuid");
		inject(n);
		ret = flags & WALK_WRITEV ? writev(fd, halves, 2) : write(fd, msg, len);
		err = errno;
		hit = fired();
		if (new_user && setresuid(0, -1, -1) < 0)
			die("setresuid back to root");
		account(&w, hit, ret, err, ret < 0 ? channel_is(check, id, old, old_len) :
						    channel_is(check, id, msg, len));
	}
	report(what, &w);
	close(fd);
	close(check);
	return w;
}

/*
 * Writes that create a channel, from channel @base + 1 on, with
 * walk_write()'s @flags: on failure the channel stays absent.
 */
static void create_walk(const char *what, unsigned long base, unsigned int flags)
{
	unsigned char msg[40];
	struct walk w;

	need_fault_injection();
	fill_msg(msg, sizeof(msg), 1);
	w = walk_write(what, base, 1, msg, sizeof(msg), NULL, 0, flags);
	ok(w.efault >= 1 && w.enomem >= 1,
	   "that walk failed the copy from user space (EFAULT) and the channel allocation (ENOMEM)");
}

static void test_create(void)
{
	create_walk("write creating a channel", 500000, 0);
}

/* Writes that replace a 1-byte channel by a larger one. */
static void test_grow(void)
{
	unsigned char msg[MSG_SLOT_MAX_LEN];
	struct walk w;

	need_fault_injection();
	fill_msg(msg, sizeof(msg), 2);
	w = walk_write("write growing a channel to 128 bytes", 600000, 1, msg, sizeof(msg),
		       "s", 1, 0);
	ok(w.enomem >= 1, "that walk failed the larger channel's allocation (ENOMEM)");
}

/*
 * The first channel of a user never seen before: the write also makes the
 * user's record, and the user map's node for it (ms_user_get()). Each
 * write runs under a new real uid (walk_write()'s @new_user), and a
 * failed write leaves no channel.
 */
static void test_new_user(void)
{
	unsigned char msg[16];
	struct walk w;

	need_fault_injection();
	fill_msg(msg, sizeof(msg), 9);
	w = walk_write("write creating a new user's first channel", 800000, 1, msg, sizeof(msg),
		       NULL, 0, WALK_NEW_USER);
	/*
	 * The map node's allocation is tried without sleeping under the
	 * map's lock first, then again outside it: one injected fault
	 * fails only one of the two, and the write goes on.
	 */
	ok(w.enomem >= 2,
	   "that walk failed the user's record and the channel (ENOMEM, %u times)",
	   w.enomem);
}

/*
 * Overwrites in place, then reads, of channel @id: with write() and
 * read(), or, @vectored, writev() and readv() of two segments each.
 */
static void overwrite_and_read(unsigned long id, int vectored)
{
	unsigned char msg[32], old[32], buf[MSG_SLOT_MAX_LEN];
	struct walk r = { 0 };
	unsigned int n;
	int fd, check;

	need_fault_injection();
	fill_msg(old, sizeof(old), 3);
	fill_msg(msg, sizeof(msg), 4);
	walk_write(vectored ? "writev overwriting in place" : "write overwriting in place", id, 0,
		   msg, sizeof(msg), old, sizeof(old), vectored ? WALK_WRITEV : 0);

	fd = must_open_chan(0, id);
	check = must_open_chan(0, id);
	for (n = 1; n <= MAX_POINTS && !r.finished; n++) {
		struct iovec halves[2] = {
			{ .iov_base = buf, .iov_len = sizeof(msg) / 2 },
			{ .iov_base = buf + sizeof(msg) / 2, .iov_len = sizeof(buf) - sizeof(msg) / 2 },
		};
		long ret;
		int err, hit;

		inject(n);
		ret = vectored ? readv(fd, halves, 2) : read(fd, buf, sizeof(buf));
		err = errno;
		hit = fired();
		account(&r, hit, ret, err, channel_is(check, id, msg, sizeof(msg)) &&
				      (ret < 0 || memcmp(buf, msg, sizeof(msg)) == 0));
	}
	report(vectored ? "readv" : "read", &r);
	ok(r.efault >= 1, "that walk failed the copy to user space (EFAULT)");
	close(fd);
	close(check);
}

static void test_overwrite_and_read(void)
{
	overwrite_and_read(700000, 0);
}

/*
 * The same through writev() and readv(), whose copies go through the
 * driver's iterator path (ms_write_iter(), ms_read_iter()), and a writev
 * creating a channel.
 */
static void test_vectors(void)
{
	create_walk("writev creating a channel", 900000, WALK_WRITEV);
	overwrite_and_read(700001, 1);
}

/* ioctl allocates nothing and copies nothing: the first call finishes. */
static void test_ioctl(void)
{
	struct walk w = { 0 };
	long ret;
	int err;
	int fd;

	need_fault_injection();
	fd = must_open_chan(0, 1);
	inject(1);
	ret = ioctl(fd, MSG_SLOT_CHANNEL, 77UL);
	err = errno;
	account(&w, fired(), ret, err, 1);
	ok(w.finished && w.points == 0 && ret == 0,
	   "ioctl has no allocation or user copy to fail");
	close(fd);
}

/*
 * Opens: of a minor seen before (the file's state only), and of a fresh
 * minor each time (slot, channel table and slot map too). After a failed
 * open, the minor must open and work normally.
 */
static struct walk walk_open(int fresh, const char *what)
{
	struct walk w = { 0 };
	unsigned int n;
	char path[64];

	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		unsigned int minor = fresh ? 2000 + n : 0;
		int fd, fd2, works;
		int err, hit;

		snprintf(path, sizeof(path), "/tmp/fi_slot%u", minor);
		if (make_node(path, MSG_SLOT_MAJOR, minor) < 0)
			die("mknod %s", path);
		inject(n);
		fd = open(path, O_RDWR);
		err = errno;
		hit = fired();
		fd2 = open(path, O_RDWR);
		works = fd2 >= 0 && ioctl(fd2, MSG_SLOT_CHANNEL, 3UL) == 0 &&
			write(fd2, "after", 5) == 5 && channel_is(fd2, 3, "after", 5);
		if (fd >= 0)
			works = works && ioctl(fd, MSG_SLOT_CHANNEL, 3UL) == 0 &&
				channel_is(fd, 3, "after", 5);
		account(&w, hit, fd, err, works);
		if (fd >= 0)
			close(fd);
		if (fd2 >= 0)
			close(fd2);
		unlink(path);
	}
	report(what, &w);
	return w;
}

/*
 * Creating a slot meets 3 more injectable allocations than opening one
 * seen before. The slot's own allocation fails the open; the channel
 * table's first allocation falls back to a smaller __GFP_NOFAIL one and
 * the slot map's node allocation is retried, so those two survive.
 */
static void test_open(void)
{
	struct walk seen, fresh;

	need_fault_injection();
	seen = walk_open(0, "open of a slot opened before");
	fresh = walk_open(1, "open creating a slot");
	ok(fresh.points >= seen.points + 3 && fresh.enomem >= seen.enomem + 1,
	   "creating a slot meets 3 more injectable allocations (slot, table, map node: %u vs %u), "
	   "and the slot's own fails the open with ENOMEM (%u vs %u)",
	   fresh.points, seen.points, fresh.enomem, seen.enomem);
}

/* ---- Init ---------------------------------------------------------------- */

/* The steps of ms_init() that can fail, as it logs their failure. */
static const char *const init_steps[] = {
	"cannot create the channel cache",
	"cannot register major",
	"cannot create the device nodes",
	"cannot add the device",
};
#define NR_INIT_STEPS (sizeof(init_steps) / sizeof(init_steps[0]))
#define INIT_WINDOW 300
#define AIM_TAIL 24
#define AIM_ROUNDS 10

/*
 * The injectable calls one whole load of the module makes (nodes=2),
 * counted down from a fail-nth too large to be reached; then unloaded.
 */
static unsigned int load_calls(int modfd)
{
	const unsigned int big = 1000000;
	char buf[16] = "";
	unsigned int left;

	inject(big);
	if (syscall(SYS_finit_module, modfd, "nodes=2", 0) < 0)
		die("load to count its injectable calls");
	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0 || sscanf(buf, "%u", &left) != 1 ||
	    left == 0 || left > big)
		die("read %s after the counting load", FAIL_NTH);
	if (pwrite(nth_fd, "0", 1, 0) != 1 || module_unload() < 0)
		die("reset after the counting load");
	return big - left;
}

/*
 * The init steps whose failure the kernel log got since the last call, as
 * a mask (bit i: init_steps[i]).
 */
static unsigned int klog_steps(int kmsg)
{
	unsigned int steps = 0;
	char rec[2048];
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records: go on */
			continue;
		if (n <= 0)
			return steps;
		rec[n] = '\0';
		for (i = 0; i < NR_INIT_STEPS; i++)
			if (strstr(rec, MSG_SLOT_DEVICE_NAME ": ") && strstr(rec, init_steps[i]))
				steps |= 1U << i;
	}
}

/*
 * Nothing of the module is left: no module, major, class (so none of its
 * devices), channel cache, and the node @early answers ENXIO.
 */
static int nothing_left(const char *early)
{
	struct stat st;
	int fd, err;

	if (registered_major() >= 0 || stat("/sys/module/" MS_MODULE_NAME, &st) == 0 ||
	    stat("/sys/class/" MSG_SLOT_DEVICE_NAME, &st) == 0 ||
	    stat("/sys/kernel/slab/message_slot_channel", &st) == 0)
		return 0;
	fd = open(early, O_RDWR);
	err = errno;
	if (fd >= 0)
		close(fd);
	return fd < 0 && err == ENXIO;
}

/*
 * Whether kmemleak's report of one object names the module in its
 * allocation's backtrace: a frame "[message_slot]", or, once the module is
 * gone, an address in the modules' area (0xffffffffa0000000 up to
 * 0xffffffffff000000) printed without a symbol. message_slot is the only
 * module the VM loads. judge.sh judges the final scan by the same rule.
 */
static int involves_module(const char *obj)
{
	const char *p;

	if (strstr(obj, "[message_slot]"))
		return 1;
	for (p = strstr(obj, "0xffffffff"); p; p = strstr(p + 1, "0xffffffff")) {
		char *end;
		unsigned long long addr = strtoull(p, &end, 16);

		if (end - p == 18 && addr >= 0xffffffffa0000000ULL &&
		    addr < 0xffffffffff000000ULL)
			return 1;
	}
	return 0;
}

/*
 * After kmemleak's scan: the unreferenced objects of the module (see
 * involves_module(); the kernel's own are counted, not failed), less two
 * that 6.1's own error paths leak when the walk fails them part way (class_create() and
 * kmem_cache_create() return the error, and there is nothing of theirs for
 * us to unwind):
 *  - __class_register() frees its subsystem without the name it gave it
 *    when kset_register() fails;
 *  - kmem_cache_create() leaves a copy of the cache's name, whose hex dump
 *    reads "message_slot_cha"(nnel): our code never allocates that string,
 *    it is a literal we pass.
 * Clears the reports.
 */
static int leaks_but_kernels(int *kernels)
{
	static char buf[1 << 22];
	char *obj, *next;
	int leaks = 0;
	size_t len = 0;
	ssize_t n;
	int fd = open(KMEMLEAK, O_RDWR);

	*kernels = 0;
	if (fd < 0)
		die("open %s", KMEMLEAK);
	/* Twice, as its documentation advises. */
	if (write(fd, "scan", 4) != 4 || write(fd, "scan", 4) != 4)
		die("kmemleak scan");
	/* A read of a seq_file returns a page or so: read to the end. */
	while (len < sizeof(buf) - 1 &&
	       (n = pread(fd, buf + len, sizeof(buf) - 1 - len, (off_t)len)) > 0)
		len += (size_t)n;
	if (len == sizeof(buf) - 1)
		die("more than %zu bytes of kmemleak reports", len);
	buf[len] = '\0';
	for (obj = strstr(buf, "unreferenced object"); obj; obj = next) {
		next = strstr(obj + 1, "unreferenced object");
		if (next)
			next[-1] = '\0';
		if ((strstr(obj, "__class_register") && strstr(obj, "kobject_set_name")) ||
		    strstr(obj, "message_slot_cha") || !involves_module(obj)) {
			(*kernels)++;
		} else if (++leaks <= 10) {
			tap_diag("leak: %.1500s", obj);
		}
	}
	if (write(fd, "clear", 5) != 5)
		die("kmemleak clear");
	close(fd);
	return leaks;
}

/*
 * What the init walk shares with its opener: the number of the load under
 * way (0 between loads), whether the opener is inside an open, and for
 * each load whether the opener opened the node while it was under way.
 */
#define MAX_LOADS 4096
struct opener {
	atomic_uint load;
	atomic_int busy;
	atomic_uchar opened[MAX_LOADS];
};

/*
 * The opener: while a load is under way, opens @node again and again, and
 * marks the load in which an open succeeded, if that load was under way
 * from before the open to after it. Between loads it waits, so that no
 * file of its own keeps the walk from unloading the module.
 */
static void opener_run(struct opener *op, const char *node)
{
	for (;;) {
		unsigned int load;
		int fd;

		atomic_store(&op->busy, 1);
		load = atomic_load(&op->load);
		if (!load) {
			atomic_store(&op->busy, 0);
			sched_yield();
			continue;
		}
		fd = open(node, O_RDWR);
		if (fd >= 0) {
			if (atomic_load(&op->load) == load && load < MAX_LOADS)
				atomic_store(&op->opened[load], 1);
			close(fd);
		}
		atomic_store(&op->busy, 0);
	}
}

/*
 * The walk's side: no load under way, and the opener out of any open. An
 * open does not wait for anything: one still under way after 10 s is a
 * hang, reported at once rather than at the case's time limit.
 */
static void opener_pause(struct opener *op)
{
	time_t start = time(NULL);

	atomic_store(&op->load, 0);
	while (atomic_load(&op->busy)) {
		if (time(NULL) - start > 10)
			die("an open of the node has not returned for 10 s");
		sched_yield();
	}
}

/* The walk over module loads: what each of its loads adds to. */
struct init_walk {
	struct walk w;
	struct opener *op;
	const char *early;	/* the node made by hand */
	int modfd, kmsg;
	unsigned int seq;	/* loads so far */
	unsigned int failed, worked;
	unsigned int seen;	/* the init steps failed so far (mask) */
	unsigned int lo[NR_INIT_STEPS];	/* the lowest n that failed each */
	unsigned int hi[NR_INIT_STEPS];	/* and the highest */
	unsigned char load_failed[MAX_LOADS];
};

/*
 * One load of the walk, with its @n-th injectable call made to fail, while
 * the opener opens the node made by hand: a load that works must work
 * (its slot takes a write) and is unloaded; a load that fails must leave
 * nothing behind.
 *
 * Return: the init steps (mask) whose failure this load logged.
 */
static unsigned int init_load(struct init_walk *iw, unsigned int n)
{
	unsigned int steps, i;
	int err, hit, state;
	long ret;

	if (++iw->seq >= MAX_LOADS)
		die("more than %d loads", MAX_LOADS);
	atomic_store(&iw->op->load, iw->seq);
	inject(n);
	ret = syscall(SYS_finit_module, iw->modfd, "nodes=2", 0);
	err = errno;
	hit = fired();
	if (ret == 0) {
		int fd = open_chan(1, 7);

		state = fd >= 0 && write(fd, "up", 2) == 2;
		if (fd >= 0)
			close(fd);
		iw->worked++;
		opener_pause(iw->op);
		if (module_unload() < 0)
			die("rmmod after load %u", n);
	} else {
		opener_pause(iw->op);
		iw->load_failed[iw->seq] = 1;
		iw->failed++;
		state = nothing_left(iw->early);
		if (!state)
			tap_diag("load %u failed (%s) and left something behind", n, strerror(err));
	}
	account(&iw->w, hit, ret, err, state);
	steps = klog_steps(iw->kmsg);
	for (i = 0; i < NR_INIT_STEPS; i++)
		if (steps & (1U << i)) {
			if (!iw->lo[i] || n < iw->lo[i])
				iw->lo[i] = n;
			if (n > iw->hi[i])
				iw->hi[i] = n;
		}
	iw->seen |= steps;
	return steps;
}

/*
 * Every injectable call of a module load made to fail in turn, with
 * nodes=2 and a node made by hand beforehand: a failed load returns
 * ENOMEM or EFAULT and leaves nothing behind (the early node answers
 * ENXIO, as before the load), a load that survived its fault works, and
 * the walk reaches each step of ms_init() that can fail. Where load_module
 * itself failed first, the same holds trivially. Leaks are kmemleak's to
 * find. Meanwhile another process opens the node made by hand without
 * pause: no open may succeed during a load that fails, as the device goes
 * live only once nothing can fail any more (it does succeed during the
 * loads that work, which shows that it would see a device live too early).
 * request_module() is switched off for the walk (an empty
 * /proc/sys/kernel/modprobe), so that an open of the node while the
 * device is not live answers ENXIO at once instead of running modprobe.
 */
static void test_init(void)
{
	static struct init_walk iw;
	unsigned int n, first, calls, end, i, aimed = 0;
	unsigned int k, early_open = 0, live_open = 0;
	char modprobe[256] = "";
	int kernels, early_step = 0;
	int mpfd;
	pid_t child;

	need_fault_injection();
	if (module_unload() < 0)
		die("rmmod before the walk");
	iw.early = "/tmp/early_slot";
	iw.modfd = open(MS_MODULE_PATH, O_RDONLY | O_CLOEXEC);
	iw.kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (iw.modfd < 0 || iw.kmsg < 0 || lseek(iw.kmsg, 0, SEEK_END) < 0)
		die("open the module and /dev/kmsg");
	if (make_node(iw.early, MSG_SLOT_MAJOR, 0) < 0)
		die("mknod %s", iw.early);
	is_int(nothing_left(iw.early), 1, "unloaded: a node made by hand answers ENXIO");

	/*
	 * A load makes hundreds of injectable calls before ms_init(), each
	 * failure costing a module teardown: count the calls of one whole
	 * load, then walk only its last INIT_WINDOW. The count moves a little
	 * from load to load; the window is checked to begin before ms_init()
	 * (its first failed load logs no init step) and to reach every step.
	 */
	calls = load_calls(iw.modfd);
	first = calls > INIT_WINDOW ? calls - INIT_WINDOW : 1;

	mpfd = open(MODPROBE, O_RDONLY | O_CLOEXEC);
	if (mpfd < 0 || read(mpfd, modprobe, sizeof(modprobe) - 1) <= 0 || close(mpfd) < 0 ||
	    write_file(MODPROBE, "\n") < 0)
		die("switch request_module() off");
	iw.op = mmap(NULL, sizeof(*iw.op), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (iw.op == MAP_FAILED)
		die("mmap the opener's state");
	child = fork();
	if (child < 0)
		die("fork the opener");
	if (child == 0) {
		opener_run(iw.op, iw.early);
		_exit(0);
	}
	for (n = first; n <= calls + INIT_WINDOW && !iw.w.finished; n++) {
		unsigned int steps = init_load(&iw, n);

		if (n == first)
			early_step = steps != 0;
	}
	end = n - 1;
	/*
	 * The calls before a step are not the same number in every load:
	 * they move by one or two, now and then by a dozen (per-CPU caches,
	 * as the IDR's and vmalloc's preloads, are refilled only when short,
	 * and kmemleak's own record of each allocation is an injectable call
	 * too). A step of many calls is met anyway; a step of one call, as
	 * register_chrdev_region()'s and cdev_add()'s, is jumped over by
	 * about half the walks (CI once saw 4 walks in a row miss
	 * cdev_add()). Each step the walk missed is aimed at instead: the
	 * points from the lowest that failed the step before it to AIM_TAIL
	 * past the highest, walked again in order until the step fails. In
	 * order, because how far a load's count moves depends on what the
	 * loads before it did: in random order, rounds of these points
	 * took about 5 to meet register_chrdev_region(), in order 1 or 2.
	 */
	for (i = 1; i < NR_INIT_STEPS; i++) {
		unsigned int want = 1U << i, from = iw.lo[i - 1], to, round;

		if ((iw.seen & want) || !(iw.seen & (want >> 1)))
			continue;
		to = iw.hi[i - 1] + AIM_TAIL;
		for (round = 0; round < AIM_ROUNDS && !(iw.seen & want); round++)
			for (n = from; n <= to && !(iw.seen & want); n++, aimed++)
				init_load(&iw, n);
		tap_diag("\"%s\": %s after %u rounds of loads aimed at calls %u to %u",
			 init_steps[i], iw.seen & want ? "reached" : "not reached", round, from, to);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (write_file(MODPROBE, modprobe) < 0)
		die("switch request_module() back on");
	for (k = 1; k <= iw.seq; k++) {
		if (!atomic_load(&iw.op->opened[k]))
			continue;
		if (iw.load_failed[k]) {
			early_open++;
			tap_diag("load %u of the walk failed, yet another process opened the node during it", k);
		} else {
			live_open++;
		}
	}
	report("module load with nodes=2", &iw.w);
	ok(early_open == 0,
	   "no open of the node succeeded during any of the %u loads that failed (%u did)",
	   iw.failed, early_open);
	ok(live_open > 0, "the other process opened it during %u of the %u loads that worked",
	   live_open, iw.worked);
	ok(first == 1 || !early_step,
	   "the walk (calls %u to %u of a load making %u, then %u aimed loads) began before ms_init(): its first failure logged no init step",
	   first, end, calls, aimed);
	for (i = 0; i < NR_INIT_STEPS; i++)
		ok(iw.seen & (1U << i),
		   "the walk failed the init step that logs \"%s\", and the load left nothing",
		   init_steps[i]);
	is_int(nothing_left(iw.early), 1, "after the walk, nothing of the module is left");

	/* kmemleak reports only objects older than 5 s: a rule of the tool. */
	sleep(6);
	is_int(leaks_but_kernels(&kernels), 0,
	       "kmemleak finds nothing unreferenced of the module's (any test's) but 6.1's own class and cache name leaks");
	tap_diag("%u loads failed; %d leaks were the kernel's own (6.1's class or cache name, or no frame of ours)",
		 iw.failed, kernels);

	unlink(iw.early);
	close(iw.kmsg);
	close(iw.modfd);
	is_int(module_load(""), 0, "the module loads again as the suite had it");
}

/* ---- Poll ------------------------------------------------------------------ */

/*
 * Whether @fd's watcher is on the watch of its channel: after the file's
 * message is read, an epoll registration of it reports nothing until
 * @writer, on the same channel, writes; the write's wake-up must reach it.
 */
static int wakes_on_write(int fd, int writer)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned char buf[MSG_SLOT_MAX_LEN];
	int ep = epoll_create1(0), good;

	if (ep < 0)
		die("epoll_create1");
	good = read(fd, buf, sizeof(buf)) > 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 &&
	       epoll_wait(ep, &ev, 1, 0) == 0 && write(writer, "w", 1) == 1 &&
	       epoll_wait(ep, &ev, 1, 0) == 1 && ev.events == EPOLLIN;
	close(ep);
	return good;
}

/*
 * Whether a poll of @fd made under fault injection (@hit: the fault
 * fired) answered right and left the file working: @ret and @revents
 * are its result, POLLIN (a message is there) or, when the fault failed
 * the watch, POLLIN | POLLERR (counted in @pollerr); a call the fault
 * failed is right too. Then the file's next poll, with no fault, makes
 * the watch (POLLIN | POLLOUT, no POLLERR) and a write of @writer, on
 * the same channel, wakes it.
 */
static int poll_answered(int hit, long ret, short revents, int fd, int writer,
			 unsigned int *pollerr)
{
	if (hit && ret == 1 && revents == (POLLIN | POLLERR))
		++*pollerr;
	return (ret < 0 || revents == POLLIN || (hit && revents == (POLLIN | POLLERR))) &&
	       poll1(fd, POLLIN | POLLOUT, 0) == (POLLIN | POLLOUT) && wakes_on_write(fd, writer);
}

/*
 * Walks over poll() on a file whose channel has no watch yet (the poll
 * creates it) and over epoll_ctl(EPOLL_CTL_ADD), then epoll_wait(). The
 * channel holds a message, so a poll that works reports POLLIN. A poll
 * whose watch cannot be created (ms_file_move()'s allocation of it,
 * made without the slot's lock, fails) puts the file on the slot's
 * orphans and reports POLLERR beside its usual answer: POLLIN | POLLERR
 * (ms_poll()'s error path; counted in @pollerr); a fault in the kernel's
 * own part of poll fails the call with EFAULT or ENOMEM; a fault that
 * changes nothing (kmemleak's record of an allocation) leaves POLLIN.
 * Afterwards the file works: its next poll, with no fault, makes the watch
 * and reports POLLIN and POLLOUT without POLLERR, and a write wakes it;
 * its close takes it off the orphans (else the next round's write to the
 * slot would wake freed memory: KASAN). A fresh file and channel each
 * time, the message written by another file.
 */
static struct walk walk_poll(int use_epoll, unsigned int *pollerr)
{
	struct walk w = { 0 };
	unsigned long base = use_epoll ? 820000 : 810000;
	unsigned int n;

	*pollerr = 0;
	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		int fd = must_open_chan(0, base + n), writer = must_open_chan(0, base + n);
		struct epoll_event ev = { .events = EPOLLIN };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ep = -1, err, hit;
		long ret;

		if (write(writer, "m", 1) != 1)
			die("write before the poll");
		if (use_epoll) {
			ep = epoll_create1(0);
			if (ep < 0)
				die("epoll_create1");
		}
		inject(n);
		if (use_epoll)
			ret = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		else
			ret = poll(&p, 1, 0);
		err = errno;
		hit = fired();
		if (use_epoll && ret == 0) {
			/* The registration's own poll of the file: its answer. */
			ret = epoll_wait(ep, &ev, 1, 0);
			p.revents = ret == 1 ? (short)ev.events : 0;
			ret = ret == 1 ? 1 : -1;
			err = EIO;
		}
		account(&w, hit, ret, err, poll_answered(hit, ret, p.revents, fd, writer, pollerr));
		if (ep >= 0)
			close(ep);
		close(fd);
		close(writer);
	}
	return w;
}

/*
 * ioctl() of a file that has been polled moves its watcher, creating the
 * new channel's watch: failing that, the ioctl still selects the channel
 * (it allocates nothing of its own), and the next poll creates the watch.
 */
static struct walk walk_polled_ioctl(void)
{
	struct walk w = { 0 };
	unsigned int n;

	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		unsigned long id = 830000 + n;
		int fd = must_open_chan(0, 830000), writer = must_open_chan(0, id);
		int err, hit;
		long ret;

		if (write(writer, "m", 1) != 1 || poll1(fd, POLLIN, 0) != 0)
			die("write and poll before the ioctl");
		inject(n);
		ret = ioctl(fd, MSG_SLOT_CHANNEL, id);
		err = errno;
		hit = fired();
		account(&w, hit, ret, err,
			ret == 0 && poll1(fd, POLLIN | POLLOUT, 0) == (POLLIN | POLLOUT) &&
				wakes_on_write(fd, writer));
		close(fd);
		close(writer);
	}
	return w;
}

/*
 * A file whose watch could not be made, closed without polling again:
 * its close must take its entry off the slot's orphans, which every
 * write to the slot wakes (else that write wakes freed memory: KASAN).
 * Returns whether a poll reported POLLIN | POLLERR, the file was closed
 * and a write to its channel then worked.
 */
static int orphan_closed(void)
{
	unsigned int n;
	int writer = must_open_chan(0, 840000), good = 0;

	if (write(writer, "m", 1) != 1)
		die("write before the poll");
	for (n = 1; n <= MAX_POINTS && !good; n++) {
		int fd = must_open_chan(0, 840000), revents, hit;

		inject(n);
		revents = poll1(fd, POLLIN, 0);
		hit = fired();
		close(fd);
		if (!hit)
			break;
		if (revents == (POLLIN | POLLERR))
			good = write(writer, "w", 1) == 1;
	}
	close(writer);
	return good;
}

static void test_poll(void)
{
	unsigned int pollerr, eperr;
	struct walk w;
	int kernels;

	need_fault_injection();
	w = walk_poll(0, &pollerr);
	report("poll creating the channel's watch", &w);
	ok(pollerr >= 1,
	   "that walk failed the watch's allocation: poll reported POLLIN | POLLERR (%u times), and the next poll made the watch",
	   pollerr);
	/*
	 * A watch that the registration's poll could not make shows as no
	 * error: that poll's POLLERR puts the registration on epoll's ready
	 * list, and epoll_wait() polls the file again before it reports it;
	 * that poll makes the watch (POLLIN alone). So the walk tells that
	 * failure from the other survived faults only by reaching past it.
	 */
	w = walk_poll(1, &eperr);
	report("epoll_ctl(EPOLL_CTL_ADD) creating the channel's watch", &w);
	ok(w.enomem >= 1 && w.survived >= 1,
	   "that walk failed epoll's own allocations (ENOMEM, %u times) and survived %u faults (the watch's among them; epoll_wait reported POLLERR %u times)",
	   w.enomem, w.survived, eperr);
	w = walk_polled_ioctl();
	report("ioctl of a polled file, moving its watcher to a new watch", &w);
	ok(w.survived >= 1, "the watch's allocation failed in that walk (the ioctl survived it)");
	ok(orphan_closed(),
	   "a file whose poll could not make its watch (POLLERR), closed without polling again: the next write to the slot works");

	/* kmemleak reports only objects older than 5 s: a rule of the tool. */
	sleep(6);
	is_int(leaks_but_kernels(&kernels), 0,
	       "kmemleak finds nothing unreferenced of the module's after the three walks");
}

/* ---- Tables past their size ------------------------------------------------ */

/* Entries a fresh slot's table (4 buckets) gets before the walked call. */
#define FULL_FILL 5

/*
 * rhashtable grows a table past 75% in a worker that it queues on the
 * CPU of the insert; an insert into a table past 100% that has no larger
 * one yet allocates that itself (GFP_ATOMIC), under the module's locks,
 * and fails with ENOMEM if it cannot. Holding CPU 0 at SCHED_FIFO, and
 * never sleeping, keeps the worker (a SCHED_OTHER task bound to CPU 0)
 * from running, so the tables of a fresh slot fill past 100%. The case
 * is a process of its own: the policy ends with it.
 */
static void hold_cpu0(void)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0 ||
	    sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
		die("hold CPU 0 at SCHED_FIFO");
}

/* What debugfs says the module holds: all channels, and uid 0's. */
struct held {
	long channels, root_channels, root_bytes;
};

static struct held held_now(void)
{
	struct held h = { ms_counter("channels"), -1, -1 };

	user_counts(0, &h.root_channels, &h.root_bytes);
	return h;
}

/* Whether the module holds @before plus @channels channels of @bytes, uid 0's. */
static int held_is(struct held before, long channels, long bytes)
{
	struct held h = held_now();

	if (h.channels == before.channels + channels &&
	    h.root_channels == before.root_channels + channels &&
	    h.root_bytes == before.root_bytes + bytes)
		return 1;
	tap_diag("debugfs: %ld channels, uid 0 %ld channels %ld bytes; want %ld, %ld, %ld",
		 h.channels, h.root_channels, h.root_bytes, before.channels + channels,
		 before.root_channels + channels, before.root_bytes + bytes);
	return 0;
}

/*
 * Walks a call that inserts into a table past 100%: write() creating a
 * channel (@watch 0), or poll() creating a channel's watch (@watch 1),
 * each time in a fresh slot whose table first gets FULL_FILL entries by
 * calls with no fault. A failed write must leave the channel absent and
 * the counts of debugfs channels and users as they were; a failed poll
 * reports POLLIN | POLLERR (counted in @pollerr), as walk_poll() says,
 * and the file then works.
 */
static struct walk walk_full(int watch, unsigned int *pollerr)
{
	unsigned char msg[40];
	struct walk w = { 0 };
	unsigned int n;

	fill_msg(msg, sizeof(msg), 5);
	*pollerr = 0;
	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		unsigned int minor = (watch ? 3200 : 3000) + n;
		int fill[FULL_FILL], fd, check, err, hit, i, state;
		struct pollfd p = { .events = POLLIN };
		struct held before;
		long ret;

		for (i = 0; i < FULL_FILL; i++) {
			fill[i] = must_open_chan(minor, (unsigned long)i + 1);
			if (watch ? poll1(fill[i], POLLIN, 0) != 0 : write(fill[i], "f", 1) != 1)
				die("fill slot %u", minor);
		}
		fd = must_open_chan(minor, 100);
		check = must_open_chan(minor, 100);
		if (watch && write(check, "m", 1) != 1)
			die("write before the poll");
		before = held_now();
		p.fd = fd;
		inject(n);
		ret = watch ? poll(&p, 1, 0) : write(fd, msg, sizeof(msg));
		err = errno;
		hit = fired();
		if (watch)
			state = poll_answered(hit, ret, p.revents, fd, check, pollerr);
		else if (ret < 0)
			state = channel_is(check, 100, NULL, 0) && held_is(before, 0, 0);
		else
			state = channel_is(check, 100, msg, sizeof(msg)) &&
				held_is(before, 1, sizeof(msg));
		account(&w, hit, ret, err, state);
		close(fd);
		close(check);
		for (i = 0; i < FULL_FILL; i++)
			close(fill[i]);
	}
	return w;
}

static void test_full_table(void)
{
	unsigned int pollerr;
	struct walk w;

	need_fault_injection();
	hold_cpu0();
	w = walk_full(0, &pollerr);
	report("write creating a channel in a table past 100%", &w);
	ok(w.enomem >= 2,
	   "that walk failed the channel's allocation and the table's new bucket array (ENOMEM %u times): the insert's undo ran",
	   w.enomem);
	w = walk_full(1, &pollerr);
	report("poll creating a watch in a table past 100%", &w);
	ok(pollerr >= 2,
	   "that walk failed the watch's allocation and the table's new bucket array (POLLIN | POLLERR %u times)",
	   pollerr);
}

TAP_MAIN(
	TAP_CASE(test_create, 300),
	TAP_CASE(test_grow, 300),
	TAP_CASE(test_new_user, 300),
	TAP_CASE(test_overwrite_and_read, 300),
	TAP_CASE(test_vectors, 300),
	TAP_CASE(test_ioctl, 120),
	TAP_CASE(test_open, 600),
	TAP_CASE(test_init, 900),
	TAP_CASE(test_poll, 300),
	TAP_CASE(test_full_table, 300),
)
