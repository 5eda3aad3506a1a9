// SPDX-License-Identifier: GPL-2.0
/*
 * t8_races.c - waiting and growing under races: an epoll registration
 * made before the first ioctl, poll and epoll racing ioctl on threads, a
 * read racing ioctl (made deterministic with userfaultfd where the kernel
 * has it), sleeping pollers whose wake-ups are counted so that writes to
 * other channels are seen not to wake them, channels replaced by
 * larger ones while other writers and readers hammer them, and channels
 * deleted while written and read; a read ending late does not move the
 * file's read mark back.
 *
 * Every wait gives up by itself within seconds; nothing waits on time
 * for synchronisation: threads meet at barriers, and a writer waits for
 * a poller by watching /proc (task_polling() in common.h).
 */
#define _GNU_SOURCE

#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

#define MINOR 2
#define OTHER_MINOR 3
#define GIVE_UP_MS 3000

static unsigned int scale = 1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Write @msg to channel @id of @minor through a file of its own. */
static int send_to(unsigned int minor, unsigned long id, const char *msg)
{
	int fd = open_chan(minor, id);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, msg, strlen(msg));
	close(fd);
	return n == (ssize_t)strlen(msg) ? 0 : -1;
}

/* Whether task @tid of this process sleeps in a poll-family wait. */
/*
 * Yield until task @tid sleeps in poll or epoll_wait, or *@done says it
 * returned; give up after GIVE_UP_MS. Returns 1 if it sleeps.
 */
static int wait_polling(pid_t pid, pid_t tid, volatile int *done)
{
	double end = now() + GIVE_UP_MS / 1000.0;

	while (now() < end) {
		if (done && __atomic_load_n(done, __ATOMIC_ACQUIRE))
			return 0;
		if (task_polling(pid, tid))
			return 1;
		sched_yield();
	}
	return 0;
}

/* ---- epoll registered before the first ioctl ------------------------- */

static int epoll_add(int ep, int fd, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Events epoll_wait() reports for its one file, 0 for none, -1 on error. */
static int epoll_events(int ep, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, timeout_ms);

	return n < 0 ? -1 : n == 0 ? 0 : (int)ev.events;
}

struct ep_sleeper {
	pthread_t th;
	int ep, events;
	pid_t tid;
	volatile int started, done;
};

/* Sleep in epoll_wait() until an EPOLLIN, for at most GIVE_UP_MS. */
static void *ep_sleeper_main(void *p)
{
	struct ep_sleeper *s = p;
	double end = now() + GIVE_UP_MS / 1000.0;

	s->tid = gettid_();
	__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
	do {
		s->events = epoll_events(s->ep, GIVE_UP_MS);
	} while (s->events >= 0 && !(s->events & EPOLLIN) && now() < end);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_epoll_before_ioctl(void)
{
	struct ep_sleeper s = { 0 };
	int fd = open(slot_path(MINOR), O_RDWR);
	int ep = epoll_create1(0), ep2 = epoll_create1(0);
	int fd2 = open(slot_path(MINOR), O_RDWR);

	if (fd < 0 || fd2 < 0 || ep < 0 || ep2 < 0)
		die("open, epoll_create1");

	/* Edge-triggered, consumed once before the ioctl. */
	is_int(epoll_add(ep, fd, EPOLLIN | EPOLLET), 0, "epoll ADD (edge) with no channel");
	is_int(epoll_events(ep, 0), EPOLLERR, "epoll_wait reports EPOLLERR: no channel");
	is_int(epoll_events(ep, 0), 0, "and once only (edge-triggered)");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 5001ul), 0, "ioctl(5001) after the registration");
	epoll_events(ep, 0);	/* whatever the ioctl's re-arm reported */
	is_int(send_to(MINOR, 5001, "late"), 0, "another file writes channel 5001");
	is_int(epoll_events(ep, 0), EPOLLIN,
	       "the registration made before the ioctl reports the write");

	/* Level-triggered, sleeping in another thread across the ioctl. */
	is_int(epoll_add(ep2, fd2, EPOLLIN), 0, "epoll ADD (level) with no channel");
	is_int(epoll_events(ep2, 0), EPOLLERR, "epoll_wait reports EPOLLERR");
	is_int(ioctl(fd2, MSG_SLOT_CHANNEL, 5002ul), 0, "ioctl(5002)");
	is_int(epoll_events(ep2, 0), 0, "channel 5002 is empty: nothing to report");
	s.ep = ep2;
	if (pthread_create(&s.th, NULL, ep_sleeper_main, &s))
		die("pthread_create");
	while (!__atomic_load_n(&s.started, __ATOMIC_ACQUIRE))
		sched_yield();
	ok(wait_polling(getpid(), s.tid, &s.done), "a thread sleeps in epoll_wait on it");
	is_int(ioctl(fd2, MSG_SLOT_CHANNEL, 5003ul), 0,
	       "ioctl(5003) while the other thread sleeps");
	is_int(send_to(MINOR, 5003, "new"), 0, "another file writes channel 5003");
	pthread_join(s.th, NULL);
	ok(s.events > 0 && (s.events & EPOLLIN), "the sleeping thread gets EPOLLIN (%#x)",
	   (unsigned int)s.events);
	close(ep);
	close(ep2);
	close(fd);
	close(fd2);
}

