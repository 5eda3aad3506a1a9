/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The interface shared by the message_slot module and the programs that
 * use it.
 *
 * Like the kernel's own uapi headers, it includes only <linux/ioctl.h> and
 * <linux/types.h>, which kernel code and user programs (through the
 * kernel's installed headers) both have.
 */
#ifndef MESSAGE_SLOT_H
#define MESSAGE_SLOT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The character device major number the module registers by default. */
#define MSG_SLOT_MAJOR 240

/* The name the module registers its major number under. */
#define MSG_SLOT_DEVICE_NAME "message_slot"

/*
 * ioctl(fd, MSG_SLOT_CHANNEL, id): select channel @id (1 to 4294967295) for
 * this open file. The id is passed by value, not through a pointer.
 */
#define MSG_SLOT_CHANNEL _IOW(MSG_SLOT_MAJOR, 0, __u32)

/*
 * The same command as programs that declare the id unsigned long compute
 * it on 64-bit systems (0x4008F000): accepted too, with the same meaning,
 * from 64-bit and 32-bit programs. (On 32-bit systems such programs
 * compute MSG_SLOT_CHANNEL itself.)
 */
#define MSG_SLOT_CHANNEL_LONG _IOW(MSG_SLOT_MAJOR, 0, unsigned long long)

/*
 * ioctl(fd, MSG_SLOT_DELETE): delete the channel this open file selected,
 * and its message, from the slot. The argument is not used. The file must
 * be open for writing (EBADF otherwise), have a channel selected (EINVAL)
 * and the channel must hold a message (ENOENT). Deleting needs the same
 * power as overwriting: anyone who may write to the slot may delete.
 */
#define MSG_SLOT_DELETE _IO(MSG_SLOT_MAJOR, 1)

/* The largest message, in bytes. The smallest is one byte. */
#define MSG_SLOT_MAX_LEN 128

#endif /* MESSAGE_SLOT_H */
