// SPDX-License-Identifier: GPL-2.0
/*
 * t9_module.c - the module's life: rmmod refused while a file is open,
 * messages gone after a reload, unload/reload cycles, every byte freed
 * on unload, the debugfs counters, the major, nodes, mode, max_channels,
 * max_total_channels and max_user_channels parameters (users other than
 * root are children that drop to their uids), writers racing to create
 * one id at the limit, and failing inits unwound.
 *
 * Runs last: it unloads and reloads the module the other tests used, and
 * leaves it loaded as it found it.
 */
#define _GNU_SOURCE

#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/klog.h>
#include <time.h>

#include "common.h"

#define CYCLES 5
#define SLAB_CHANNELS 100000u
#define SLAB_SLOTS 20000u

/* 1 if the kernel log holds @needle. */
static int klog_has(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);

	if (n <= 0 || n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, n);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/*
 * Every case starts from the module loaded with no parameters, whatever
 * the case before it left behind.
 */
static void reset_module(void)
{
	if (registered_major() >= 0 && module_unload() < 0)
		die("rmmod before the case");
	if (module_load("") < 0)
		die("insmod before the case");
}

/* Slab: in /proc/meminfo after asking every cache to give back empty slabs. */
static long slab_kb(void)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	if (system("for s in /sys/kernel/slab/*/shrink; do echo 1 > $s; done 2>/dev/null") != 0)
		tap_diag("could not shrink every slab cache");
	return meminfo_kb("Slab:");
}

/*
 * The slab with the module unloaded, then the module loaded again (the
 * case skips where freed memory is not given back at once).
 */
static long slab_before(void)
{
	long before;

	if (debug_kernel())
		tap_skip_case("KASAN's quarantine holds freed objects; kmemleak checks for leaks instead");
	reset_module();
	is_int(module_unload(), 0, "unload before measuring the slab");
	before = slab_kb();
	is_int(module_load(""), 0, "load");
	return before;
}

/* After an unload: the slab is back to @before; then reload. */
static void slab_given_back(long before, const char *what)
{
	long after = slab_kb();

	ok(after - before < 1024,
	   "unloading %s gives it all back: slab %ld KiB before, %ld KiB after (limit +1024)",
	   what, before, after);
	is_int(module_load(""), 0, "reload");
}

static void test_refused_while_open(void)
{
	unsigned char b[16];
	int fd;

	reset_module();
	fd = must_open_chan(0, 1);
	is_int(write(fd, "before reload", 13), 13, "a message before unloading");
	is_errno(module_unload(), EWOULDBLOCK, "rmmod while a file is open: refused (EWOULDBLOCK)");
	is_int(read(fd, b, sizeof(b)), 13, "the open file still works after the refused rmmod");
	close(fd);
	is_int(module_unload(), 0, "rmmod once every file is closed");
	is_errno(open(slot_path(0), O_RDWR), ENXIO, "with the module gone, opening a slot: ENXIO");
	is_int(registered_major(), -1, "and /proc/devices no longer lists message_slot");

	is_int(module_load(""), 0, "insmod again");
	fd = must_open_chan(0, 1);
	is_errno(read(fd, b, sizeof(b)), EWOULDBLOCK, "after a reload the old message is gone");
	close(fd);
}

static void test_cycles(void)
{
	unsigned int i, gone = 0, fail = 0;
	unsigned char b[16];

	reset_module();
	for (i = 0; i < CYCLES; i++) {
		int fd = open_chan(2, 5);

		if (fd < 0) {
			fail++;
			continue;
		}
		if (read(fd, b, sizeof(b)) < 0 && errno == EWOULDBLOCK)
			gone++;
		if (write(fd, "cycle", 5) != 5)
			fail++;
		close(fd);
		if (module_unload() < 0 || module_load("") < 0)
			fail++;
	}
	ok(fail == 0, "%d write, unload and reload cycles", CYCLES);
	ok(gone == CYCLES, "each reload starts empty (%u of %d)", gone, CYCLES);
}

/* The id of the slab tests' channel @i: spread over the whole range. */
static unsigned long slab_id(unsigned int i)
{
	return (uint32_t)(i * 2654435761u);
}

/* Writes SLAB_CHANNELS channels of 128 bytes through @fd; failures counted. */
static unsigned int slab_fill(int fd)
{
	unsigned char msg[MSG_SLOT_MAX_LEN];
	unsigned int i, bad = 0;

	for (i = 1; i <= SLAB_CHANNELS; i++) {
		fill_msg(msg, sizeof(msg), i);
		if (ioctl(fd, MSG_SLOT_CHANNEL, slab_id(i)) < 0 ||
		    write(fd, msg, sizeof(msg)) != MSG_SLOT_MAX_LEN)
			bad++;
	}
	return bad;
}