/* ---- poll and epoll racing ioctl ------------------------------------ */

#define POLL_RACES (400u * scale)
#define POLL_RACE_BASE 600000u

struct poll_racer {
	pthread_t th;
	pthread_barrier_t go;
	int fd, ep, use_epoll, revents;
	pid_t tid;
	volatile int done;
};

/* Wait for a message on the file, by poll or by epoll_ctl + epoll_wait. */
static void *poll_racer_main(void *p)
{
	struct poll_racer *r = p;

	r->tid = gettid_();
	pthread_barrier_wait(&r->go);
	if (r->use_epoll) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = r->fd };

		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->fd, &ev) < 0)
			r->revents = -1;
		else
			r->revents = epoll_events(r->ep, GIVE_UP_MS);
	} else {
		struct pollfd pf = { .fd = r->fd, .events = POLLIN };

		r->revents = poll(&pf, 1, GIVE_UP_MS) == 1 ? pf.revents : 0;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A thread starts waiting on a file (poll, or a new epoll registration)
 * at the moment another thread selects a fresh, empty channel on it; a
 * third file then writes that channel. The waiter must see the write:
 * wherever the two interleaved, the file must watch the channel it has.
 */
static void test_poll_ioctl_race(void)
{
	unsigned int i, lost = 0, slept = 0;
	double t = now();

	for (i = 0; i < POLL_RACES && lost < 3; i++) {
		struct poll_racer r = { .use_epoll = (int)(i & 1) };
		unsigned long id = POLL_RACE_BASE + i;
		int done;

		/* The old channel has a message this file has read. */
		r.fd = must_open_chan(MINOR, POLL_RACE_BASE - 1);
		if (i == 0 && send_to(MINOR, POLL_RACE_BASE - 1, "old") < 0)
			die("seed");
		{
			char b[8];

			if (read(r.fd, b, sizeof(b)) < 0)
				die("read the old channel");
		}
		r.ep = epoll_create1(0);
		if (r.ep < 0 || pthread_barrier_init(&r.go, NULL, 2))
			die("epoll_create1, barrier");
		if (pthread_create(&r.th, NULL, poll_racer_main, &r))
			die("pthread_create");
		pthread_barrier_wait(&r.go);
		if (ioctl(r.fd, MSG_SLOT_CHANNEL, id) < 0)
			die("ioctl");
		/* Write once the waiter sleeps (or has returned, e.g. on the ioctl's wake). */
		slept += wait_polling(getpid(), r.tid, &r.done);
		if (send_to(MINOR, id, "new") < 0)
			die("write the new channel");
		pthread_join(r.th, NULL);
		done = r.revents;
		/* The waiter returns only on POLLIN or when it gives up. */
		if (!(done > 0 && (done & POLLIN)))
			lost++;
		pthread_barrier_destroy(&r.go);
		close(r.ep);
		close(r.fd);
	}
	tap_diag("%u races in %.1f s, the waiter slept before the write in %u", i,
		 now() - t, slept);
	ok(lost == 0, "poll/epoll racing ioctl: every waiter saw the write to its new channel (%u of %u lost)",
	   lost, i);
}

/* ---- read racing ioctl ------------------------------------------------ */

#define READ_RACES (1000u * scale)
#define READ_RACE_BASE 800000u

struct read_racer {
	pthread_t th;
	pthread_barrier_t go;
	int fd;
	char *buf;
	ssize_t n;
};

static void *read_racer_main(void *p)
{
	struct read_racer *r = p;

	pthread_barrier_wait(&r->go);
	r->n = read(r->fd, r->buf, 16);
	return NULL;
}

/*
 * Read channel A on one thread while another selects channel B. Both
 * hold their first message (the same generation). If the read returned
 * A's message, B is unread for this file and poll must say so.
 */
static void test_read_ioctl_race(void)
{
	unsigned int i, wrong = 0, read_a = 0;

	for (i = 0; i < READ_RACES; i++) {
		struct read_racer r;
		unsigned long a = READ_RACE_BASE + 2 * i, b = a + 1;
		struct pollfd pf;

		if (send_to(MINOR, a, "AAAA") < 0 || send_to(MINOR, b, "BBBB") < 0)
			die("seed");
		r.fd = must_open_chan(MINOR, a);
		/* A fresh page: the copy to user faults, which widens the window. */
		r.buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r.buf == MAP_FAILED || pthread_barrier_init(&r.go, NULL, 2))
			die("mmap, barrier");
		if (pthread_create(&r.th, NULL, read_racer_main, &r))
			die("pthread_create");
		pthread_barrier_wait(&r.go);
		if (ioctl(r.fd, MSG_SLOT_CHANNEL, b) < 0)
			die("ioctl");
		pthread_join(r.th, NULL);
		pf = (struct pollfd){ .fd = r.fd, .events = POLLIN };
		if (r.n == 4 && memcmp(r.buf, "AAAA", 4) == 0) {
			read_a++;
			if (poll(&pf, 1, 0) != 1 || !(pf.revents & POLLIN))
				wrong++;
		}
		pthread_barrier_destroy(&r.go);
		munmap(r.buf, 4096);
		close(r.fd);
	}
	tap_diag("%u races; the read returned channel A's message in %u", READ_RACES, read_a);
	ok(wrong == 0, "read racing ioctl: channel B is never marked read by a read of A (%u of %u)",
	   wrong, read_a);
}

