// SPDX-License-Identifier: GPL-2.0
/*
 * t10_coverage.c - behaviours no other test checked, each found by
 * breaking the driver one line at a time (issue 21): a copy broken there
 * passed the rest of the suite.
 *
 *  - nodes= at its maximum, 4096;
 *  - a write refused by max_channels leaves max_total_channels untouched;
 *  - a read failing with EFAULT leaves its message unread for poll;
 *  - a message that needs a larger channel is new for poll;
 *  - selecting a channel that already holds an unread message wakes a
 *    poll or an epoll_wait already asleep on the file;
 *  - first opens of fresh minors racing, round after round, make one slot
 *    each: no message written through any of the racing files is lost.
 *
 * Runs after t9_module, and like it leaves the module loaded with no
 * parameters, as it found it.
 */
#define _GNU_SOURCE

#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#include "common.h"

/* Reload the module with @params (the empty string: the defaults). */
static void reload(const char *params)
{
	if (registered_major() >= 0 && module_unload() < 0)
		die("rmmod");
	if (module_load(params) < 0)
		die("insmod %s", params);
}

/* ---- nodes= at its maximum ------------------------------------------- */

static void test_nodes_max(void)
{
	struct stat st;
	char last[64];

	reload("");
	if (module_unload() < 0)
		die("rmmod");
	snprintf(last, sizeof(last), "%s", node_name(4095));
	unlink(last);
	unlink(node_name(4096));
	is_int(module_load("nodes=4096"), 0, "insmod nodes=4096, the most nodes= allows");
	ok(stat(last, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == MSG_SLOT_MAJOR &&
	   minor(st.st_rdev) == 4095, "%s appears, character device 240:4095", last);
	is_errno(stat(node_name(4096), &st), ENOENT, "and no %s", node_name(4096));
	is_int(module_unload(), 0, "unload");
	is_errno(stat(last, &st), ENOENT, "unloading removes %s", last);
	reload("");
}

/* ---- Two limits, each counted only when it lets a channel be made ---- */

/* Select @id on @fd and write one byte: the write's result. */
static long write_to(int fd, unsigned long id)
{
	if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0)
		die("ioctl %lu", id);
	return write(fd, "x", 1);
}

/*
 * max_channels=2 max_total_channels=4: writes refused by the slot's limit
 * must not use up the module's; minor 1 still gets its 2 channels.
 */
static void test_limits_independent(void)
{
	int a, b, c, i, refused = 0;

	reload("max_channels=2 max_total_channels=4");
	a = must_open_chan(0, 1);
	is_int(write_to(a, 1), 1, "minor 0: channel 1");
	is_int(write_to(a, 2), 1, "minor 0: channel 2");
	for (i = 0; i < 5; i++)
		refused += write_to(a, 3 + (unsigned long)i) < 0 && errno == ENOSPC;
	is_int(refused, 5, "minor 0: 5 more channels refused by max_channels=2 (ENOSPC)");
	b = must_open_chan(1, 1);
	is_int(write_to(b, 1), 1, "minor 1: channel 1 (3 channels in all)");
	is_int(write_to(b, 2), 1, "minor 1: channel 2 (4 in all): the refused writes used up nothing");
	is_errno(write_to(b, 3), ENOSPC, "minor 1: channel 3 is refused");
	c = must_open_chan(2, 1);
	is_errno(write_to(c, 1), ENOSPC, "minor 2: channel 1 is refused by max_total_channels=4");
	is_int(ms_counter("channels"), 4, "debugfs: 4 channels");
	close(a);
	close(b);
	close(c);
	reload("");
}

/* ---- Poll: what counts as read, what is new -------------------------- */

/*
 * A read that fails to copy the message out (EFAULT, by read() and by
 * readv()) has not read it: poll still reports it, until a read that
 * works.
 */
static void test_efault_read_unread(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char buf[MSG_SLOT_MAX_LEN];
	int fd = must_open_chan(0, 300), w = must_open_chan(0, 300);
	struct iovec iov;
	char *hole;

	hole = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hole == MAP_FAILED)
		die("mmap");
	is_int(write(w, "unread", 6), 6, "a message from another file");
	is_int(poll1(fd, POLLIN, 0), POLLIN, "poll: POLLIN");
	is_errno(raw_read(fd, hole, sizeof(buf)), EFAULT, "read into a PROT_NONE page: EFAULT");
	is_int(poll1(fd, POLLIN, 0), POLLIN, "poll: still POLLIN, the message is unread");
	iov.iov_base = hole;
	iov.iov_len = sizeof(buf);
	is_errno(readv(fd, &iov, 1), EFAULT, "readv into it: EFAULT");
	is_int(poll1(fd, POLLIN, 0), POLLIN, "poll: still POLLIN");
	is_int(read(fd, buf, sizeof(buf)), 6, "a read that works");
	is_int(poll1(fd, POLLIN, 0), 0, "poll: read now");
	munmap(hole, (size_t)page);
	close(fd);
	close(w);
}