static void test_slab(void)
{
	long before, full;
	unsigned int bad;
	int fd;

	before = slab_before();
	fd = must_open_chan(2, 1);
	bad = slab_fill(fd);
	close(fd);
	full = slab_kb();
	ok(bad == 0 && full - before > (long)SLAB_CHANNELS * MSG_SLOT_MAX_LEN / 1024,
	   "100000 channels of 128 bytes grow the slab by more than 12.5 MiB (%ld KiB, %u failed writes)",
	   full - before, bad);
	is_int(module_unload(), 0, "unload with 100000 channels");
	slab_given_back(before, "100000 channels");
}

/*
 * Deleting channels gives their memory back without an unload: 100000
 * channels of 128 bytes, all deleted, and the slab shrinks by most of
 * what they took (the slot's table keeps its buckets). The memory goes
 * after an RCU grace period; unloading waits for it with rcu_barrier().
 */
static void test_slab_delete(void)
{
	long before, full, after = 0;
	unsigned int i, bad, bad_delete = 0;
	int fd, tries;

	before = slab_before();
	/*
	 * The frees wait for a grace period, which membarrier() waits for:
	 * the KCSAN kernel's tinyconfig has no membarrier().
	 */
	if (syscall(SYS_membarrier, 0 /* MEMBARRIER_CMD_QUERY */, 0, 0) < 0 && errno == ENOSYS)
		tap_skip_case("no membarrier() in this kernel to wait for a grace period with");
	fd = must_open_chan(2, 1);
	bad = slab_fill(fd);
	full = slab_kb();
	for (i = 1; i <= SLAB_CHANNELS; i++) {
		if (ioctl(fd, MSG_SLOT_CHANNEL, slab_id(i)) < 0 ||
		    ioctl(fd, MSG_SLOT_DELETE) < 0)
			bad_delete++;
	}
	ok(bad == 0 && bad_delete == 0, "100000 channels written and deleted (%u, %u failures)",
	   bad, bad_delete);
	is_int(ms_counter("channels"), 0, "debugfs: no channel left");
	is_int(ms_counter("bytes"), 0, "debugfs: no byte left");
	/*
	 * The frees run after a grace period: membarrier(GLOBAL) waits for
	 * one (synchronize_rcu()), and the callbacks queued before it run
	 * soon after; look again after each, a bounded number of times.
	 */
	for (tries = 0; tries < 100; tries++) {
		if (syscall(SYS_membarrier, 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0) < 0)
			die("membarrier");
		after = slab_kb();
		if (full - after > (full - before) * 3 / 4)
			break;
	}
	ok(full - after > (full - before) * 3 / 4,
	   "deleting gives back most of the %ld KiB they grew the slab by (%ld KiB back, %d looks)",
	   full - before, full - after, tries + 1);
	close(fd);
	is_int(module_unload(), 0, "unload after the deletes");
	slab_given_back(before, "100000 deleted channels");
}

/*
 * Many slots, each opened once and polled on a channel (so that it also
 * has a watch) through a node made for its minor: their memory must come
 * back at unload, as the channels' does.
 */
static void test_slab_slots(void)
{
	const char *node = "/tmp/ms_slab_slot";
	long before, full;
	unsigned int i, bad = 0;

	before = slab_before();
	for (i = 0; i < SLAB_SLOTS; i++) {
		struct pollfd pf = { .events = POLLIN };
		int fd;

		unlink(node);
		if (mknod(node, S_IFCHR | 0600, makedev(MSG_SLOT_MAJOR, 1000 + i)) < 0) {
			bad++;
			continue;
		}
		fd = open(node, O_RDWR);
		pf.fd = fd;
		if (fd < 0 || ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)i + 1) < 0 ||
		    poll(&pf, 1, 0) < 0)
			bad++;
		if (fd >= 0)
			close(fd);
	}
	unlink(node);
	full = slab_kb();
	ok(bad == 0 && full - before > (long)SLAB_SLOTS / 4,
	   "%u slots grow the slab by more than 256 bytes each (%ld KiB, %u failed)",
	   SLAB_SLOTS, full - before, bad);
	is_int(ms_counter("slots") >= (long)SLAB_SLOTS, 1, "the module counts them");
	is_int(module_unload(), 0, "unload with %u slots", SLAB_SLOTS);
	slab_given_back(before, "20000 polled slots");
}

