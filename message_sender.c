// SPDX-License-Identifier: GPL-2.0
/*
 * message_sender DEVICE CHANNEL MESSAGE
 *
 * Opens the message slot file DEVICE, selects CHANNEL on it and writes
 * MESSAGE (without its terminating NUL) as the channel's message.
 * Exits 0 on success, 1 on any error, with a message on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>

#include "message_slot_cli.h"

static const char *prog = "message_sender";

int main(int argc, char **argv)
{
	unsigned int id;
	ssize_t n;
	size_t len;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DEVICE CHANNEL MESSAGE\n", prog);
		return 1;
	}
	if (ms_parse_channel(argv[2], &id) < 0) {
		fprintf(stderr, "%s: invalid channel '%s': expected 1 to 4294967295\n",
			prog, argv[2]);
		return 1;
	}

	fd = ms_open_channel(prog, argv[1], id, O_WRONLY);
	if (fd < 0)
		return 1;
	len = strlen(argv[3]);
	n = write(fd, argv[3], len);
	if (n < 0) {
		ms_perror(prog, "write");
		close(fd);
		return 1;
	}
	if ((size_t)n != len) {
		fprintf(stderr, "%s: write: stored %zd of %zu bytes\n", prog, n, len);
		close(fd);
		return 1;
	}
	if (close(fd) < 0) {
		ms_perror(prog, "close");
		return 1;
	}
	return 0;
}
