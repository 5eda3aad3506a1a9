/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences the module meets between the oldest kernel
 * it supports (6.1, see dkms.conf) and current mainline, each with the
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
#include <linux/uio.h>
#include <linux/version.h>

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

/* 6.4: struct iov_iter's iov became __iov, read through iter_iov(). */
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define ms_iter_iov(iter) iter_iov(iter)
#else
#define ms_iter_iov(iter) ((iter)->iov)
#endif

#endif /* MESSAGE_SLOT_COMPAT_H */
