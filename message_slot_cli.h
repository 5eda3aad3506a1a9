/* SPDX-License-Identifier: GPL-2.0 */
/*
 * message_slot_cli.h - what message_sender and message_reader share:
 * strict channel parsing and opening a slot file on a channel.
 */
#ifndef MESSAGE_SLOT_CLI_H
#define MESSAGE_SLOT_CLI_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "message_slot.h"

/*
 * Parse a channel id: decimal digits only, 1 to 4294967295. No sign, no
 * white space, no other base. Returns 0 and stores the id, or -1.
 */
static inline int ms_parse_channel(const char *s, unsigned int *id)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long long)(*s - '0');
		if (v > 4294967295ULL)
			return -1;
	}
	if (v == 0)
		return -1;
	*id = (unsigned int)v;
	return 0;
}

/*
 * Say that @arg is not a channel: "PROG: invalid channel 'ARG': Invalid
 * argument (expected 1 to 4294967295)", the system's word for EINVAL as
 * the device would say it.
 */
static inline void ms_bad_channel(const char *prog, const char *arg)
{
	fprintf(stderr, "%s: invalid channel '%s': %s (expected 1 to 4294967295)\n",
		prog, arg, strerror(EINVAL));
}

/* Print "PROG: STEP: strerror(errno)" on stderr. */
static inline void ms_perror(const char *prog, const char *step)
{
	fprintf(stderr, "%s: %s: %s\n", prog, step, strerror(errno));
}

/*
 * Open DEVICE with @flags and select channel @id on it. On failure prints
 * which step failed and returns -1.
 */
static inline int ms_open_channel(const char *prog, const char *device,
				  unsigned int id, int flags)
{
	char step[64];
	int fd;

	fd = open(device, flags);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", prog, device,
			strerror(errno));
		return -1;
	}
	if (ioctl(fd, MSG_SLOT_CHANNEL, id) < 0) {
		snprintf(step, sizeof(step), "ioctl MSG_SLOT_CHANNEL %u", id);
		ms_perror(prog, step);
		close(fd);
		return -1;
	}
	return fd;
}

#endif /* MESSAGE_SLOT_CLI_H */
