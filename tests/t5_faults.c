// SPDX-License-Identifier: GPL-2.0
/*
 * t5_faults.c - every allocation and user copy of open, ioctl, write and
 * read made to fail in turn, under the debug kernel's fault injection.
 *
 * /proc/thread-self/fail-nth = N makes the N-th injectable call of this
 * task fail: a slab allocation (failslab) or a user copy (fail_usercopy).
 * Each walk sets N = 1, 2, 3, ... before one call until a call completes
 * with no fault injected: by then every injectable point of that call
 * has failed once. Each failed call must return ENOMEM or EFAULT and
 * leave everything as it was; a call that survived its fault must have
 * done its job.
 *
 * On Debian's stock kernel there is no fault injection: the program says
 * so and skips.
 */
#define _GNU_SOURCE

#include "common.h"

#define FAIL_NTH "/proc/thread-self/fail-nth"
#define MAX_POINTS 200

static int nth_fd = -1;

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
 * Write @msg to @fd with the @n-th injectable call failing: a failed write
 * must leave channel @id as @old (NULL: absent), a successful one must
 * have stored @msg. @check is another file of the slot, for the look.
 */
static void write_injected(struct walk *w, unsigned int n, int fd, int check,
			   unsigned long id, const void *msg, size_t len,
			   const void *old, size_t old_len)
{
	long ret;
	int err, hit;

	inject(n);
	ret = write(fd, msg, len);
	err = errno;
	hit = fired();
	account(w, hit, ret, err, ret < 0 ? channel_is(check, id, old, old_len) :
					    channel_is(check, id, msg, len));
}

/* Writes that create a channel: on failure the channel stays absent. */
static void walk_create(void)
{
	unsigned char msg[40];
	struct walk w = { 0 };
	unsigned int n;
	int fd = must_open_chan(0, 1);
	int check = must_open_chan(0, 1);

	fill_msg(msg, sizeof(msg), 1);
	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		unsigned long id = 500000 + n;

		ioctl(fd, MSG_SLOT_CHANNEL, id);
		write_injected(&w, n, fd, check, id, msg, sizeof(msg), NULL, 0);
	}
	report("write creating a channel", &w);
	ok(w.efault >= 1 && w.enomem >= 1,
	   "that walk failed the copy from user space (EFAULT) and the channel allocation (ENOMEM)");
	close(fd);
	close(check);
}

/* Writes that replace a 1-byte channel by a larger one. */
static void walk_grow(void)
{
	unsigned char msg[MSG_SLOT_MAX_LEN];
	struct walk w = { 0 };
	unsigned int n;
	int fd = must_open_chan(0, 1);
	int check = must_open_chan(0, 1);

	fill_msg(msg, sizeof(msg), 2);
	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		unsigned long id = 600000 + n;

		ioctl(fd, MSG_SLOT_CHANNEL, id);
		if (write(fd, "s", 1) != 1)
			die("write a 1-byte message");
		write_injected(&w, n, fd, check, id, msg, sizeof(msg), "s", 1);
	}
	report("write growing a channel to 128 bytes", &w);
	ok(w.enomem >= 1, "that walk failed the larger channel's allocation (ENOMEM)");
	close(fd);
	close(check);
}

/* Overwrites in place, and reads. */
static void walk_overwrite_and_read(void)
{
	unsigned char msg[32], old[32], buf[MSG_SLOT_MAX_LEN];
	struct walk w = { 0 }, r = { 0 };
	unsigned int n;
	int fd = must_open_chan(0, 700000);
	int check = must_open_chan(0, 700000);

	fill_msg(old, sizeof(old), 3);
	fill_msg(msg, sizeof(msg), 4);
	for (n = 1; n <= MAX_POINTS && !w.finished; n++) {
		if (write(fd, old, sizeof(old)) != sizeof(old))
			die("write");
		write_injected(&w, n, fd, check, 700000, msg, sizeof(msg), old, sizeof(old));
	}
	report("write overwriting in place", &w);

	for (n = 1; n <= MAX_POINTS && !r.finished; n++) {
		long ret;
		int err, hit;

		inject(n);
		ret = read(fd, buf, sizeof(buf));
		err = errno;
		hit = fired();
		account(&r, hit, ret, err, channel_is(check, 700000, msg, sizeof(msg)) &&
				      (ret < 0 || memcmp(buf, msg, sizeof(msg)) == 0));
	}
	report("read", &r);
	ok(r.efault >= 1, "that walk failed the copy to user space (EFAULT)");
	close(fd);
	close(check);
}

/* ioctl allocates nothing and copies nothing: the first call finishes. */
static void walk_ioctl(void)
{
	struct walk w = { 0 };
	int fd = must_open_chan(0, 1);
	long ret;
	int err;

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

int main(void)
{
	struct walk seen, fresh;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(getenv("MS_KERNEL") ? getenv("MS_KERNEL") : "", "debug") != 0) {
		printf("1..0 # SKIP fault injection needs the debug kernel: make test-debug\n");
		return 0;
	}
	nth_fd = open(FAIL_NTH, O_RDWR);
	if (nth_fd < 0)
		die("open %s", FAIL_NTH);

	walk_create();
	walk_grow();
	walk_overwrite_and_read();
	walk_ioctl();
	seen = walk_open(0, "open of a slot opened before");
	fresh = walk_open(1, "open creating a slot");
	/*
	 * The slot's allocation fails the open; the channel table's first
	 * allocation falls back to a smaller __GFP_NOFAIL one and the slot
	 * map's node allocation is retried, so those two survive.
	 */
	ok(fresh.points >= seen.points + 3 && fresh.enomem >= seen.enomem + 1,
	   "creating a slot meets 3 more injectable allocations (slot, table, map node: %u vs %u), "
	   "and the slot's own fails the open with ENOMEM (%u vs %u)",
	   fresh.points, seen.points, fresh.enomem, seen.enomem);
	return tap_done();
}