static void test_major_param(void)
{
	char path[] = "/tmp/dyn_slot";
	char msg[64];
	int major, fd;

	reset_module();
	is_int(module_unload(), 0, "unload the default instance");
	is_int(module_load("major=0"), 0, "insmod major=0");
	major = registered_major();
	ok(major > 0 && major != MSG_SLOT_MAJOR, "the kernel picked a major (%d)", major);
	snprintf(msg, sizeof(msg), "message_slot: registered with major %d", major);
	ok(klog_has(msg), "and the module logged it: \"%s\"", msg);
	is_int(make_node(path, (unsigned int)major, 5), 0, "mknod on that major");
	fd = open(path, O_RDWR);
	ok(fd >= 0 && ioctl(fd, MSG_SLOT_CHANNEL, 9UL) == 0 && write(fd, "dyn", 3) == 3 &&
	   read(fd, msg, sizeof(msg)) == 3, "the dynamic major works");
	if (fd >= 0)
		close(fd);
	unlink(path);
	is_int(module_unload(), 0, "unload");

	/* Major 4 is the terminals': registering its minors fails. */
	is_errno(module_load("major=4"), EBUSY, "insmod major=4 (taken): EBUSY");
	ok(klog_has("message_slot: cannot register major 4"),
	   "the failure is logged with pr_err");
	is_int(registered_major(), -1, "nothing stays registered");
	is_int(module_load(""), 0, "after the failed init, a normal load works");
	fd = open_chan(0, 1);
	ok(fd >= 0 && write(fd, "ok", 2) == 2, "and serves slots");
	if (fd >= 0)
		close(fd);
}

/* The counters are @slots, @channels (each holds a message) and @bytes. */
static int counters_are(long slots, long channels, long bytes)
{
	long s = ms_counter("slots"), c = ms_counter("channels");
	long b = ms_counter("bytes");

	if (s == slots && c == channels && b == bytes)
		return 1;
	tap_diag("slots %ld channels %ld bytes %ld; want %ld %ld %ld",
		 s, c, b, slots, channels, bytes);
	return 0;
}

/* Write @msg to channels @first..@last through @fd. */
static void write_channels(int fd, unsigned long first, unsigned long last, const char *msg)
{
	unsigned long id;

	for (id = first; id <= last; id++) {
		if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0 ||
		    write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
			die("write channel %lu", id);
	}
}

static void test_counters_and_limit(void)
{
	unsigned char big[100];
	int a, b;

	reset_module();
	is_int(module_unload(), 0, "unload");
	is_int(module_load("max_channels=3"), 0, "insmod max_channels=3");
	ok(counters_are(0, 0, 0), "debugfs: slots, channels and bytes all 0 after loading");
	a = must_open_chan(0, 1);
	ok(counters_are(1, 0, 0), "debugfs: one slot after the first open");
	is_int(write(a, "0123456789", 10), 10, "10 bytes on channel 1");
	ok(counters_are(1, 1, 10), "debugfs: 1 channel, 10 bytes");
	is_int(write(a, "abcd", 4), 4, "overwritten by 4 bytes");
	ok(counters_are(1, 1, 4), "debugfs: 4 bytes");
	memset(big, 'b', sizeof(big));
	is_int(write(a, big, sizeof(big)), 100, "overwritten by 100 bytes (a larger channel)");
	ok(counters_are(1, 1, 100), "debugfs: still 1 channel, 100 bytes");
	write_channels(a, 2, 3, "xyz");
	ok(counters_are(1, 3, 106), "channels 2 and 3: 3 channels, 106 bytes");
	is_int(ioctl(a, MSG_SLOT_CHANNEL, 4UL), 0, "select a 4th channel");
	is_errno(write(a, "no room", 7), ENOSPC, "creating a 4th channel past max_channels=3: ENOSPC");
	is_errno(read(a, big, sizeof(big)), EWOULDBLOCK, "and nothing was stored");
	ok(counters_are(1, 3, 106), "debugfs unchanged");
	is_int(ioctl(a, MSG_SLOT_CHANNEL, 3UL), 0, "channel 3");
	is_int(write(a, "still works", 11), 11, "existing channels can still be overwritten");
	b = must_open_chan(1, 1);
	write_channels(b, 1, 3, "s");
	ok(counters_are(2, 6, 117), "the limit is per slot: 3 more channels on minor 1");
	ioctl(b, MSG_SLOT_CHANNEL, 4UL);
	is_errno(write(b, "s", 1), ENOSPC, "and its 4th: ENOSPC");
	is_int(ioctl(b, MSG_SLOT_CHANNEL, 2UL), 0, "minor 1, channel 2");
	is_int(ioctl(b, MSG_SLOT_DELETE), 0, "deleted");
	ok(counters_are(2, 5, 116), "debugfs: 1 channel and 1 byte fewer");
	is_int(ioctl(b, MSG_SLOT_CHANNEL, 4UL), 0, "minor 1, channel 4");
	is_int(write(b, "room", 4), 4, "the delete made room: a 4th id is created");
	ok(counters_are(2, 6, 120), "debugfs: 6 channels, 120 bytes");
	is_int(ioctl(a, MSG_SLOT_CHANNEL, 1UL), 0, "minor 0, channel 1 (100 bytes, a replaced channel)");
	is_int(ioctl(a, MSG_SLOT_DELETE), 0, "deleted");
	ok(counters_are(2, 5, 20), "debugfs: its 100 bytes are gone");
	close(a);
	close(b);
	is_int(module_unload(), 0, "unload");
	is_int(module_load("max_channels=0"), 0, "insmod max_channels=0 (no limit)");
	ok(counters_are(0, 0, 0), "debugfs: a reloaded module holds nothing");
	a = must_open_chan(0, 1);
	write_channels(a, 1, 5, "u");
	ok(counters_are(1, 5, 5), "max_channels=0: 5 channels on one slot");
	close(a);
}