/*
 * A message longer than its channel's room goes into a new, larger
 * channel: for poll it is a new message like any other.
 */
static void test_grown_channel_new(void)
{
	unsigned char big[MSG_SLOT_MAX_LEN], buf[MSG_SLOT_MAX_LEN];
	int fd = must_open_chan(0, 301);

	memset(big, 'g', sizeof(big));
	is_int(write(fd, "s", 1), 1, "a 1-byte message, in the smallest channel");
	is_int(read(fd, buf, sizeof(buf)), 1, "read");
	is_int(poll1(fd, POLLIN, 0), 0, "poll: nothing new");
	is_int(write(fd, big, sizeof(big)), (long)sizeof(big),
	       "a 128-byte message, which needs a larger channel");
	is_int(poll1(fd, POLLIN, 0), POLLIN, "poll: the new message is unread");
	is_int(read(fd, buf, sizeof(buf)), (long)sizeof(big), "read");
	is_int(poll1(fd, POLLIN, 0), 0, "poll: nothing new");
	close(fd);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A child asleep in poll() (@ep < 0) or in epoll_wait() on @ep, on @fd,
 * whose channel is empty; then this process selects channel @full, which
 * already holds a message: no write comes after, so only the selection can
 * wake the child, which must then report the message before its time
 * limit. (At its limit poll() polls the file once more and would find the
 * message unwoken: a wake-up is a return before the limit.)
 */
static void select_wakes(int fd, int ep, unsigned long full, const char *how)
{
	int limit = 10000 * (int)tap_time_scale();
	pid_t child;

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		long long start = now_ms();
		struct epoll_event ev;
		int got;

		if (ep < 0)
			got = poll1(fd, POLLIN, limit) == POLLIN;
		else
			got = epoll_wait(ep, &ev, 1, limit) == 1 && (ev.events & EPOLLIN);
		_exit(!got || now_ms() - start >= limit);
	}
	ok(until_polling(child), "a child sleeps in %s on the file's empty channel", how);
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, full), 0, "this process selects channel %lu", full);
	is_int(wait_exit(child), 0,
	       "the selection woke the child's %s before its time limit, and it reported POLLIN", how);
}

static void test_select_wakes_sleeper(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = must_open_chan(0, 310), w = must_open_chan(0, 311);
	int ep = epoll_create1(0);

	is_int(write(w, "there", 5), 5, "channel 311 holds a message");
	ok(ep >= 0, "epoll_create1");
	select_wakes(fd, -1, 311, "poll");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 310UL), 0, "back to the empty channel 310");
	ev.data.fd = fd;
	is_int(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0, "an epoll registration of the file");
	is_int(epoll_wait(ep, &ev, 1, 0), 0, "nothing to report on 310");
	select_wakes(fd, ep, 311, "epoll_wait");
	close(ep);
	close(fd);
	close(w);
}

/* ---- First opens racing, many times ----------------------------------- */

#define OPEN_ROUNDS 150
#define OPENERS 8
#define OPEN_MINOR0 6000u

/* One opener of the round's minor (*@arg). */
static int opener(int i, void *arg)
{
	return opener_write(*(unsigned int *)arg, i);
}

/*
 * OPEN_ROUNDS fresh minors, each first opened by OPENERS processes at
 * once: if two of them made a slot each, the messages written through the
 * loser's files would not be in the slot a later open finds.
 */
static void test_open_race_rounds(void)
{
	unsigned int round, minor, lost = 0, failed = 0;

	for (round = 0; round < OPEN_ROUNDS; round++) {
		minor = OPEN_MINOR0 + round;
		slot_path(minor);	/* the node only: its slot is the race */
		failed += !run_gated(OPENERS, opener, &minor);
		lost += openers_missing(minor, OPENERS);
		unlink(node_name(minor));
	}
	is_int(failed, 0, "%d rounds of %d processes racing on a minor's first open: every open and write worked",
	       OPEN_ROUNDS, OPENERS);
	is_int(lost, 0, "every message written in them is in the one slot of its minor");
}

TAP_MAIN(
	TAP_CASE(test_nodes_max, 120),
	TAP_CASE(test_limits_independent, 60),
	TAP_CASE(test_efault_read_unread, 60),
	TAP_CASE(test_grown_channel_new, 60),
	TAP_CASE(test_select_wakes_sleeper, 120),
	TAP_CASE(test_open_race_rounds, 300),
)
