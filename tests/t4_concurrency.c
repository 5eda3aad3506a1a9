// SPDX-License-Identifier: GPL-2.0
/*
 * t4_concurrency.c - many processes and threads on the same slots and
 * channels at once: no torn or partial read, no read going back in time,
 * a read into a buffer too short for the message fails with ENOSPC
 * whatever the writers do, racing creators of a channel or a slot create
 * it once.
 *
 * Under the debug kernel (lockdep, KASAN) it runs three times longer.
 *
 * Workers start together at a gate (a pipe they all block on until the
 * parent closes it) and stop after a fixed amount of work, so nothing
 * here waits on time.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

#define WRITERS 2
#define READERS 2
#define WRITES (20000u * scale)	/* per writer, one channel */
#define GROW_ROUNDS (25u * scale)	/* fresh channels that grow under readers */
#define GROW_CHANNELS 64u
#define RACERS 8
#define RACE_CHANNELS 2000u

#define TORTURE_MINOR 1
#define TORTURE_CHANNEL 100001u
#define THREAD_CHANNEL 100002u
#define GROW_BASE 200000u
#define RACE_MINOR 3
#define RACE_BASE 10000u
#define OPEN_MINOR 7

/* Lengths that vary with the sequence number, header included. */
static size_t msg_len(uint32_t seq)
{
	return SC_MIN_LEN + 1 + (seq * 7u) % (MSG_SLOT_MAX_LEN - SC_MIN_LEN);
}

/* What the workers report back through shared memory. */
struct tally {
	unsigned long reads, torn, backwards, errors, writes;
};

static struct tally *tallies;	/* MAP_SHARED: one per worker */
static volatile unsigned int *writers_left;

static unsigned int scale = 1;	/* 3 under the debug and KCSAN kernels */

static void writer_loop(int fd, uint32_t id, unsigned int writer, struct tally *t)
{
	unsigned char b[MSG_SLOT_MAX_LEN];
	uint32_t seq;

	for (seq = 1; seq <= WRITES; seq++) {
		size_t len = msg_len(seq);

		sc_make(b, len, writer, id, seq);
		if (write(fd, b, len) != (ssize_t)len)
			t->errors++;
		t->writes++;
	}
	__atomic_sub_fetch(writers_left, 1, __ATOMIC_SEQ_CST);
}

/* Read until every writer is done, checking each message. */
static void reader_loop(int fd, uint32_t id, unsigned int index, struct tally *t)
{
	uint32_t last[WRITERS + 1] = { 0 };
	unsigned char b[MSG_SLOT_MAX_LEN];
	unsigned int writer;
	uint32_t seq;
	int more = 1;

	(void)index;	/* every reader reads the same channel */
	while (more) {
		ssize_t n;

		more = __atomic_load_n(writers_left, __ATOMIC_SEQ_CST) != 0;
		if (t->reads++ % 4 == 3) {
			/* Shorter than every message: ENOSPC, also mid-write. */
			if (read(fd, b, SC_MIN_LEN - 1) >= 0 || errno != ENOSPC)
				t->errors++;
			continue;
		}
		n = read(fd, b, sizeof(b));
		if (n < 0) {
			t->errors++;
		} else if (sc_check(b, n, id, &writer, &seq) < 0 || writer > WRITERS) {
			t->torn++;
		} else {
			if (seq < last[writer])
				t->backwards++;
			last[writer] = seq;
		}
	}
}

/* Share fresh tallies with the workers this case forks. */
static void reset_tallies(unsigned int writers)
{
	if (!tallies) {
		void *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (shm == MAP_FAILED)
			die("mmap");
		writers_left = shm;
		tallies = (struct tally *)((char *)shm + 64);
	}
	scale = detector_kernel() ? 3 : 1;
	memset(tallies, 0, sizeof(*tallies) * (WRITERS + READERS));
	*writers_left = writers;
}

static struct tally sum_tallies(void)
{
	struct tally s = { 0 };
	int i;

	for (i = 0; i < WRITERS + READERS; i++) {
		s.reads += tallies[i].reads;
		s.torn += tallies[i].torn;
		s.backwards += tallies[i].backwards;
		s.errors += tallies[i].errors;
		s.writes += tallies[i].writes;
	}
	return s;
}

static void report(const char *what, struct tally s, unsigned long writes)
{
	ok(s.writes == writes && s.errors == 0, "%s: %lu writes, no failed call (%lu)",
	   what, s.writes, s.errors);
	ok(s.reads > 0 && s.torn == 0, "%s: %lu reads, none torn or partial (%lu)",
	   what, s.reads, s.torn);
	ok(s.backwards == 0, "%s: no read older than one read before it (%lu)",
	   what, s.backwards);
}