/* ---- Two writers creating channels when a limit has room for one more -- */

static int user_is(unsigned int uid, long channels, long bytes);
static int drop_sys_resource(void);

#define RACE_ROUNDS 400
#define RACERS 2
#define NEW_UID 20000u

/*
 * A race: RACE_ROUNDS rounds, a fresh slot each, of RACERS writers
 * creating channels at once, on a module loaded with @params.
 * @own_ids: each writer its own id, else all the same one.
 * @delete: each stored channel is deleted after its round, giving back
 *	its place in the module's and its user's count.
 * @new_users: each round's writers have a real uid no write had before
 *	(from NEW_UID + 1): their first writes race to make the user's
 *	record, and every channel must be charged to the one that stays.
 * @no_cap: the writers drop CAP_SYS_RESOURCE.
 * @stored: the writes each round must store; the others get ENOSPC.
 */
struct race {
	const char *params;
	bool own_ids, delete, new_users, no_cap;
	int stored;
	const char *what;
};

static const struct race *race;
static atomic_int race_go;		/* the round the racers may start */
static int race_fd[RACERS];
static long race_ret[RACERS];
static int race_err[RACERS];
static pthread_barrier_t race_done;

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Each round: wait for the start, write one byte, meet the others. */
static void *racer(void *arg)
{
	int me = (int)(intptr_t)arg, round;

	/* capset() changes the calling thread only. */
	if (race->no_cap && drop_sys_resource() < 0)
		die("drop CAP_SYS_RESOURCE");
	for (round = 1; round <= RACE_ROUNDS; round++) {
		double give_up = seconds() + 10;
		unsigned long spins = 0;

		while (atomic_load(&race_go) != round) {
			if (++spins % 100000 == 0 && seconds() > give_up) {
				race_ret[me] = -2;	/* never started */
				break;
			}
		}
		if (race_ret[me] != -2) {
			race_ret[me] = write(race_fd[me], "r", 1);
			race_err[me] = errno;
		}
		pthread_barrier_wait(&race_done);
	}
	return NULL;
}

/*
 * Runs race @r. A limit is checked without the slot's lock before a
 * writer allocates, and again under it: the writer that loses the race
 * for the last place meets the second check.
 */
static void create_race(const struct race *r)
{
	unsigned int round, wrong = 0, enospc = 0, split = 0;
	int per_slot = r->own_ids ? r->stored : 1;	/* channels a round leaves */
	pthread_t th[RACERS];
	char path[64];
	int i;

	race = r;
	reset_module();
	is_int(module_unload(), 0, "unload");
	is_int(module_load(r->params), 0, "insmod %s", r->params);
	pthread_barrier_init(&race_done, NULL, RACERS + 1);
	atomic_store(&race_go, 0);
	for (i = 0; i < RACERS; i++)
		if (pthread_create(&th[i], NULL, racer, (void *)(intptr_t)i))
			die("pthread_create");
	for (round = 1; round <= RACE_ROUNDS; round++) {
		int ok_writes = 0, refused = 0;

		snprintf(path, sizeof(path), "/tmp/race_slot%u", round);
		if (make_node(path, MSG_SLOT_MAJOR, 3000 + round) < 0)
			die("mknod %s", path);
		for (i = 0; i < RACERS; i++) {
			unsigned long id = r->own_ids ? 5UL + (unsigned long)i : 5UL;

			race_fd[i] = open(path, O_RDWR);
			if (race_fd[i] < 0 || ioctl(race_fd[i], MSG_SLOT_CHANNEL, id) < 0)
				die("open %s", path);
			race_ret[i] = 0;
		}
		/* Real uid only: root's effective uid keeps its capabilities. */
		if (r->new_users && setresuid(NEW_UID + round, 0, 0) < 0)
			die("setresuid");
		atomic_store(&race_go, (int)round);
		pthread_barrier_wait(&race_done);
		if (r->new_users && setresuid(0, 0, 0) < 0)
			die("setresuid back");
		for (i = 0; i < RACERS; i++) {
			if (race_ret[i] == 1)
				ok_writes++;
			else if (race_ret[i] < 0 && race_err[i] == ENOSPC)
				refused++;
		}
		enospc += (unsigned int)refused;
		wrong += ok_writes != r->stored || ok_writes + refused != RACERS;
		for (i = 0; i < RACERS; i++) {
			if (r->delete && race_ret[i] == 1 && ioctl(race_fd[i], MSG_SLOT_DELETE) < 0)
				die("delete after round %u", round);
			close(race_fd[i]);
		}
		unlink(path);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&race_done);
	for (round = 1; r->new_users && round <= RACE_ROUNDS; round++)
		split += !user_is(NEW_UID + round, RACERS, RACERS);
	if (r->new_users)
		ok(split == 0, "each new user's first %d channels charged to one record (%u users otherwise)",
		   RACERS, split);
	ok(wrong == 0, "%d rounds of %d writers creating %s: %d stored a round, the rest ENOSPC "
	   "(%u rounds otherwise; %u ENOSPC in all)", RACE_ROUNDS, RACERS, r->what, r->stored,
	   wrong, enospc);
	if (r->delete)
		ok(ms_counter("channels") == 0, "every channel deleted (%ld left)",
		   ms_counter("channels"));
	else
		ok(ms_counter("channels") == RACE_ROUNDS * per_slot, "%d channel(s) a slot (%ld in all)",
		   per_slot, ms_counter("channels"));
	is_int(module_unload(), 0, "unload");
	is_int(module_load(""), 0, "reload with the defaults");
}