/*
 * Starts a read of @r->fd (a file on channel @id) that stalls in its copy
 * to user: its buffer is a userfaultfd page no one has filled. Checks
 * that it stalled (@what); returns the userfaultfd, for stall_read_end().
 */
static int stall_read_start(struct read_racer *r, unsigned long id, const char *what)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffd_msg msg;
	struct pollfd pf;
	int uffd;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0)
		tap_skip_case("no userfaultfd in this kernel");
	r->fd = must_open_chan(MINOR, id);
	r->buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->buf == MAP_FAILED)
		die("mmap");
	reg = (struct uffdio_register){
		.range = { .start = (unsigned long)r->buf, .len = 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0 || pthread_barrier_init(&r->go, NULL, 2))
		die("UFFDIO_REGISTER");
	if (pthread_create(&r->th, NULL, read_racer_main, r))
		die("pthread_create");
	pthread_barrier_wait(&r->go);
	pf = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ok(poll(&pf, 1, GIVE_UP_MS) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	   msg.event == UFFD_EVENT_PAGEFAULT, "%s", what);
	return uffd;
}

/* Lets the stalled read finish (a zero page) and waits for it. */
static void stall_read_end(struct read_racer *r, int uffd)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (unsigned long)r->buf, .len = 4096 },
	};

	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero) < 0)
		die("UFFDIO_ZEROPAGE");
	pthread_join(r->th, NULL);
	pthread_barrier_destroy(&r->go);
	close(uffd);
}

/* The read of A stalls in its copy to user while B is selected. */
static void test_read_ioctl_userfault(void)
{
	struct read_racer r;
	struct pollfd pf;
	int uffd;

	if (send_to(MINOR, 850001, "AAAA") < 0 || send_to(MINOR, 850002, "BBBB") < 0)
		die("seed");
	uffd = stall_read_start(&r, 850001, "the read of channel A stalls in its copy to user");
	is_int(ioctl(r.fd, MSG_SLOT_CHANNEL, 850002ul), 0, "ioctl(B) meanwhile");
	stall_read_end(&r, uffd);
	ok(r.n == 4 && memcmp(r.buf, "AAAA", 4) == 0, "the read returns channel A's message");
	pf = (struct pollfd){ .fd = r.fd, .events = POLLIN };
	ok(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN),
	   "poll: channel B, which this file has not read, is readable");
	close(r.fd);
	munmap(r.buf, 4096);
}

