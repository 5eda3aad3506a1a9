// SPDX-License-Identifier: GPL-2.0
/*
 * t3_programs.c - message_sender and message_reader: output bytes, exit
 * codes and error messages, --help, message_sender's "-" (standard
 * input) and message_reader --follow.
 */
#define _GNU_SOURCE

#include <signal.h>

#include "common.h"

/* The slots the programs are pointed at; slot_path() makes the nodes. */
#define DEV "/dev/message_slot0"
#define DEV255 "/dev/message_slot255"

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

	slot_path(0);
	RUN(&r, SENDER);
	fails_with(&r, "usage: message_sender DEVICE CHANNEL MESSAGE", "sender with no arguments");
	RUN(&r, SENDER, DEV, "1");
	fails_with(&r, "usage:", "sender with 2 arguments");
	RUN(&r, SENDER, DEV, "1", "a", "b");
	fails_with(&r, "usage:", "sender with 4 arguments");
	RUN(&r, READER);
	fails_with(&r, "usage: message_reader [--follow [-0]] DEVICE CHANNEL", "reader with no arguments");
	RUN(&r, READER, DEV);
	fails_with(&r, "usage:", "reader with 1 argument");
	RUN(&r, READER, DEV, "1", "x");
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

	slot_path(0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "sender channel '%s'", bad[i]);
		RUN(&r, SENDER, DEV, (char *)bad[i], "msg");
		fails_with(&r, "invalid channel", what);
		snprintf(what, sizeof(what), "reader channel '%s'", bad[i]);
		RUN(&r, READER, DEV, (char *)bad[i]);
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

	slot_path(0);
	RUN(&r, SENDER, DEV, "4294967295", "hello");
	succeeds_with(&r, "", 0, "sender to channel 4294967295");
	RUN(&r, READER, DEV, "4294967295");
	succeeds_with(&r, "hello", 5, "reader prints the message with no newline");

	fd = must_open_chan(0, MS_MAX_ID);
	is_int(read(fd, bin, sizeof(bin)), 5, "the sender wrote 5 bytes: no terminating NUL");
	close(fd);

	RUN(&r, SENDER, DEV, "0007", "leading zeros");
	succeeds_with(&r, "", 0, "sender channel '0007'");
	RUN(&r, READER, DEV, "7");
	succeeds_with(&r, "leading zeros", 13, "reader channel 7 gets what was sent to 0007");

	memset(msg128, 'm', MSG_SLOT_MAX_LEN);
	msg128[MSG_SLOT_MAX_LEN] = '\0';
	RUN(&r, SENDER, DEV, "8", msg128);
	succeeds_with(&r, "", 0, "sender with a 128-byte message");
	msg128[MSG_SLOT_MAX_LEN] = 'm';
	msg128[MSG_SLOT_MAX_LEN + 1] = '\0';
	RUN(&r, SENDER, DEV, "8", msg128);
	fails_with(&r, "message_sender: write: Message too long", "sender with a 129-byte message");
	RUN(&r, SENDER, DEV, "8", "");
	fails_with(&r, "message_sender: write: Message too long", "sender with an empty message");
	RUN(&r, READER, DEV, "8");
	succeeds_with(&r, msg128, MSG_SLOT_MAX_LEN, "the 128-byte message survives the failed sends");

	fill_msg(bin, sizeof(bin), 9);
	bin[0] = 0;
	bin[64] = 0;
	fd = must_open_chan(0, 9);
	is_int(write(fd, bin, sizeof(bin)), MSG_SLOT_MAX_LEN, "a binary message with NULs");
	close(fd);
	RUN(&r, READER, DEV, "9");
	succeeds_with(&r, bin, sizeof(bin), "reader writes binary messages byte for byte");
}

static void test_failing_steps(void)
{
	struct result r;

	slot_path(0);
	RUN(&r, READER, DEV, "123456");
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

	run_prog(&r, NULL, 0, "/dev/full", (char *const[]){ READER, DEV, "7", NULL });
	fails_with(&r, "message_reader: write to standard output: No space left on device",
		   "reader whose standard output fails");
}