/*
 * A slot with room for one more channel, two writers creating the same
 * id: each succeeds, one creating the channel, the other overwriting it.
 */
static void test_create_race_at_limit(void)
{
	create_race(&(struct race){ .params = "max_channels=1", .stored = RACERS,
				    .what = "one id in a slot with room for one" });
}

/* The same slot, two ids: one is created, the other refused. */
static void test_create_race_slot_full(void)
{
	create_race(&(struct race){ .params = "max_channels=1", .own_ids = true, .stored = 1,
				    .what = "two ids in a slot with room for one" });
}

/* Room for one channel in the module: one is created, the other refused. */
static void test_create_race_module_full(void)
{
	create_race(&(struct race){ .params = "max_total_channels=1", .own_ids = true,
				    .delete = true, .stored = 1,
				    .what = "two ids in a module with room for one" });
}

/* Room for one channel of the writers' user: one is created, the other refused. */
static void test_create_race_user_full(void)
{
	create_race(&(struct race){ .params = "max_user_channels=1", .own_ids = true,
				    .delete = true, .no_cap = true, .stored = 1,
				    .what = "two ids as root without CAP_SYS_RESOURCE, room for one of its channels" });
}

/* The same as root with CAP_SYS_RESOURCE: the loser is let past the limit. */
static void test_create_race_user_exempt(void)
{
	create_race(&(struct race){ .params = "max_user_channels=1", .own_ids = true,
				    .delete = true, .stored = RACERS,
				    .what = "two ids as root with CAP_SYS_RESOURCE, room for one of its channels" });
}

/* The first two channels of a user never seen, created at once. */
static void test_create_race_new_user(void)
{
	create_race(&(struct race){ .params = "", .own_ids = true, .new_users = true,
				    .stored = RACERS, .what = "two ids as a new user each round" });
}

/* The value of a module parameter in sysfs, or -1. */
static long module_param_value(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/" MS_MODULE_NAME "/parameters/%s", name);
	return read_long(path);
}

/* max_total_channels bounds the channels of all slots together. */
static void test_total_limit(void)
{
	unsigned char b[16];
	int a, c, d;

	reset_module();
	is_int(module_unload(), 0, "unload");
	is_int(module_load(""), 0, "insmod with the defaults");
	is_int(module_param_value("max_total_channels"), 4194304, "max_total_channels is 4194304 by default");
	is_int(module_unload(), 0, "unload");
	is_int(module_load("max_channels=3 max_total_channels=5"), 0,
	       "insmod max_channels=3 max_total_channels=5");
	a = must_open_chan(0, 1);
	write_channels(a, 1, 3, "a");
	c = must_open_chan(1, 1);
	write_channels(c, 1, 2, "c");
	ok(counters_are(2, 5, 5), "5 channels: 3 on minor 0, 2 on minor 1");
	is_int(ioctl(c, MSG_SLOT_CHANNEL, 3UL), 0, "minor 1, channel 3: room in the slot");
	is_errno(write(c, "no", 2), ENOSPC, "but not in the module: ENOSPC");
	is_errno(read(c, b, sizeof(b)), EWOULDBLOCK, "nothing stored");
	d = must_open_chan(2, 1);
	is_errno(write(d, "no", 2), ENOSPC, "a fresh slot cannot create a channel either: ENOSPC");
	is_int(ioctl(c, MSG_SLOT_CHANNEL, 2UL), 0, "minor 1, channel 2");
	is_int(write(c, "overwrite, larger", 17), 17, "existing channels can still be overwritten and grow");
	ok(counters_are(3, 5, 21), "still 5 channels");
	is_int(ioctl(a, MSG_SLOT_CHANNEL, 3UL), 0, "minor 0, channel 3");
	is_int(ioctl(a, MSG_SLOT_DELETE), 0, "deleted");
	ok(counters_are(3, 4, 20), "4 channels");
	is_int(write(d, "yes", 3), 3, "the delete made room in the module: the fresh slot creates one");
	is_errno(write(a, "no", 2), ENOSPC, "and the module is full again: ENOSPC");
	close(a);
	close(c);
	close(d);
	is_int(module_unload(), 0, "unload");
	is_int(module_load("max_total_channels=0"), 0, "insmod max_total_channels=0 (no limit)");
	a = must_open_chan(0, 1);
	write_channels(a, 1, 6, "u");
	ok(counters_are(1, 6, 6), "max_total_channels=0: 6 channels");
	close(a);
	is_int(module_unload(), 0, "unload");
	is_int(module_load(""), 0, "reload with the defaults");
}

