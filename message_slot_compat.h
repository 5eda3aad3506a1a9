/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences the module meets between the oldest kernel
 * it supports (5.10, see dkms.conf) and current mainline, each with the
 * version that changed it. Version checks are this file's purpose, so
 * `make check` lets checkpatch's LINUX_VERSION_CODE warnings pass here.
 *
 * Also avoided on purpose, so that nothing here is needed for them:
 *  - no_llseek was removed in 6.12: .llseek is left unset (stream_open()
 *    makes lseek fail with ESPIPE).
 *  - EXTRA_CFLAGS stopped working in 6.15: Kbuild uses ccflags-y.
 */
#ifndef MESSAGE_SLOT_COMPAT_H
#define MESSAGE_SLOT_COMPAT_H

#include <linux/device.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/version.h>

/*
 * 6.1: kmalloc_size_roundup() tells the size of the kmalloc bucket that
 * serves a request. Before it, the same answer from the same bucket
 * sizes: powers of two from KMALLOC_MIN_SIZE, plus 96 and 192 where
 * KMALLOC_MIN_SIZE allows them (mm/slab_common.c's size_index table).
 * Only requests up to KMALLOC_MAX_CACHE_SIZE are served by buckets, and
 * the module's are never larger than a channel of 128 bytes.
 */
#if KERNEL_VERSION(6, 1, 0) <= LINUX_VERSION_CODE
#define ms_kmalloc_size_roundup(size) kmalloc_size_roundup(size)
#else
static inline size_t ms_kmalloc_size_roundup(size_t size)
{
	BUILD_BUG_ON(KMALLOC_MIN_SIZE > 256);
	if (size <= KMALLOC_MIN_SIZE)
		return KMALLOC_MIN_SIZE;
	if (KMALLOC_MIN_SIZE <= 32 && size > 64 && size <= 96)
		return 96;
	if (KMALLOC_MIN_SIZE <= 64 && size > 128 && size <= 192)
		return 192;
	return roundup_pow_of_two(size);
}
#endif

/*
 * 7.0 (and 6.12.y stable: Debian's 6.12.117 has it): kzalloc_obj() and
 * kmalloc_obj() allocate an object of the type of their first argument,
 * and checkpatch prefers them to kzalloc(sizeof(...)) and
 * kmalloc(sizeof(...)). They are macros, so their absence is what tells,
 * not the version, which backports make wrong.
 */
#ifndef kzalloc_obj
#define kzalloc_obj(obj, gfp)					\
({								\
	typeof(obj) *__ms_obj = kzalloc(sizeof(obj), gfp);	\
	__ms_obj;						\
})
#endif

#ifndef kmalloc_obj
#define kmalloc_obj(obj, gfp)					\
({								\
	typeof(obj) *__ms_obj = kmalloc(sizeof(obj), gfp);	\
	__ms_obj;						\
})
#endif

/*
 * 5.12: __flatten, the attribute that inlines every call of a function
 * that can be. A macro: its absence tells.
 */
#ifndef __flatten
#define __flatten __attribute__((flatten))
#endif

/* 6.4: class_create() lost its struct module argument. */
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define ms_class_create(name) class_create(name)
#else
#define ms_class_create(name) class_create(THIS_MODULE, name)
#endif

/* 6.2: a class's devnode() callback takes a const struct device. */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define MS_DEVNODE_CONST const
#else
#define MS_DEVNODE_CONST
#endif

/*
 * The segments of a user-backed iterator (user_backed_iter(), 6.0; before
 * it, iter_is_iovec()): ms_iter_nr_segs() of them, segment @i starting at
 * ms_iter_seg(). 6.0 added ITER_UBUF, one user buffer with no iovec and
 * nr_segs 0; 6.4 made it one segment (nr_segs 1, its buffer an iovec
 * that iter_iov(), the new reader of struct iov_iter's iov, returns).
 */
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define ms_user_backed_iter(iter) user_backed_iter(iter)
#define ms_iter_nr_segs(iter) ((iter)->nr_segs)
#define ms_iter_seg(iter, i) (iter_iov(iter)[i].iov_base)
#elif KERNEL_VERSION(6, 0, 0) <= LINUX_VERSION_CODE
#define ms_user_backed_iter(iter) user_backed_iter(iter)
static inline unsigned long ms_iter_nr_segs(const struct iov_iter *iter)
{
	return iter_is_ubuf(iter) ? 1 : iter->nr_segs;
}

static inline void __user *ms_iter_seg(const struct iov_iter *iter,
				       unsigned long i)
{
	return iter_is_ubuf(iter) ? iter->ubuf : iter->iov[i].iov_base;
}
#else
#define ms_user_backed_iter(iter) iter_is_iovec(iter)
#define ms_iter_nr_segs(iter) ((iter)->nr_segs)
#define ms_iter_seg(iter, i) ((iter)->iov[i].iov_base)
#endif

#endif /* MESSAGE_SLOT_COMPAT_H */
