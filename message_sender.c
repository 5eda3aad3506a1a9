// SPDX-License-Identifier: GPL-2.0
/*
 * message_sender DEVICE CHANNEL MESSAGE
 * message_sender DEVICE CHANNEL -
 * message_sender --delete DEVICE CHANNEL
 *
 * Opens the message slot file DEVICE, selects CHANNEL on it and writes
 * MESSAGE (without its terminating NUL) as the channel's message. With
 * "-", the message is exactly the bytes on standard input, 1 to 128 of
 * them, so it may hold any byte; more is an error that sends nothing.
 * With --delete, it deletes CHANNEL and its message instead
 * (ioctl(MSG_SLOT_DELETE)).
 * Exits 0 on success, 1 on any error, with a message on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include "message_slot_cli.h"

static const char *prog = "message_sender";

static void usage(FILE *f)
{
	fprintf(f, "usage: %s DEVICE CHANNEL MESSAGE\n"
		"       %s DEVICE CHANNEL -\n"
		"       %s --delete DEVICE CHANNEL\n"
		"  Make MESSAGE (without its terminating NUL), or the bytes on standard\n"
		"  input (1 to %d), the message of CHANNEL (1 to 4294967295) of the\n"
		"  message slot DEVICE.\n"
		"  --delete  delete CHANNEL and its message instead\n"
		"  --help    show this help\n", prog, prog, prog, MSG_SLOT_MAX_LEN);
}

/*
 * Read all of standard input into @buf: returns its length, or -1 with a
 * message if it fails or holds more than @size bytes.
 */
static ssize_t read_stdin(char *buf, size_t size)
{
	size_t len = 0;
	char extra;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, len < size ? buf + len : &extra,
				 len < size ? size - len : 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ms_perror(prog, "read standard input");
			return -1;
		}
		if (n == 0)
			return (ssize_t)len;
		if (len == size) {
			fprintf(stderr, "%s: standard input holds more than %zu bytes: nothing sent\n",
				prog, size);
			return -1;
		}
		len += (size_t)n;
	}
}

/*
 * Write @len bytes of @msg, or with @msg NULL delete the channel, through
 * @fd (a file on channel @id), then close it: returns the exit code.
 */
static int send_or_delete(int fd, unsigned int id, const char *msg, size_t len)
{
	char step[64];
	ssize_t n;
	int ok;

	if (!msg) {
		ok = ioctl(fd, MSG_SLOT_DELETE) == 0;
		if (!ok) {
			snprintf(step, sizeof(step), "ioctl MSG_SLOT_DELETE %u", id);
			ms_perror(prog, step);
		}
	} else {
		n = write(fd, msg, len);
		ok = n >= 0 && (size_t)n == len;
		if (n < 0)
			ms_perror(prog, "write");
		else if (!ok)
			fprintf(stderr, "%s: write: stored %zd of %zu bytes\n", prog, n, len);
	}
	if (!ok) {
		close(fd);
		return 1;
	}
	if (close(fd) < 0) {
		ms_perror(prog, "close");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char stdin_msg[MSG_SLOT_MAX_LEN];
	const char *device, *channel, *msg = NULL;
	size_t len = 0;
	unsigned int id;
	int delete, fd;
	ssize_t n;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	/* --delete DEVICE CHANNEL has as many arguments as DEVICE CHANNEL MESSAGE. */
	delete = argc >= 2 && strcmp(argv[1], "--delete") == 0;
	if (argc != 4) {
		usage(stderr);
		return 1;
	}
	device = argv[1 + delete];
	channel = argv[2 + delete];
	if (ms_parse_channel(channel, &id) < 0) {
		ms_bad_channel(prog, channel);
		return 1;
	}
	if (delete) {
		/* nothing to send */
	} else if (strcmp(argv[3], "-") == 0) {
		n = read_stdin(stdin_msg, sizeof(stdin_msg));
		if (n < 0)
			return 1;
		if (n == 0) {
			fprintf(stderr, "%s: standard input is empty: nothing sent\n", prog);
			return 1;
		}
		msg = stdin_msg;
		len = (size_t)n;
	} else {
		msg = argv[3];
		len = strlen(msg);
	}

	fd = ms_open_channel(prog, device, id, O_WRONLY);
	if (fd < 0)
		return 1;
	return send_or_delete(fd, id, msg, len);
}