/*
 * A write that is going to get ENOSPC allocates nothing: with fail-nth
 * at 2 (the first injectable call of a write is its copy from user, the
 * second would be the channel's allocation), a write creating a channel
 * in a full slot must answer ENOSPC, not ENOMEM, and the injected fault
 * must not fire. Fault injection: the debug kernel only.
 */
static void test_enospc_allocates_nothing(void)
{
	char buf[16] = "";
	int fd, nth;
	ssize_t n;
	int err;

	if (!debug_kernel())
		tap_skip_case("fault injection needs the debug kernel: make test-debug");
	reset_module();
	is_int(module_unload(), 0, "unload");
	is_int(module_load("max_channels=1"), 0, "insmod max_channels=1");
	fd = must_open_chan(0, 1);
	is_int(write(fd, "one", 3), 3, "the slot's one channel");
	is_int(ioctl(fd, MSG_SLOT_CHANNEL, 2UL), 0, "select a second");
	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0 || pwrite(nth, "2", 1, 0) != 1)
		die("fail-nth");
	n = write(fd, "two", 3);
	err = errno;
	if (pread(nth, buf, sizeof(buf) - 1, 0) < 0)
		buf[0] = '?';
	if (pwrite(nth, "0", 1, 0) != 1 && errno != EFAULT)
		die("reset fail-nth");
	ok(n < 0 && err == ENOSPC, "creating it: ENOSPC (got %zd, %s)", n, n < 0 ? strerror(err) : "-");
	ok(buf[0] != '0', "and no allocation was tried: the second injectable call never came (%s)",
	   buf);
	close(nth);
	close(fd);
	is_int(module_unload(), 0, "unload");
	is_int(module_load(""), 0, "reload with the defaults");
}

/* ---- Per-user limits ------------------------------------------------------ */

#define UID_A 1001u
#define UID_B 1002u
#define UID_REAL 1003u
#define UID_EFFECTIVE 1004u

/* Whether debugfs users shows @channels and @bytes for @uid. */
static int user_is(unsigned int uid, long channels, long bytes)
{
	long c = -1, b = -1;

	if (user_counts(uid, &c, &b) == 0 && c == channels && b == bytes)
		return 1;
	tap_diag("uid %u: channels %ld bytes %ld; want %ld %ld", uid, c, b, channels, bytes);
	return 0;
}