/* Seed the channel, so that every read has a message to check. */
static void seed(unsigned int minor, uint32_t id)
{
	unsigned char b[MSG_SLOT_MAX_LEN];
	int fd = must_open_chan(minor, id);

	sc_make(b, SC_MIN_LEN, 0, id, 0);
	if (write(fd, b, SC_MIN_LEN) != SC_MIN_LEN)
		die("seed write");
	close(fd);
}

/* A worker: its file and channel, its index among the workers, its tally. */
typedef void (*worker_fn)(int fd, uint32_t id, unsigned int index, struct tally *t);

struct workers {
	unsigned long id;
	worker_fn writer, reader;
};

static int worker_main(int i, void *arg)
{
	const struct workers *w = arg;
	int fd = must_open_chan(TORTURE_MINOR, w->id);

	(i < WRITERS ? w->writer : w->reader)(fd, (uint32_t)w->id, (unsigned int)i + 1,
						&tallies[i]);
	return 0;
}

/*
 * Fork WRITERS writers and READERS readers, each with its own file on
 * channel @id of the torture slot, released together at the gate.
 * Writers get indexes 1..WRITERS (their writer id), readers the rest.
 * Returns whether every worker exited cleanly.
 */
static int run_workers(unsigned long id, worker_fn writer, worker_fn reader)
{
	struct workers w = { id, writer, reader };

	reset_tallies(WRITERS);
	return run_gated(WRITERS + READERS, worker_main, &w);
}

static void test_processes(void)
{
	seed(TORTURE_MINOR, TORTURE_CHANNEL);
	ok(run_workers(TORTURE_CHANNEL, writer_loop, reader_loop),
	   "processes: every worker exited cleanly");
	report("processes, 2 writers and 2 readers on one channel", sum_tallies(),
	       WRITERS * WRITES);
}

struct thread_arg {
	int fd, index;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	if (a->index < WRITERS)
		writer_loop(a->fd, THREAD_CHANNEL, (unsigned int)a->index + 1, &tallies[a->index]);
	else
		reader_loop(a->fd, THREAD_CHANNEL, (unsigned int)a->index, &tallies[a->index]);
	return NULL;
}

static void test_threads(void)
{
	struct thread_arg args[WRITERS + READERS];
	pthread_t th[WRITERS + READERS];
	int shared_fd, i, started = 0;

	seed(TORTURE_MINOR, THREAD_CHANNEL);
	reset_tallies(WRITERS);
	/* The writers share one file, the readers have one each. */
	shared_fd = must_open_chan(TORTURE_MINOR, THREAD_CHANNEL);
	for (i = 0; i < WRITERS + READERS; i++) {
		args[i].index = i;
		args[i].fd = i < WRITERS ? shared_fd : must_open_chan(TORTURE_MINOR, THREAD_CHANNEL);
	}
	for (i = 0; i < WRITERS + READERS; i++)
		started += pthread_create(&th[i], NULL, thread_main, &args[i]) == 0;
	if (started != WRITERS + READERS)
		die("pthread_create");
	for (i = 0; i < WRITERS + READERS; i++)
		pthread_join(th[i], NULL);
	for (i = WRITERS; i < WRITERS + READERS; i++)
		close(args[i].fd);
	close(shared_fd);
	report("threads, 2 writers and 2 readers on one channel", sum_tallies(),
	       WRITERS * WRITES);
}

/*
 * Writers fill fresh channels with ever longer messages, so that each
 * channel is replaced by a larger one several times while readers read it.
 */
static void grow_writer(int fd, uint32_t unused, unsigned int writer, struct tally *t)
{
	static const size_t lens[] = { SC_MIN_LEN + 1, 40, 90, MSG_SLOT_MAX_LEN };
	unsigned char b[MSG_SLOT_MAX_LEN];
	unsigned int round, c, l;

	for (round = 0; round < GROW_ROUNDS; round++) {
		for (l = 0; l < 4; l++) {
			for (c = 0; c < GROW_CHANNELS; c++) {
				uint32_t seq = round * 4 + l + 1;
				uint32_t id = GROW_BASE + round * GROW_CHANNELS + c;

				sc_make(b, lens[l], writer, id, seq);
				if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id) < 0 ||
				    write(fd, b, lens[l]) != (ssize_t)lens[l])
					t->errors++;
				t->writes++;
			}
		}
	}
	(void)unused;	/* it writes channels of its own choosing */
	__atomic_sub_fetch(writers_left, 1, __ATOMIC_SEQ_CST);
}

