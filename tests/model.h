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

/*
 * Zeroed memory for the model: the includer defines it, returning the
 * memory or ending the program (the fuzzer's keeps failslab away from it).
 */
static void *model_zalloc(size_t size);

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
	int read_only;		/* opened without write access */
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

/* ioctl(fd, MSG_SLOT_DELETE): unlink the file's channel; 0 or -errno. */
static inline long model_delete(struct model_file *f)
{
	struct model_channel **p;

	if (f->read_only)
		return -EBADF;
	if (f->channel == 0)
		return -EINVAL;
	for (p = &f->slot->buckets[f->channel % MODEL_BUCKETS]; *p; p = &(*p)->next) {
		if ((*p)->id == f->channel) {
			struct model_channel *c = *p;

			*p = c->next;
			free(c);
			return 0;
		}
	}
	return -ENOENT;
}

/* ioctl(fd, cmd, arg): 0 or -errno. */
static inline long model_ioctl(struct model_file *f, unsigned long cmd, unsigned long arg)
{
	if (cmd == MSG_SLOT_DELETE)
		return model_delete(f);
	if ((cmd != MSG_SLOT_CHANNEL && cmd != MSG_SLOT_CHANNEL_LONG) ||
	    arg == 0 || arg > 4294967295ul)
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
		c = model_zalloc(sizeof(*c));
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

/*
 * Vectored calls (readv, writev): the segments as the fuzzer made them.
 * The VFS answers a total of 0 bytes with 0 before the driver runs; the
 * driver takes the segments as one buffer, and refuses any NULL segment,
 * whatever its length, as it refuses a NULL buffer.
 */
#define MODEL_MAX_SEGS 4

struct model_vec {
	int nsegs;
	size_t len[MODEL_MAX_SEGS];
	struct model_buf buf[MODEL_MAX_SEGS];
};

static inline size_t model_vec_total(const struct model_vec *v)
{
	size_t total = 0;
	int i;

	for (i = 0; i < v->nsegs; i++)
		total += v->len[i];
	return total;
}

static inline int model_vec_has_null(const struct model_vec *v)
{
	int i;

	for (i = 0; i < v->nsegs; i++)
		if (v->buf[i].is_null)
			return 1;
	return 0;
}

/* The checks of writev(fd, vec, n) after the VFS's: 0 or -errno. */
static inline long model_writev_check(const struct model_file *f, const struct model_vec *v)
{
	size_t total = model_vec_total(v);
	int i;

	if (f->channel == 0)
		return -EINVAL;
	if (total > MSG_SLOT_MAX_LEN)
		return -EMSGSIZE;
	if (model_vec_has_null(v))
		return -EINVAL;
	for (i = 0; i < v->nsegs; i++)
		if (v->buf[i].mapped < v->len[i])
			return -EFAULT;
	return 0;
}

/* writev(fd, vec, n) with @data the segments' bytes, concatenated. */
static inline long model_writev(struct model_file *f, const struct model_vec *v,
				const unsigned char *data)
{
	size_t total = model_vec_total(v);
	struct model_buf whole = { .is_null = 0, .mapped = total };
	long err;

	if (total == 0)
		return 0;
	err = model_writev_check(f, v);
	if (err)
		return err;
	return model_write(f, whole, data, total);
}

/*
 * readv(fd, vec, n): the length (message in *msg; segment i gets the next
 * min(len[i], what is left) bytes) or -errno.
 */
static inline long model_readv(struct model_file *f, const struct model_vec *v,
			       const unsigned char **msg)
{
	size_t total = model_vec_total(v), left;
	struct model_channel *c;
	int i;

	if (total == 0)
		return 0;
	if (f->channel == 0)
		return -EINVAL;
	if (model_vec_has_null(v))
		return -EINVAL;
	c = model_find(f->slot, f->channel);
	if (!c)
		return -EWOULDBLOCK;
	if (total < c->len)
		return -ENOSPC;
	left = c->len;
	for (i = 0; i < v->nsegs && left; i++) {
		size_t part = v->len[i] < left ? v->len[i] : left;

		if (v->buf[i].mapped < part)
			return -EFAULT;
		left -= part;
	}
	*msg = c->msg;
	return (long)c->len;
}

#endif /* MS_MODEL_H */