/* In a child: drop CAP_SYS_RESOURCE from the effective set. */
static int drop_sys_resource(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[CAP_SYS_RESOURCE / 32].effective &= ~(1u << (CAP_SYS_RESOURCE % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* Write @msg to channel @id through @fd: 0, or -1 with errno. */
static int put(int fd, unsigned long id, const char *msg)
{
	if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0)
		return -1;
	return write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg) ? 0 : -1;
}

/* Whether channel @id holds @msg. */
static int has(int fd, unsigned long id, const char *msg)
{
	char b[MSG_SLOT_MAX_LEN];

	return ioctl(fd, MSG_SLOT_CHANNEL, id) == 0 &&
	       read(fd, b, sizeof(b)) == (ssize_t)strlen(msg) && memcmp(b, msg, strlen(msg)) == 0;
}

/*
 * What the users do, in children with the uids of test_user_limit(), on
 * a file of slot 0 opened for them (a channel is charged to whoever
 * writes it first, whoever opened the file; the guest's /dev is not
 * theirs to search): each returns 0 if all went as the contract says,
 * else the step that did not.
 */
enum user_job { FILL_A, USE_B, ROOT_NO_CAP, REAL_NOT_EFFECTIVE, DELETE_A };

static int user_job(int fd, enum user_job job)
{
	unsigned long id;

	switch (job) {
	case FILL_A:	/* channels 1..4: A's limit; a 5th is refused */
		for (id = 1; id <= 4; id++)
			if (put(fd, id, "aa") < 0)
				return 1;
		if (put(fd, 5, "aa") == 0 || errno != ENOSPC)
			return 2;
		if (ioctl(fd, MSG_SLOT_CHANNEL, 5UL) < 0 || read(fd, (char[8]){ 0 }, 8) >= 0)
			return 3;
		if (put(fd, 1, "aaa") < 0)	/* overwriting its own still works */
			return 4;
		return 0;
	case USE_B:	/* channels 11..14 in the same slot, read back; then its own limit */
		for (id = 11; id <= 14; id++)
			if (put(fd, id, "bbbb") < 0)
				return 11;
		for (id = 11; id <= 14; id++)
			if (!has(fd, id, "bbbb"))
				return 12;
		if (put(fd, 15, "b") == 0 || errno != ENOSPC)
			return 13;
		if (!has(fd, 1, "aaa") || put(fd, 2, "b overwrites a") < 0)
			return 14;
		return 0;
	case ROOT_NO_CAP:	/* uid 0 over its limit, without CAP_SYS_RESOURCE */
		if (drop_sys_resource() < 0)
			return 21;
		if (put(fd, 27, "r") == 0 || errno != ENOSPC)
			return 22;
		if (put(fd, 21, "root overwrites") < 0)
			return 23;
		return 0;
	case REAL_NOT_EFFECTIVE:
		return put(fd, 31, "real") < 0 ? 31 : 0;
	case DELETE_A:	/* A deletes its channels, then has room again */
		for (id = 1; id <= 4; id++)
			if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0 || ioctl(fd, MSG_SLOT_DELETE) < 0)
				return 41;
		if (put(fd, 5, "a again") < 0)
			return 42;
		if (ioctl(fd, MSG_SLOT_DELETE) < 0)
			return 43;
		return 0;
	}
	return 98;
}

/* Run @job in a child with real uid @ruid and effective uid @euid. */
static int run_as(unsigned int ruid, unsigned int euid, enum user_job job)
{
	int fd = open(slot_path(0), O_RDWR);
	pid_t pid;

	if (fd < 0)
		die("open");
	pid = must_fork();
	if (pid == 0) {
		if (ruid != 0 && (setgroups(0, NULL) < 0 || setresgid(ruid, ruid, ruid) < 0 ||
				  setresuid(ruid, euid, ruid) < 0))
			_exit(97);
		_exit(user_job(fd, job));
	}
	close(fd);
	return wait_exit(pid);
}

/*
 * max_user_channels: each user's channels are counted, by real uid, in
 * all slots; over the limit that user alone gets ENOSPC, and
 * CAP_SYS_RESOURCE passes it; a delete gives the count back.
 */
static void test_user_limit(void)
{
	unsigned long id;
	long chans, c, b;
	int fd;

	reset_module();
	is_int(module_param_value("max_user_channels"), 262144,
	       "max_user_channels is 262144 by default");
	is_int(module_unload(), 0, "unload");
	is_int(module_load("max_user_channels=4"), 0, "insmod max_user_channels=4");

	is_int(run_as(UID_A, UID_A, FILL_A), 0,
	       "user A (uid 1001) creates 4 channels in slot 0, its 5th gets ENOSPC and stores nothing, "
	       "its own can be overwritten; A exits");
	ok(counters_are(1, 4, 9), "debugfs: 4 channels, 9 bytes");
	ok(user_is(UID_A, 4, 9), "debugfs users: uid 1001 has 4 channels, 9 bytes");
	is_int(run_as(UID_B, UID_B, USE_B), 0,
	       "user B (uid 1002) then creates 4 channels in slot 0, reads them back, gets ENOSPC for "
	       "its own 5th, reads and overwrites A's channels");
	ok(user_is(UID_B, 4, 16), "debugfs users: uid 1002 has 4 channels, 16 bytes");
	ok(user_is(UID_A, 4, 21), "A's channel overwritten by B stays charged to A, at its new length");

	fd = must_open_chan(0, 21);
	for (id = 21; id <= 26; id++)
		if (put(fd, id, "root") < 0)
			break;
	is_int((long)id, 27, "root with CAP_SYS_RESOURCE creates 6 channels past the limit of 4");
	ok(user_is(0, 6, 24), "debugfs users: uid 0 has 6 channels");
	is_int(run_as(0, 0, ROOT_NO_CAP), 0,
	       "uid 0 without CAP_SYS_RESOURCE, over its limit: ENOSPC for a new channel, "
	       "overwriting works");
	is_int(run_as(UID_REAL, UID_EFFECTIVE, REAL_NOT_EFFECTIVE), 0,
	       "a writer with real uid 1003 and effective uid 1004 creates a channel");
	ok(user_is(UID_REAL, 1, 4), "it is charged to the real uid, 1003");
	is_int(user_counts(UID_EFFECTIVE, &c, &b), -1, "and not to the effective uid, 1004");

	chans = ms_counter("channels");
	is_int(run_as(UID_A, UID_A, DELETE_A), 0,
	       "A deletes its 4 channels, then creates one more, and deletes it");
	is_int(ms_counter("channels"), chans - 4, "debugfs channels drops by 4 (%ld)", chans);
	ok(user_is(UID_A, 0, 0), "debugfs users: uid 1001 has 0 channels, 0 bytes");
	ok(user_is(UID_B, 4, 16), "B's channels are untouched");
	ok(user_is(0, 6, 35), "and root's, one overwritten by its capless child");
	close(fd);
	is_int(module_unload(), 0, "unload");
	is_int(module_load("max_user_channels=0"), 0, "insmod max_user_channels=0 (no limit)");
	is_int(run_as(UID_B, UID_B, FILL_A), 2,
	       "with no limit, a user's 5th channel is created (the job's ENOSPC step fails)");
	ok(user_is(UID_B, 5, 10), "debugfs users: uid 1002 has 5 channels");
	is_int(module_unload(), 0, "unload");
	is_int(module_load(""), 0, "reload with the defaults");
}