/*
 * message_sender --delete DEVICE CHANNEL: deletes the channel, says
 * nothing and exits 0; exits 1 with the step and the system's error for
 * an absent channel, a bad channel or a wrong number of arguments.
 */
static void test_delete(void)
{
	static const char *const bad[] = { "abc", "0", "-1", "4294967296", "" };
	unsigned char buf[MSG_SLOT_MAX_LEN];
	struct result r;
	char what[64];
	size_t i;
	int fd;

	slot_path(0);
	RUN(&r, SENDER, DEV, "70", "to delete");
	succeeds_with(&r, "", 0, "sender to channel 70");
	RUN(&r, SENDER, "--delete", DEV, "70");
	succeeds_with(&r, "", 0, "message_sender --delete DEV 70");
	fd = must_open_chan(0, 70);
	is_errno(read(fd, buf, sizeof(buf)), EWOULDBLOCK, "channel 70 holds no message any more");
	close(fd);
	RUN(&r, READER, DEV, "70");
	fails_with(&r, "message_reader: read: Resource temporarily unavailable",
		   "message_reader on the deleted channel");
	RUN(&r, SENDER, "--delete", DEV, "70");
	fails_with(&r, "message_sender: ioctl MSG_SLOT_DELETE 70: No such file or directory",
		   "deleting a channel with no message");
	RUN(&r, SENDER, DEV, "70", "back");
	succeeds_with(&r, "", 0, "sending to channel 70 again");
	RUN(&r, READER, DEV, "70");
	succeeds_with(&r, "back", 4, "and it reads back");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "--delete channel '%s'", bad[i]);
		RUN(&r, SENDER, "--delete", DEV, (char *)bad[i]);
		fails_with(&r, "invalid channel", what);
	}
	RUN(&r, SENDER, "--delete", DEV, "0");
	fails_with(&r, "message_sender: invalid channel '0': Invalid argument (expected 1 to 4294967295)",
		   "--delete channel 0, in the usual words");
	RUN(&r, SENDER, "--delete", DEV);
	fails_with(&r, "usage: message_sender DEVICE CHANNEL MESSAGE", "--delete with 1 argument");
	RUN(&r, SENDER, "--delete");
	fails_with(&r, "usage:", "--delete alone");
	RUN(&r, SENDER, "--delete", DEV, "70", "x");
	fails_with(&r, "usage:", "--delete with 3 arguments");
	RUN(&r, READER, DEV, "70");
	succeeds_with(&r, "back", 4, "none of the refused calls deleted channel 70");
	RUN(&r, SENDER, "--delete", "/dev/no_such_slot", "1");
	fails_with(&r, "message_sender: open /dev/no_such_slot: No such file or directory",
		   "--delete on a missing device");
	RUN(&r, SENDER, "--delete", "/dev/null", "1");
	fails_with(&r, "message_sender: ioctl MSG_SLOT_CHANNEL 1: Inappropriate ioctl for device",
		   "--delete on a device that is not a slot");
	RUN(&r, SENDER, "--help");
	ok(strstr(r.out, "--delete DEVICE CHANNEL") != NULL, "--help shows --delete");
}

static void test_help(void)
{
	struct result r;

	RUN(&r, SENDER, "--help");
	ok(r.status == 0 && strncmp(r.out, "usage: message_sender", 21) == 0 && !r.err[0],
	   "message_sender --help prints the usage on stdout and exits 0");
	RUN(&r, READER, "--help");
	ok(r.status == 0 && strncmp(r.out, "usage: message_reader", 21) == 0 && !r.err[0],
	   "message_reader --help prints the usage on stdout and exits 0");
}