static void grow_reader(int fd, uint32_t unused, unsigned int salt, struct tally *t)
{
	unsigned char b[MSG_SLOT_MAX_LEN];
	uint32_t x = salt * 2654435761u + 1, seq, id;
	unsigned int writer;
	int more = 1;

	while (more) {
		ssize_t n;

		more = __atomic_load_n(writers_left, __ATOMIC_SEQ_CST) != 0;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		id = GROW_BASE + x % (GROW_ROUNDS * GROW_CHANNELS);
		if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id) < 0) {
			t->errors++;
			continue;
		}
		n = read(fd, b, sizeof(b));
		t->reads++;
		if (n < 0 && errno == EWOULDBLOCK)
			continue;	/* not created yet */
		if (n < 0)
			t->errors++;
		else if (sc_check(b, n, id, &writer, &seq) < 0 || writer < 1 || writer > WRITERS)
			t->torn++;
	}
	(void)unused;
}

static void test_growth(void)
{
	ok(run_workers(1, grow_writer, grow_reader), "growth: every worker exited cleanly");
	report("2 writers growing fresh channels under 2 readers", sum_tallies(),
	       WRITERS * GROW_ROUNDS * 4 * GROW_CHANNELS);
}

/* Racing creators: every process writes every channel, in its own order. */
static int create_racer(int i, void *arg)
{
	unsigned char b[MSG_SLOT_MAX_LEN];
	int fd = must_open_chan(RACE_MINOR, RACE_BASE), failed = 0;
	unsigned int c;

	(void)arg;
	for (c = 0; c < RACE_CHANNELS; c++) {
		unsigned int ch = (c + (unsigned int)i * RACE_CHANNELS / RACERS) % RACE_CHANNELS;
		size_t len = SC_MIN_LEN + (ch + (unsigned int)i) % 100;

		sc_make(b, len, (unsigned int)i + 1, RACE_BASE + ch, ch);
		if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)RACE_BASE + ch) < 0 ||
		    write(fd, b, len) != (ssize_t)len)
			failed = 1;
	}
	return failed;
}

static void test_create_race(void)
{
	unsigned char b[MSG_SLOT_MAX_LEN], b2[MSG_SLOT_MAX_LEN];
	unsigned int c, bad = 0, mismatch = 0;
	long before = ms_counter("channels"), after;
	int fd, fd2;

	ok(run_gated(RACERS, create_racer, NULL),
	   "8 processes racing to create the same 2000 channels: no failed write");
	after = ms_counter("channels");
	ok(before >= 0 && after - before == RACE_CHANNELS,
	   "the module counts exactly 2000 new channels: each was created once (%ld)",
	   after - before);

	fd = must_open_chan(RACE_MINOR, RACE_BASE);
	fd2 = must_open_chan(RACE_MINOR, RACE_BASE);
	for (c = 0; c < RACE_CHANNELS; c++) {
		unsigned int writer;
		uint32_t seq;
		ssize_t n, n2;

		ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)RACE_BASE + c);
		ioctl(fd2, MSG_SLOT_CHANNEL, (unsigned long)RACE_BASE + c);
		n = read(fd, b, sizeof(b));
		n2 = read(fd2, b2, sizeof(b2));
		if (sc_check(b, n, RACE_BASE + c, &writer, &seq) < 0 || seq != c || writer < 1 ||
		    writer > RACERS)
			bad++;
		if (n != n2 || n < 0 || memcmp(b, b2, (size_t)n) != 0)
			mismatch++;
	}
	ok(bad == 0, "every raced channel holds one whole message written to it (%u bad)", bad);
	ok(mismatch == 0, "two files see the same message on every raced channel (%u differ)",
	   mismatch);
	close(fd);
	close(fd2);
}

/* Racing first opens of a minor no one has opened yet create one slot. */
static int open_racer(int i, void *arg)
{
	(void)arg;
	return opener_write(OPEN_MINOR, i);
}

static void test_open_race(void)
{
	int missing;

	slot_path(OPEN_MINOR);	/* the node, not the slot: that is the race */
	ok(run_gated(RACERS, open_racer, NULL),
	   "8 processes racing on the first open of minor 7 all wrote");

	missing = openers_missing(OPEN_MINOR, RACERS);
	ok(missing == 0, "all their messages are in one slot (%d missing)", missing);
}

TAP_MAIN(
	TAP_CASE(test_processes, 300),
	TAP_CASE(test_threads, 300),
	TAP_CASE(test_growth, 300),
	TAP_CASE(test_create_race, 300),
	TAP_CASE(test_open_race, 120),
)
