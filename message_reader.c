// SPDX-License-Identifier: GPL-2.0
/*
 * message_reader [--follow [-0]] DEVICE CHANNEL
 *
 * Opens the message slot file DEVICE, selects CHANNEL on it, reads the
 * channel's last message and writes exactly its bytes to standard output,
 * with nothing added.
 *
 * With --follow (-f) it prints the current message, if there is one, and
 * every new message as it arrives, each followed by a newline (-0: a NUL),
 * waiting with poll() until SIGINT or SIGTERM, then exits 0.
 *
 * Exits 1 on any error, with a message on stderr.
 */
#define _POSIX_C_SOURCE 200809L
#define _GNU_SOURCE /* ppoll */

#include <poll.h>
#include <signal.h>

#include "message_slot_cli.h"

static const char *prog = "message_reader";

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--follow [-0]] DEVICE CHANNEL\n"
		"  Print the last message of CHANNEL (1 to 4294967295) of the message\n"
		"  slot DEVICE, with nothing added.\n"
		"  -f, --follow  print it and every new message, each followed by a\n"
		"                newline, until interrupted\n"
		"  -0            with --follow: end each message with a NUL instead\n"
		"  --help        show this help\n", prog);
}

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

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Wait for messages this file has not read and print each one. SIGINT and
 * SIGTERM stay blocked except inside ppoll(), so none is lost between the
 * check of @stop and the wait.
 */
static int follow(int fd, char end)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, during;
	char msg[MSG_SLOT_MAX_LEN + 1];

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &during) < 0) {
		ms_perror(prog, "sigprocmask");
		return 1;
	}
	sigdelset(&during, SIGINT);
	sigdelset(&during, SIGTERM);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		ms_perror(prog, "sigaction");
		return 1;
	}

	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (ppoll(&p, 1, NULL, &during) < 0) {
			if (errno == EINTR)
				continue;
			ms_perror(prog, "poll");
			return 1;
		}
		if (p.revents & (POLLERR | POLLNVAL)) {
			fprintf(stderr, "%s: poll: error on the device\n", prog);
			return 1;
		}
		if (!(p.revents & POLLIN))
			continue;
		n = read(fd, msg, MSG_SLOT_MAX_LEN);
		if (n < 0) {
			ms_perror(prog, "read");
			return 1;
		}
		msg[n] = end;
		if (write_all(STDOUT_FILENO, msg, (size_t)n + 1) < 0) {
			ms_perror(prog, "write to standard output");
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char msg[MSG_SLOT_MAX_LEN];
	int follow_mode = 0, nul = 0, i, fd, ret;
	unsigned int id;
	ssize_t n;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0) {
			follow_mode = 1;
		} else if (strcmp(argv[i], "-0") == 0) {
			nul = 1;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, argv[i]);
			usage(stderr);
			return 1;
		}
	}
	if (argc - i != 2 || (nul && !follow_mode)) {
		usage(stderr);
		return 1;
	}
	if (ms_parse_channel(argv[i + 1], &id) < 0) {
		ms_bad_channel(prog, argv[i + 1]);
		return 1;
	}

	fd = ms_open_channel(prog, argv[i], id, O_RDONLY);
	if (fd < 0)
		return 1;
	if (follow_mode) {
		ret = follow(fd, nul ? '\0' : '\n');
		close(fd);
		return ret;
	}

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
