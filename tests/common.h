/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h - helpers shared by the tests that run inside the VM: slot files,
 * the module, child processes, gated workers and self-checking messages.
 *
 * The guest's init loads the module; slot_path() makes the node of a minor
 * the first time a test asks for it, so no list of minors lives anywhere
 * but in the tests that use them.
 */
#ifndef MS_TESTS_COMMON_H
#define MS_TESTS_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../message_slot.h"
#include "tap.h"

#define MS_MODULE_PATH "/message_slot.ko"
#define MS_MODULE_NAME MSG_SLOT_DEVICE_NAME
#define MS_MAX_MINOR 1048575u
#define MS_MAX_ID 4294967295u
#define SENDER "/bin/message_sender"
#define READER "/bin/message_reader"

/* Whether the suite runs on the debug kernel of make test-debug. */
static inline int debug_kernel(void)
{
	const char *k = getenv("MS_KERNEL");

	return k && strcmp(k, "debug") == 0;
}

/* Whether it runs on a kernel with detectors (debug or KCSAN): slower. */
static inline int detector_kernel(void)
{
	const char *k = getenv("MS_KERNEL");

	return k && strcmp(k, "stock") != 0;
}

/* ---- The module and its nodes ----------------------------------------- */

/* The major /proc/devices lists for the module, or -1 if it is not loaded. */
static inline int registered_major(void)
{
	char line[128], name[64];
	int major, found = -1;
	FILE *f = fopen("/proc/devices", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Block", 5) == 0)
			break;
		if (sscanf(line, "%d %63s", &major, name) == 2 &&
		    strcmp(name, MSG_SLOT_DEVICE_NAME) == 0)
			found = major;
	}
	fclose(f);
	return found;
}

/* Make a character node, replacing what was there. */
static inline int make_node(const char *path, unsigned int major,
			    unsigned int minor)
{
	unlink(path);
	return mknod(path, S_IFCHR | 0666, makedev(major, minor));
}

/*
 * The name of the node of @minor: /dev/message_slotN. Each thread has its
 * own buffer: threads of one test (t8_races' delete_races) ask at once,
 * and one's snprintf() would hand another a half-written name.
 */
static inline const char *node_name(unsigned int minor)
{
	static _Thread_local char path[64];

	snprintf(path, sizeof(path), "/dev/%s%u", MSG_SLOT_DEVICE_NAME, minor);
	return path;
}

/*
 * The node of @minor, made on first use with the module's major (the
 * default one while the module is not loaded).
 */
static inline const char *slot_path(unsigned int minor)
{
	const char *path = node_name(minor);
	struct stat st;
	int major;

	if (stat(path, &st) < 0) {
		major = registered_major();
		/*
		 * Not make_node(): processes racing to first use a minor (t4's
		 * create race) all get here, and its unlink would take the node
		 * away from one that already opened the path. The node another
		 * made is the same node.
		 */
		if (mknod(path, S_IFCHR | 0666,
			  makedev(major > 0 ? (unsigned int)major : MSG_SLOT_MAJOR, minor)) < 0 &&
		    errno != EEXIST)
			die("mknod %s", path);
	}
	return path;
}