static void test_stdin(void)
{
	unsigned char msg[MSG_SLOT_MAX_LEN], big[MSG_SLOT_MAX_LEN + 1], got[MSG_SLOT_MAX_LEN];
	char *sender[] = { SENDER, DEV255, "60", "-", NULL };
	struct result r;
	int fd, i;

	for (i = 0; i < MSG_SLOT_MAX_LEN; i++)
		msg[i] = (unsigned char)(i * 7);
	msg[0] = 0;
	msg[100] = 0;
	slot_path(255);
	run_prog(&r, msg, sizeof(msg), NULL, sender);
	succeeds_with(&r, "", 0, "message_sender DEV 60 - sends standard input");
	fd = must_open_chan(255, 60);
	ok(read(fd, got, sizeof(got)) == MSG_SLOT_MAX_LEN && memcmp(got, msg, sizeof(msg)) == 0,
	   "128 bytes holding NULs arrive byte for byte");
	RUN(&r, READER, DEV255, "60");
	succeeds_with(&r, msg, sizeof(msg), "message_reader returns them byte for byte");

	memset(big, 'b', sizeof(big));
	run_prog(&r, big, sizeof(big), NULL, sender);
	fails_with(&r, "standard input holds more than 128 bytes: nothing sent",
		   "129 bytes on standard input");
	ok(read(fd, got, sizeof(got)) == MSG_SLOT_MAX_LEN && memcmp(got, msg, sizeof(msg)) == 0,
	   "and nothing was sent");
	run_prog(&r, "", 0, NULL, sender);
	fails_with(&r, "standard input is empty: nothing sent", "empty standard input");
	close(fd);
}

/* Read exactly @len bytes of @fd: the follower's output, as it comes. */
static int expect(int fd, const char *want, size_t len)
{
	char got[256] = "";
	size_t n = 0;

	while (n < len) {
		ssize_t r = read(fd, got + n, len - n);

		if (r <= 0)
			return 0;
		n += (size_t)r;
	}
	return memcmp(got, want, len) == 0;
}

static int send_msg(unsigned long id, const char *msg, size_t len)
{
	int fd = open_chan(255, id);
	int sent = fd >= 0 && write(fd, msg, len) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return sent;
}

static void follow(int nul)
{
	const char end = nul ? '\0' : '\n';
	unsigned long id = nul ? 51 : 50;
	int in_order = 1, i;
	char want[32], idstr[16];
	char *argv[6];
	struct child c;

	snprintf(idstr, sizeof(idstr), "%lu", id);
	i = 0;
	argv[i++] = READER;
	argv[i++] = "--follow";
	if (nul)
		argv[i++] = "-0";
	argv[i++] = (char *)slot_path(255);
	argv[i++] = idstr;
	argv[i] = NULL;

	send_msg(id, "before", 6);
	c = spawn(argv, -1, -1);
	memcpy(want, "before", 6);
	want[6] = end;
	ok(expect(c.out, want, 7), "--follow%s prints the current message first", nul ? " -0" : "");
	for (i = 1; i <= 3; i++) {
		int len = snprintf(want, sizeof(want), "message %d", i);

		if (!send_msg(id, want, (size_t)len))
			in_order = 0;
		want[len] = end;
		/* Wait for it to be printed before sending the next. */
		if (!expect(c.out, want, (size_t)len + 1))
			in_order = 0;
	}
	ok(in_order, "--follow%s prints three messages from another process, in order, each ending in %s",
	   nul ? " -0" : "", nul ? "NUL" : "a newline");
	kill(c.pid, SIGTERM);
	is_int(wait_exit(c.pid), 0, "--follow exits 0 on SIGTERM");
	close(c.out);
	close(c.err);
}

static void test_follow(void)
{
	follow(0);
}

static void test_follow_nul(void)
{
	follow(1);
}

TAP_MAIN(
	TAP_CASE(test_usage, 60),
	TAP_CASE(test_bad_channels, 60),
	TAP_CASE(test_invalid_argument, 60),
	TAP_CASE(test_round_trips, 60),
	TAP_CASE(test_failing_steps, 60),
	TAP_CASE(test_help, 60),
	TAP_CASE(test_delete, 60),
	TAP_CASE(test_stdin, 60),
	TAP_CASE(test_follow, 60),
	TAP_CASE(test_follow_nul, 60),
)
