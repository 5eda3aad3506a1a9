/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - the message slot contract as a plain user-space C model, for
 * the fuzzer to hold the real device to. Kept small and obviously correct:
 * no concurrency, no cleverness, one function per call of the contract,
 * its checks in the contract's order.
 *
 * Slots hold channels in a chained hash table; files are reference
 * counted because dup() shares an open file (and so its channel).
 */
#ifndef MS_MODEL_H
#define MS_MODEL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../message_slot.h"

#define MODEL_BUCKETS 4096

struct model_channel {
	uint32_t id;
	size_t len;
	unsigned char msg[MSG_SLOT_MAX_LEN];
	struct model_channel *next;
};

struct model_slot {
	struct model_channel *buckets[MODEL_BUCKETS];
};

struct model_file {
	struct model_slot *slot;
	uint32_t channel;	/* 0: none selected */
	int refs;		/* descriptors sharing it (dup) */
};

/* A user buffer as the fuzzer made it: NULL, or @mapped readable bytes. */
struct model_buf {
	int is_null;
	size_t mapped;
};

static inline struct model_channel *model_find(struct model_slot *s, uint32_t id)
{
	struct model_channel *c;

	for (c = s->buckets[id % MODEL_BUCKETS]; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* ioctl(fd, cmd, arg): 0 or -errno. */
static inline long model_ioctl(struct model_file *f, unsigned long cmd, unsigned long arg)
{
	if (cmd != MSG_SLOT_CHANNEL || arg == 0 || arg > 4294967295ul)
		return -EINVAL;
	f->channel = (uint32_t)arg;
	return 0;
}

/* The checks of write(fd, buf, n), in order: 0 or -errno. */
static inline long model_write_check(const struct model_file *f, struct model_buf b, size_t n)
{
	if (f->channel == 0)
		return -EINVAL;
	if (n == 0 || n > MSG_SLOT_MAX_LEN)
		return -EMSGSIZE;
	if (b.is_null)
		return -EINVAL;
	if (b.mapped < n)
		return -EFAULT;
	return 0;
}

/* write(fd, buf, n) with @data the bytes of buf: n or -errno. */
static inline long model_write(struct model_file *f, struct model_buf b,
			       const unsigned char *data, size_t n)
{
	struct model_channel *c;
	long err = model_write_check(f, b, n);

	if (err)
		return err;
	c = model_find(f->slot, f->channel);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->id = f->channel;
		c->next = f->slot->buckets[c->id % MODEL_BUCKETS];
		f->slot->buckets[c->id % MODEL_BUCKETS] = c;
	}
	memcpy(c->msg, data, n);
	c->len = n;
	return (long)n;
}

/* read(fd, buf, n): the length (message in *msg) or -errno. */
static inline long model_read(struct model_file *f, struct model_buf b, size_t n,
			      const unsigned char **msg)
{
	struct model_channel *c;

	if (f->channel == 0)
		return -EINVAL;
	if (b.is_null)
		return -EINVAL;
	c = model_find(f->slot, f->channel);
	if (!c)
		return -EWOULDBLOCK;
	if (n < c->len)
		return -ENOSPC;
	if (b.mapped < c->len)
		return -EFAULT;
	*msg = c->msg;
	return (long)c->len;
}

#endif /* MS_MODEL_H */