/*
 * Two reads of one file: the first copies generation 1 and stalls in its
 * copy to user (a userfaultfd page); a write makes generation 2, and a
 * second read returns and marks it. The first read ending late must not
 * move the mark back to 1, or poll would report generation 2, already
 * read, as new.
 */
static void test_read_mark_forward(void)
{
	struct read_racer r;
	struct pollfd pf;
	char b[16];
	int uffd;

	if (send_to(MINOR, 860001, "gen1") < 0)
		die("seed");
	uffd = stall_read_start(&r, 860001,
				"the first read, of generation 1, stalls in its copy to user");
	is_int(send_to(MINOR, 860001, "gen2"), 0, "another file writes generation 2 meanwhile");
	is_int(read(r.fd, b, sizeof(b)), 4, "a second read of the same file returns it");
	pf = (struct pollfd){ .fd = r.fd, .events = POLLIN };
	is_int(poll(&pf, 1, 0), 0, "poll: nothing unread");
	stall_read_end(&r, uffd);
	ok(r.n == 4 && memcmp(r.buf, "gen1", 4) == 0, "the first read then returns generation 1");
	pf = (struct pollfd){ .fd = r.fd, .events = POLLIN };
	is_int(poll(&pf, 1, 0), 0,
	       "poll: still nothing unread (the late read did not move the mark back)");
	close(r.fd);
	munmap(r.buf, 4096);
}

/* ---- wake-ups counted --------------------------------------------------- */

/* voluntary_ctxt_switches of @pid; -1 if unreadable. */
static long voluntary_switches(pid_t pid)
{
	char path[64], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

#define WAKE_WRITES 1000u
#define WAKE_CHANNEL 900001ul

/*
 * A child sleeps waiting on channel WAKE_CHANNEL (poll, or epoll); this
 * process writes other channels of the same slot, and the same channel
 * of another slot, WAKE_WRITES times each. Every wake-up of the child
 * would cost it a voluntary context switch: there must be none. Then a
 * write to its channel must wake it. The child waits with no timeout (a
 * timeout would itself wake it on a slow host); if nothing wakes it, the
 * case's time limit ends it and reports it.
 */
static void wake_count(int use_epoll)
{
	const char *how = use_epoll ? "epoll_wait" : "poll";
	unsigned long chan = WAKE_CHANNEL + (use_epoll ? 100 : 0);
	long before, after;
	int status, i, fd;
	pid_t pid;

	fd = must_open_chan(MINOR, chan);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int n;

		if (use_epoll) {
			int ep = epoll_create1(0);

			if (ep < 0 || epoll_add(ep, fd, EPOLLIN) < 0)
				_exit(3);
			n = epoll_events(ep, -1);
			_exit(n > 0 && (n & EPOLLIN) ? 0 : 1);
		}
		n = poll(&pf, 1, -1);
		_exit(n == 1 && (pf.revents & POLLIN) ? 0 : 1);
	}
	ok(wait_polling(pid, pid, NULL), "a child sleeps in %s on channel %lu", how, chan);
	before = voluntary_switches(pid);
	for (i = 0; i < (int)WAKE_WRITES; i++) {
		char msg[16];

		snprintf(msg, sizeof(msg), "w%d", i);
		if (send_to(MINOR, chan + 1 + (unsigned long)(i % 50), msg) < 0 ||
		    send_to(OTHER_MINOR, chan, msg) < 0)
			die("write other channels");
	}
	after = voluntary_switches(pid);
	ok(before >= 0 && after == before,
	   "%u writes to other channels and slots never woke it (%s; %ld voluntary context switches)",
	   2 * WAKE_WRITES, how, after - before);
	ok(task_polling(pid, pid), "it still sleeps in %s", how);
	is_int(send_to(MINOR, chan, "yours"), 0, "write its channel");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "that write wakes it with POLLIN (%s)", how);
	close(fd);
}

static void test_wakeups_counted(void)
{
	wake_count(0);
	wake_count(1);
}