/* Open the slot of @minor and select channel @id; -1 on failure. */
static inline int open_chan(unsigned int minor, unsigned long id)
{
	int fd = open(slot_path(minor), O_RDWR);

	if (fd < 0)
		return -1;
	if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* open_chan() that must work. */
static inline int must_open_chan(unsigned int minor, unsigned long id)
{
	int fd = open_chan(minor, id);

	if (fd < 0)
		die("open %s channel %lu", slot_path(minor), id);
	return fd;
}

/* read(2) and write(2) without libc's checks, for NULL and bad pointers. */
static inline long raw_read(int fd, void *buf, size_t len)
{
	return syscall(SYS_read, fd, buf, len);
}

static inline long raw_write(int fd, const void *buf, size_t len)
{
	return syscall(SYS_write, fd, buf, len);
}

/* Load the module with @params; 0 or -1 with errno. */
static inline int module_load(const char *params)
{
	int fd = open(MS_MODULE_PATH, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = (int)syscall(SYS_finit_module, fd, params, 0);
	if (ret < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

/* Unload the module without waiting; 0 or -1 with errno. */
static inline int module_unload(void)
{
	return (int)syscall(SYS_delete_module, MS_MODULE_NAME, O_NONBLOCK);
}

/* Write @text to the file @path at once; 0 or -1 with errno. */
static inline int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	if (n != (ssize_t)len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

/* The number at the start of the file @path; -1 if it cannot be read. */
static inline long read_long(const char *path)
{
	long val = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* A counter in /sys/kernel/debug/message_slot/; -1 if it cannot be read. */
static inline long ms_counter(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s",
		 MSG_SLOT_DEVICE_NAME, name);
	return read_long(path);
}

/*
 * The channels and bytes that debugfs users shows for @uid: 0, or -1 if
 * it has no line for @uid.
 */
static inline int user_counts(unsigned int uid, long *channels, long *bytes)
{
	char line[128];
	unsigned int u;
	long c, b;
	int found = -1;
	FILE *f = fopen("/sys/kernel/debug/" MS_MODULE_NAME "/users", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %ld %ld", &u, &c, &b) == 3 && u == uid) {
			*channels = c;
			*bytes = b;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* The value of @key (e.g. "Slab:") in /proc/meminfo, in KiB; -1 if absent. */
static inline long meminfo_kb(const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			val = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* ---- Messages ----------------------------------------------------------- */

/* Deterministic bytes of message @seq of length @len, all 256 values. */
static inline void fill_msg(unsigned char *buf, size_t len, uint32_t seq)
{
	uint32_t x = seq * 2654435761u + 12345u;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(x >> 24);
	}
}

/*
 * A self-checking message: a header of writer, channel, sequence number and
 * length, then bytes derived from all four. A torn or partial message, or
 * one written to another channel, fails sc_check().
 */
#define SC_HDR 10
#define SC_MIN_LEN (SC_HDR + 1)

static inline void sc_make(unsigned char *m, size_t len, unsigned int writer,
			   uint32_t channel, uint32_t seq)
{
	m[0] = (unsigned char)writer;
	memcpy(m + 1, &channel, 4);
	memcpy(m + 5, &seq, 4);
	m[9] = (unsigned char)len;
	fill_msg(m + SC_HDR, len - SC_HDR, seq ^ (channel * 31u) ^ (writer << 24));
}

/* 0 if @m of @n bytes is a whole message of @channel; its writer and seq. */
static inline int sc_check(const unsigned char *m, long n, uint32_t channel,
			   unsigned int *writer, uint32_t *seq)
{
	unsigned char want[MSG_SLOT_MAX_LEN];
	uint32_t c;

	if (n < SC_MIN_LEN || n > MSG_SLOT_MAX_LEN || m[9] != n)
		return -1;
	memcpy(&c, m + 1, 4);
	memcpy(seq, m + 5, 4);
	*writer = m[0];
	if (c != channel)
		return -1;
	sc_make(want, (size_t)n, *writer, c, *seq);
	return memcmp(want, m, (size_t)n) ? -1 : 0;
}

/* ---- Sleepers ------------------------------------------------------------- */

/* The first line of /proc/@pid/task/@tid/@file, "" if it cannot be read. */
static inline void read_task_file(pid_t pid, pid_t tid, const char *file, char *buf,
				  size_t size)
{
	char path[96];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid, (int)tid, file);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/*
 * Is thread @tid of @pid asleep in a poll-family system call? Its wchan
 * says so where the kernel can tell (x86 before 5.16 walks frame pointers
 * for it, which Debian's ORC-unwinder kernels lack, so there wchan is
 * always "0"); else it sleeps (state S) inside poll, select, ppoll,
 * pselect6 or epoll_wait.
 */
static inline int task_polling(pid_t pid, pid_t tid)
{
	static const long nrs[] = { SYS_poll, SYS_select, SYS_ppoll, SYS_pselect6,
				    SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2 };
	char buf[256], *state;
	size_t i;
	long nr;

	read_task_file(pid, tid, "wchan", buf, sizeof(buf));
	if (strstr(buf, "poll") || strstr(buf, "select"))
		return 1;
	read_task_file(pid, tid, "stat", buf, sizeof(buf));
	state = strrchr(buf, ')');
	if (!state || state[1] != ' ' || state[2] != 'S')
		return 0;
	read_task_file(pid, tid, "syscall", buf, sizeof(buf));
	if (sscanf(buf, "%ld", &nr) != 1)
		return 0;
	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nr == nrs[i])
			return 1;
	return 0;
}

/* poll() @fd for @events with @timeout_ms; revents, 0 on timeout, or -1. */
static inline int poll1(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout_ms);

	return n < 0 ? -1 : n == 0 ? 0 : p.revents;
}

/*
 * Spin (yielding) until @pid sleeps in a poll-family wait; 0 if it did
 * not within 5 s (times MS_TIME_SCALE).
 */
static inline int until_polling(pid_t pid)
{
	time_t limit = time(NULL) + 5 * (time_t)tap_time_scale();

	while (!task_polling(pid, pid)) {
		if (time(NULL) > limit)
			return 0;
		sched_yield();
	}
	return 1;
}

/* ---- Racing first opens ---------------------------------------------------- */

/* Racer @i of a minor's first open: write "opener I" to channel I + 1. */
static inline int opener_write(unsigned int minor, int i)
{
	char want[32];
	int fd = open_chan(minor, (unsigned long)i + 1);
	size_t len;

	snprintf(want, sizeof(want), "opener %d", i);
	len = strlen(want);
	return fd < 0 || write(fd, want, len) != (ssize_t)len;
}

/* How many of @n racers' opener_write() messages a new open of @minor misses. */
static inline int openers_missing(unsigned int minor, int n)
{
	unsigned char b[MSG_SLOT_MAX_LEN];
	int i, fd = must_open_chan(minor, 1), missing = 0;
	char want[32];

	for (i = 0; i < n; i++) {
		ssize_t got;

		snprintf(want, sizeof(want), "opener %d", i);
		ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)i + 1);
		got = read(fd, b, sizeof(b));
		if (got != (ssize_t)strlen(want) || memcmp(b, want, (size_t)got) != 0)
			missing++;
	}
	close(fd);
	return missing;
}

/* ---- Child processes ------------------------------------------------------ */

/* Wait for @pid: its exit code, or -1 if it did not exit normally. */
static inline int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Wait for @n children: whether all exited 0. */
static inline int wait_all(int n)
{
	int status, clean = 1;

	while (n-- > 0) {
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			clean = 0;
	}
	return clean;
}

/* fork(), with stdout flushed first so that the child repeats nothing; dies on failure. */
static inline pid_t must_fork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	return pid;
}

/* A program started by spawn(): its pid and the read ends of its output. */
struct child {
	pid_t pid;
	int out;	/* its standard output, or -1 */
	int err;	/* its standard error, or -1 */
};

/*
 * Start @argv with standard input from @in (-1: /dev/null) and standard
 * output to @out (-1: a pipe, returned in child.out); standard error goes
 * to a pipe (child.err).
 */
static inline struct child spawn(char *const argv[], int in, int out)
{
	struct child c = { .out = -1, .err = -1 };
	int o[2] = { -1, -1 }, e[2];

	if ((out < 0 && pipe(o) < 0) || pipe(e) < 0)
		die("pipe");
	fflush(stdout);
	c.pid = fork();
	if (c.pid < 0)
		die("fork");
	if (c.pid == 0) {
		if (in < 0)
			in = open("/dev/null", O_RDONLY);
		dup2(in, 0);
		dup2(out < 0 ? o[1] : out, 1);
		dup2(e[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (out < 0) {
		close(o[1]);
		c.out = o[0];
	}
	close(e[1]);
	c.err = e[0];
	return c;
}

/* Read what is left on @fd into @buf (NUL-terminated); returns the length. */
static inline size_t slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

/* What a program that ran to the end did. */
struct result {
	int status;		/* exit code, or 128 + signal */
	size_t out_len;
	char out[1024];
	char err[1024];
};

/*
 * Run @argv to the end with @in_len bytes of @in on its standard input
 * (NULL: /dev/null) and its standard output to the file @out_path (NULL:
 * captured). The inputs and outputs are small: pipes cannot fill up.
 */
static inline void run_prog(struct result *r, const void *in, size_t in_len,
			    const char *out_path, char *const argv[])
{
	int p[2] = { -1, -1 }, out = -1, status;
	struct child c;

	memset(r, 0, sizeof(*r));
	if (in) {
		if (pipe(p) < 0)
			die("pipe");
		if (write(p[1], in, in_len) != (ssize_t)in_len)
			die("write to the program's standard input");
		close(p[1]);
	}
	if (out_path) {
		out = open(out_path, O_WRONLY);
		if (out < 0)
			die("open %s", out_path);
	}
	c = spawn(argv, p[0], out);
	if (in)
		close(p[0]);
	if (out >= 0)
		close(out);
	if (waitpid(c.pid, &status, 0) < 0)
		die("waitpid");
	if (c.out >= 0) {
		r->out_len = slurp(c.out, r->out, sizeof(r->out));
		close(c.out);
	}
	slurp(c.err, r->err, sizeof(r->err));
	close(c.err);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define RUN(r, ...) run_prog(r, NULL, 0, NULL, (char *const[]){ __VA_ARGS__, NULL })

/*
 * Fork @n workers that start together: each blocks on a pipe until the
 * parent closes it, then runs @fn(@index, @arg) and exits with what it
 * returns. Returns whether every worker exited 0.
 */
static inline int run_gated(int n, int (*fn)(int index, void *arg), void *arg)
{
	int gate[2], i;
	char c;

	if (pipe(gate) < 0)
		die("pipe");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(gate[1]);
			if (read(gate[0], &c, 1) != 0)
				_exit(3);
			close(gate[0]);
			_exit(fn(i, arg));
		}
	}
	close(gate[0]);
	close(gate[1]);
	return wait_all(n);
}

#endif /* MS_TESTS_COMMON_H */
