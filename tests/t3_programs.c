// SPDX-License-Identifier: GPL-2.0
/*
 * t3_programs.c - message_sender and message_reader: output bytes, exit
 * codes and error messages.
 */
#define _GNU_SOURCE

#include <poll.h>
#include <sys/wait.h>

#include "common.h"

#define SENDER "/bin/message_sender"
#define READER "/bin/message_reader"

struct result {
	int status;		/* exit code, or 128 + signal */
	size_t out_len;
	char out[1024];
	char err[1024];
};

/* Read what is left on @fd into @buf (NUL-terminated); returns the length. */
static size_t slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

/*
 * Run @argv with stdin from /dev/null, stdout to @out_path (a pipe if
 * NULL) and stderr to a pipe. The outputs are small, so reading them
 * after the child exits cannot deadlock.
 */
static void run_to(struct result *r, const char *out_path, char *const argv[])
{
	int out[2], err[2], status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(out) < 0 || pipe(err) < 0)
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = out_path ? open(out_path, O_WRONLY) : out[1];

		dup2(in, 0);
		dup2(o, 1);
		dup2(err[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	r->out_len = slurp(out[0], r->out, sizeof(r->out));
	slurp(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define RUN(r, ...) run_to(r, NULL, (char *const[]){ __VA_ARGS__, NULL })

/* The program failed cleanly: exit 1, nothing on stdout, @msg on stderr. */
static void fails_with(const struct result *r, const char *msg, const char *what)
{
	ok(r->status == 1 && r->out_len == 0 && strstr(r->err, msg) != NULL,
	   "%s: exit 1, stderr says \"%s\"", what, msg);
	if (r->status != 1 || r->out_len != 0 || !strstr(r->err, msg))
		tap_diag("exit %d, stdout %zu bytes, stderr: %s", r->status,
			 r->out_len, r->err);
}

/* The program succeeded: exit 0, stdout exactly @out, nothing on stderr. */
static void succeeds_with(const struct result *r, const void *out, size_t len,
			  const char *what)
{
	int pass = r->status == 0 && r->out_len == len &&
		   memcmp(r->out, out, len) == 0 && r->err[0] == '\0';

	ok(pass, "%s: exit 0, stdout is exactly %zu bytes, stderr empty", what, len);
	if (!pass)
		tap_diag("exit %d, stdout %zu bytes '%s', stderr: %s", r->status,
			 r->out_len, r->out, r->err);
}

static void test_usage(void)
{
	struct result r;

	RUN(&r, SENDER);
	fails_with(&r, "usage: message_sender DEVICE CHANNEL MESSAGE", "sender with no arguments");
	RUN(&r, SENDER, "/dev/message_slot0", "1");
	fails_with(&r, "usage:", "sender with 2 arguments");
	RUN(&r, SENDER, "/dev/message_slot0", "1", "a", "b");
	fails_with(&r, "usage:", "sender with 4 arguments");
	RUN(&r, READER);
	fails_with(&r, "usage: message_reader [--follow [-0]] DEVICE CHANNEL", "reader with no arguments");
	RUN(&r, READER, "/dev/message_slot0");
	fails_with(&r, "usage:", "reader with 1 argument");
	RUN(&r, READER, "/dev/message_slot0", "1", "x");
	fails_with(&r, "usage:", "reader with 3 arguments");
}

static void test_bad_channels(void)
{
	static const char *const bad[] = {
		"abc", "-1", "12x", "", "0", "4294967296", "99999999999999999999",
		"+5", " 5", "5 ", "0x10",
	};
	struct result r;
	char what[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "sender channel '%s'", bad[i]);
		RUN(&r, SENDER, "/dev/message_slot0", (char *)bad[i], "msg");
		fails_with(&r, "invalid channel", what);
		snprintf(what, sizeof(what), "reader channel '%s'", bad[i]);
		RUN(&r, READER, "/dev/message_slot0", (char *)bad[i]);
		fails_with(&r, "invalid channel", what);
	}
}

/* Test scripts look for the system's word for EINVAL. */
static void test_invalid_argument(void)
{
	static const char want[] =
		"invalid channel '0': Invalid argument (expected 1 to 4294967295)";
	struct result r;

	RUN(&r, SENDER, "/dev/message_slot0", "0", "msg");
	fails_with(&r, want, "sender channel 0");
	ok(strncmp(r.err, "message_sender: ", 16) == 0, "and names itself first");
	RUN(&r, READER, "/dev/message_slot0", "0");
	fails_with(&r, want, "reader channel 0");
	RUN(&r, READER, "/dev/message_slot0", "abc");
	fails_with(&r, "invalid channel 'abc': Invalid argument", "reader channel 'abc'");
}

static void test_round_trips(void)
{
	unsigned char bin[MSG_SLOT_MAX_LEN];
	char msg128[MSG_SLOT_MAX_LEN + 2];
	struct result r;
	int fd;

	RUN(&r, SENDER, "/dev/message_slot0", "4294967295", "hello");
	succeeds_with(&r, "", 0, "sender to channel 4294967295");
	RUN(&r, READER, "/dev/message_slot0", "4294967295");
	succeeds_with(&r, "hello", 5, "reader prints the message with no newline");

	fd = must_open_chan(0, MS_MAX_ID);
	is_int(read(fd, bin, sizeof(bin)), 5, "the sender wrote 5 bytes: no terminating NUL");
	close(fd);

	RUN(&r, SENDER, "/dev/message_slot0", "0007", "leading zeros");
	succeeds_with(&r, "", 0, "sender channel '0007'");
	RUN(&r, READER, "/dev/message_slot0", "7");
	succeeds_with(&r, "leading zeros", 13, "reader channel 7 gets what was sent to 0007");

	memset(msg128, 'm', MSG_SLOT_MAX_LEN);
	msg128[MSG_SLOT_MAX_LEN] = '\0';
	RUN(&r, SENDER, "/dev/message_slot0", "8", msg128);
	succeeds_with(&r, "", 0, "sender with a 128-byte message");
	msg128[MSG_SLOT_MAX_LEN] = 'm';
	msg128[MSG_SLOT_MAX_LEN + 1] = '\0';
	RUN(&r, SENDER, "/dev/message_slot0", "8", msg128);
	fails_with(&r, "message_sender: write: Message too long", "sender with a 129-byte message");
	RUN(&r, SENDER, "/dev/message_slot0", "8", "");
	fails_with(&r, "message_sender: write: Message too long", "sender with an empty message");
	RUN(&r, READER, "/dev/message_slot0", "8");
	succeeds_with(&r, msg128, MSG_SLOT_MAX_LEN, "the 128-byte message survives the failed sends");

	fill_msg(bin, sizeof(bin), 9);
	bin[0] = 0;
	bin[64] = 0;
	fd = must_open_chan(0, 9);
	is_int(write(fd, bin, sizeof(bin)), MSG_SLOT_MAX_LEN, "a binary message with NULs");
	close(fd);
	RUN(&r, READER, "/dev/message_slot0", "9");
	succeeds_with(&r, bin, sizeof(bin), "reader writes binary messages byte for byte");
}

static void test_failing_steps(void)
{
	struct result r;

	RUN(&r, READER, "/dev/message_slot0", "123456");
	fails_with(&r, "message_reader: read: Resource temporarily unavailable",
		   "reader on an empty channel");
	RUN(&r, READER, "/dev/no_such_slot", "1");
	fails_with(&r, "message_reader: open /dev/no_such_slot: No such file or directory",
		   "reader on a missing device");
	RUN(&r, SENDER, "/dev/no_such_slot", "1", "x");
	fails_with(&r, "message_sender: open /dev/no_such_slot: No such file or directory",
		   "sender on a missing device");
	RUN(&r, SENDER, "/dev/null", "1", "x");
	fails_with(&r, "message_sender: ioctl MSG_SLOT_CHANNEL 1: Inappropriate ioctl for device",
		   "sender on a device that is not a slot");
	RUN(&r, READER, "/dev/null", "1");
	fails_with(&r, "message_reader: ioctl MSG_SLOT_CHANNEL 1: Inappropriate ioctl for device",
		   "reader on a device that is not a slot");

	run_to(&r, "/dev/full", (char *const[]){ READER, "/dev/message_slot0", "7", NULL });
	fails_with(&r, "message_reader: write to standard output: No space left on device",
		   "reader whose standard output fails");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_usage();
	test_bad_channels();
	test_invalid_argument();
	test_round_trips();
	test_failing_steps();
	return tap_done();
}