/* ---- channels replaced while hammered ---------------------------------- */

#define GROW_BATCHES (60u * scale)
#define GROW_BATCH 64u
#define GROW_BASE 1000000u
/*
 * A minor of their own: the counters must show exactly the channels this
 * case makes, and t1 leaves channels all over minor 2 (one of them inside
 * the churn range once the debug kernels triple the batches).
 */
#define GROW_MINOR 41

struct grow_ctx {
	pthread_barrier_t go;
	unsigned int batch;
	volatile int stop;
	unsigned int at[2];	/* the channel each writer is ready to write */
	unsigned int grown;	/* the last channel the grower has written */
	unsigned int writing;	/* writers still on the batch */
	unsigned long torn, reads, failed;
};

struct grow_thread {
	pthread_t th;
	struct grow_ctx *ctx;
	int role, fd;
};

/* A message of @len bytes for channel @id: a partial, torn or other channel's one is seen. */
static void grow_msg(unsigned char *b, size_t len, unsigned long id)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (unsigned char)(len + id * 31 + i * 7);
}

/* Whether @b of @n bytes is a whole message of channel @id. */
static int grow_ok(const unsigned char *b, ssize_t n, unsigned long id)
{
	unsigned char want[MSG_SLOT_MAX_LEN];

	if (n < 1 || n > MSG_SLOT_MAX_LEN)
		return 0;
	grow_msg(want, (size_t)n, id);
	return memcmp(want, b, (size_t)n) == 0;
}

#define CHURN_BASE (GROW_BASE + 2000000u)

/* Both writers meet before channel @n: each says where it is and waits for the other. */
static void grow_meet(struct grow_ctx *c, int role, unsigned int n)
{
	__atomic_store_n(&c->at[role], n, __ATOMIC_RELEASE);
	while (__atomic_load_n(&c->at[!role], __ATOMIC_ACQUIRE) < n)
		sched_yield();
}

/*
 * Per batch of fresh channels, each created with a 1-byte message, the
 * two writers meet before each channel and then write it at once: the
 * grower a 128-byte message (the channel is replaced by a larger one),
 * the other 2 to 9 bytes, again and again until the grower is done (it
 * fits the old channel, so it races the replacement for the old
 * channel's lock). The reader reads the batch's channels, mostly the one
 * being replaced, until both writers are done with it.
 */
static void *grow_main(void *p)
{
	struct grow_thread *g = p;
	struct grow_ctx *c = g->ctx;
	unsigned char b[MSG_SLOT_MAX_LEN];
	unsigned int k, n, x = 1;

	for (;;) {
		unsigned long base;

		pthread_barrier_wait(&c->go);
		if (c->stop)
			return NULL;
		base = GROW_BASE + (unsigned long)c->batch * GROW_BATCH;
		if (g->role == 2) {
			while (__atomic_load_n(&c->writing, __ATOMIC_ACQUIRE)) {
				unsigned long id;
				ssize_t len;

				/* Mostly the channel being replaced right now. */
				x = x * 1103515245u + 12345u;
				n = __atomic_load_n(&c->at[0], __ATOMIC_ACQUIRE);
				id = n && (x >> 8) % 4 ? GROW_BASE + n - 1 : base + (x >> 8) % GROW_BATCH;
				if (ioctl(g->fd, MSG_SLOT_CHANNEL, id) < 0) {
					__atomic_add_fetch(&c->failed, 1, __ATOMIC_RELAXED);
					continue;
				}
				len = read(g->fd, b, sizeof(b));
				c->reads++;
				c->torn += !grow_ok(b, len, id);
			}
		} else {
			for (k = 0; k < GROW_BATCH; k++) {
				size_t len = g->role == 0 ? MSG_SLOT_MAX_LEN : 2 + k % 8;

				grow_msg(b, len, base + k);
				if (ioctl(g->fd, MSG_SLOT_CHANNEL, base + k) < 0)
					__atomic_add_fetch(&c->failed, 1, __ATOMIC_RELAXED);
				n = c->batch * GROW_BATCH + k + 1;
				grow_meet(c, g->role, n);
				/* The short writes go on for as long as the replacement does. */
				do {
					if (write(g->fd, b, len) != (ssize_t)len)
						__atomic_add_fetch(&c->failed, 1, __ATOMIC_RELAXED);
				} while (g->role == 1 && __atomic_load_n(&c->grown, __ATOMIC_ACQUIRE) < n);
				if (g->role == 0)
					__atomic_store_n(&c->grown, n, __ATOMIC_RELEASE);
				/*
				 * A new small channel, which may reuse the memory of
				 * the one just replaced: a reader still on that one
				 * after it was freed would read this one's message.
				 */
				grow_msg(b, 1, CHURN_BASE + n);
				if (g->role == 1 &&
				    (ioctl(g->fd, MSG_SLOT_CHANNEL, CHURN_BASE + n) < 0 ||
				     write(g->fd, b, 1) != 1))
					__atomic_add_fetch(&c->failed, 1, __ATOMIC_RELAXED);
			}
			__atomic_sub_fetch(&c->writing, 1, __ATOMIC_RELEASE);
		}
		pthread_barrier_wait(&c->go);
	}
}

