// SPDX-License-Identifier: GPL-2.0
/*
 * message_reader DEVICE CHANNEL
 *
 * Opens the message slot file DEVICE, selects CHANNEL on it, reads the
 * channel's last message and writes exactly its bytes to standard output,
 * with nothing added. Exits 0 on success, 1 on any error, with a message
 * on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>

#include "message_slot_cli.h"

static const char *prog = "message_reader";

/* Write all @len bytes of @buf to @fd, across short writes. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char msg[MSG_SLOT_MAX_LEN];
	unsigned int id;
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEVICE CHANNEL\n", prog);
		return 1;
	}
	if (ms_parse_channel(argv[2], &id) < 0) {
		fprintf(stderr, "%s: invalid channel '%s': expected 1 to 4294967295\n",
			prog, argv[2]);
		return 1;
	}

	fd = ms_open_channel(prog, argv[1], id, O_RDONLY);
	if (fd < 0)
		return 1;
	n = read(fd, msg, sizeof(msg));
	if (n < 0) {
		ms_perror(prog, "read");
		close(fd);
		return 1;
	}
	if (close(fd) < 0) {
		ms_perror(prog, "close");
		return 1;
	}
	if (write_all(STDOUT_FILENO, msg, (size_t)n) < 0) {
		ms_perror(prog, "write to standard output");
		return 1;
	}
	return 0;
}