/* Remove every /dev/message_slot* node, so that nodes= makes its own. */
static void remove_slot_nodes(void)
{
	unsigned int minor;

	for (minor = 0; minor <= 4096; minor++)
		unlink(node_name(minor));
	unlink(node_name(MS_MAX_MINOR));
}

static void test_nodes(void)
{
	unsigned int i, right = 0;
	unsigned char b[16];
	struct stat st;
	int fd;

	reset_module();
	is_int(module_unload(), 0, "unload");
	remove_slot_nodes();
	is_int(module_load("nodes=3 mode=0640"), 0, "insmod nodes=3 mode=0640");
	for (i = 0; i < 3; i++) {
		if (stat(node_name(i), &st) == 0 && S_ISCHR(st.st_mode) &&
		    major(st.st_rdev) == MSG_SLOT_MAJOR && minor(st.st_rdev) == i &&
		    (st.st_mode & 07777) == 0640)
			right++;
	}
	ok(right == 3, "/dev/message_slot0..2 appear: character devices 240:0..2, mode 0640 (%u of 3)",
	   right);
	is_errno(stat(node_name(3), &st), ENOENT, "and no /dev/message_slot3");
	fd = open_chan(2, 8);
	ok(fd >= 0 && write(fd, "node", 4) == 4 && read(fd, b, sizeof(b)) == 4,
	   "the node made by the module works");
	if (fd >= 0)
		close(fd);
	is_int(make_node("/tmp/by_hand", MSG_SLOT_MAJOR, 2), 0, "mknod a node by hand beside them");
	fd = open("/tmp/by_hand", O_RDWR);
	ok(fd >= 0 && ioctl(fd, MSG_SLOT_CHANNEL, 8UL) == 0 && read(fd, b, sizeof(b)) == 4 &&
	   memcmp(b, "node", 4) == 0, "and it reaches the same slot");
	if (fd >= 0)
		close(fd);
	unlink("/tmp/by_hand");
	is_int(module_unload(), 0, "unload");
	is_errno(stat(node_name(0), &st), ENOENT, "unloading removes the nodes it made");

	is_int(module_load("nodes=1"), 0, "insmod nodes=1");
	if (stat(node_name(0), &st) < 0)
		st.st_mode = 0;
	is_int(st.st_mode & 07777, 0600, "the default mode is 0600");
	is_int(module_unload(), 0, "unload");

	is_errno(module_load("nodes=4097"), EINVAL, "nodes=4097: EINVAL");
	ok(klog_has("message_slot: nodes must be at most 4096"), "and says why");
	is_errno(module_load("mode=01000"), EINVAL, "mode=01000: EINVAL");
	is_int(module_load(""), 0, "a plain load works after the refused ones");
	fd = open_chan(0, 1);
	ok(fd >= 0 && write(fd, "ok", 2) == 2, "and serves slots through mknod nodes again");
	if (fd >= 0)
		close(fd);
}

TAP_MAIN(
	TAP_CASE(test_refused_while_open, 60),
	TAP_CASE(test_cycles, 120),
	TAP_CASE(test_slab, 300),
	TAP_CASE(test_slab_slots, 300),
	TAP_CASE(test_slab_delete, 300),
	TAP_CASE(test_major_param, 60),
	TAP_CASE(test_counters_and_limit, 60),
	TAP_CASE(test_create_race_at_limit, 300),
	TAP_CASE(test_create_race_slot_full, 300),
	TAP_CASE(test_create_race_module_full, 300),
	TAP_CASE(test_create_race_user_full, 300),
	TAP_CASE(test_create_race_user_exempt, 300),
	TAP_CASE(test_create_race_new_user, 300),
	TAP_CASE(test_total_limit, 60),
	TAP_CASE(test_user_limit, 60),
	TAP_CASE(test_enospc_allocates_nothing, 60),
	TAP_CASE(test_nodes, 120),
)