static void test_growth_races(void)
{
	struct grow_thread t[3];
	struct grow_ctx c = { 0 };
	unsigned char b[MSG_SLOT_MAX_LEN];
	long bytes0 = ms_counter("bytes"), chans0 = ms_counter("channels");
	long held = 0, bytes1, chans1;
	unsigned int i, k, whole = 1;
	int fd;

	if (bytes0 < 0 || chans0 < 0) {
		tap_skip_case("no debugfs counters");
	}
	fd = must_open_chan(GROW_MINOR, GROW_BASE);
	if (pthread_barrier_init(&c.go, NULL, 4))
		die("barrier");
	for (i = 0; i < 3; i++) {
		t[i] = (struct grow_thread){ .ctx = &c, .role = (int)i,
					     .fd = must_open_chan(GROW_MINOR, GROW_BASE) };
		if (pthread_create(&t[i].th, NULL, grow_main, &t[i]))
			die("pthread_create");
	}
	for (c.batch = 0; c.batch < GROW_BATCHES; c.batch++) {
		for (k = 0; k < GROW_BATCH; k++) {
			unsigned long id = GROW_BASE + (unsigned long)c.batch * GROW_BATCH + k;

			grow_msg(b, 1, id);
			if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0 || write(fd, b, 1) != 1)
				die("create a channel");
		}
		c.writing = 2;
		pthread_barrier_wait(&c.go);	/* go */
		pthread_barrier_wait(&c.go);	/* batch done */
	}
	c.stop = 1;
	pthread_barrier_wait(&c.go);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i].th, NULL);
		close(t[i].fd);
	}
	pthread_barrier_destroy(&c.go);

	for (k = 0; k < 2 * GROW_BATCHES * GROW_BATCH; k++) {
		unsigned long id = k < GROW_BATCHES * GROW_BATCH ?
				   GROW_BASE + (unsigned long)k :
				   CHURN_BASE + 1 + (unsigned long)k - GROW_BATCHES * GROW_BATCH;
		ssize_t n;

		if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0)
			die("ioctl");
		n = read(fd, b, sizeof(b));
		whole &= grow_ok(b, n, id);
		if (n > 0)
			held += n;
	}
	close(fd);
	bytes1 = ms_counter("bytes");
	chans1 = ms_counter("channels");
	ok(c.failed == 0, "%u channels each replaced by a larger one while written in place and read: no failed call (%lu)",
	   GROW_BATCHES * GROW_BATCH, c.failed);
	ok(c.torn == 0, "%lu reads meanwhile, none torn or of freed memory (%lu)", c.reads, c.torn);
	ok(whole, "every channel ends holding one whole message");
	is_int(chans1 - chans0, (long)(2 * GROW_BATCHES * GROW_BATCH),
	       "the module counts each channel once (with one new small channel per channel replaced)");
	is_int(bytes1 - bytes0, held,
	       "the bytes counter equals the bytes the channels hold: no write went to a replaced channel");
}

/*
 * Deletes racing writes and reads: one thread writes whole self-checking
 * messages to DEL_CHANNELS channels in turn, short and long (so channels
 * are also replaced by larger ones), another deletes them in turn, a
 * third reads them. Every delete answers 0 or ENOENT, every read a whole
 * message of its channel or EWOULDBLOCK, and at the end the counters
 * equal what the channels hold: no write went to a deleted channel and
 * none was counted twice or lost.
 */
