/* SPDX-License-Identifier: GPL-2.0 */
/*
 * message_slot_compat.h - the kernel API differences the module meets
 * between the oldest kernel it supports (6.1, see dkms.conf) and current
 * mainline, each with the version that changed it.
 *
 * Also avoided on purpose, so that nothing here is needed for them:
 *  - no_llseek was removed in 6.12: .llseek is left unset (stream_open()
 *    makes lseek fail with ESPIPE).
 *  - EXTRA_CFLAGS stopped working in 6.15: Kbuild uses ccflags-y.
 */
#ifndef MESSAGE_SLOT_COMPAT_H
#define MESSAGE_SLOT_COMPAT_H

#include <linux/device.h>
#include <linux/version.h>

/* 6.4: class_create() lost its struct module argument. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define ms_class_create(name) class_create(name)
#else
#define ms_class_create(name) class_create(THIS_MODULE, name)
#endif

/* 6.2: a class's devnode() callback takes a const struct device. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define MS_DEVNODE_CONST const
#else
#define MS_DEVNODE_CONST
#endif

#endif /* MESSAGE_SLOT_COMPAT_H */