#define DEL_OPS (20000u * scale)
#define DEL_CHANNELS 8u
#define DEL_MINOR 43
#define DEL_BASE 3000000u

struct del_ctx {
	pthread_t th;
	int role;		/* 0 writes, 1 deletes, 2 reads */
	unsigned long bad, deleted, empty;
};

static void *del_main(void *p)
{
	struct del_ctx *c = p;
	unsigned char b[MSG_SLOT_MAX_LEN];
	int fd = open(slot_path(DEL_MINOR), O_RDWR);
	unsigned int i, writer;
	uint32_t seq;

	if (fd < 0) {
		c->bad++;
		return NULL;
	}
	for (i = 0; i < DEL_OPS; i++) {
		unsigned long id = DEL_BASE + i % DEL_CHANNELS;
		size_t len = i % 3 ? SC_MIN_LEN + i % 20 : MSG_SLOT_MAX_LEN - i % 7;
		ssize_t n;

		if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0) {
			c->bad++;
			continue;
		}
		if (c->role == 0) {
			sc_make(b, len, 0, (uint32_t)id, i);
			if (write(fd, b, len) != (ssize_t)len)
				c->bad++;
		} else if (c->role == 1) {
			if (ioctl(fd, MSG_SLOT_DELETE) == 0)
				c->deleted++;
			else if (errno != ENOENT)
				c->bad++;
		} else {
			n = read(fd, b, sizeof(b));
			if (n < 0 && errno == EWOULDBLOCK)
				c->empty++;
			else if (sc_check(b, n, (uint32_t)id, &writer, &seq) < 0)
				c->bad++;
		}
	}
	close(fd);
	return NULL;
}

static void test_delete_races(void)
{
	struct del_ctx t[3] = { { .role = 0 }, { .role = 1 }, { .role = 2 } };
	unsigned char b[MSG_SLOT_MAX_LEN];
	long chans0 = ms_counter("channels"), bytes0 = ms_counter("bytes");
	long held = 0, chans = 0;
	unsigned int i;
	int fd;

	for (i = 0; i < 3; i++)
		if (pthread_create(&t[i].th, NULL, del_main, &t[i]))
			die("pthread_create");
	for (i = 0; i < 3; i++)
		pthread_join(t[i].th, NULL);
	ok(t[0].bad == 0, "%u writes racing deletes and reads: every one stored (%lu failed)",
	   DEL_OPS, t[0].bad);
	ok(t[1].bad == 0, "%u deletes: each 0 or ENOENT (%lu deleted, %lu other errors)",
	   DEL_OPS, t[1].deleted, t[1].bad);
	ok(t[2].bad == 0, "%u reads: each a whole message of its channel or EWOULDBLOCK "
	   "(%lu empty, %lu torn or failed)", DEL_OPS, t[2].empty, t[2].bad);
	ok(t[1].deleted > 0, "some deletes found a message to delete (%lu)", t[1].deleted);

	fd = must_open_chan(DEL_MINOR, DEL_BASE);
	for (i = 0; i < DEL_CHANNELS; i++) {
		ssize_t n;

		if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)(DEL_BASE + i)) < 0)
			die("ioctl");
		n = read(fd, b, sizeof(b));
		if (n > 0) {
			held += n;
			chans++;
		}
	}
	close(fd);
	is_int(ms_counter("channels") - chans0, chans,
	       "the channels counter equals the channels left (%ld)", chans);
	is_int(ms_counter("bytes") - bytes0, held,
	       "the bytes counter equals the bytes they hold (%ld)", held);
}

/* Before the first case: three times the rounds on the debug kernels. */
int main(void)
{
	static const struct tap_case cases[] = {
		TAP_CASE(test_epoll_before_ioctl, 120),
		TAP_CASE(test_poll_ioctl_race, 300),
		TAP_CASE(test_read_ioctl_race, 300),
		TAP_CASE(test_read_ioctl_userfault, 120),
		TAP_CASE(test_read_mark_forward, 120),
		TAP_CASE(test_wakeups_counted, 300),
		TAP_CASE(test_growth_races, 600),
		TAP_CASE(test_delete_races, 300),
	};

	if (detector_kernel())
		scale = 3;
	return tap_main(cases, sizeof(cases) / sizeof(cases[0]));
}
