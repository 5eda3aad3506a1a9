// SPDX-License-Identifier: GPL-2.0
/*
 * ms_noop - the floor of make bench: a character device whose read(),
 * write() and ioctl() do nothing. Its calls cost what the system call,
 * the VFS and a driver's entry points cost, and nothing else: the
 * benchmark loads it beside message_slot and gives each figure as a ratio
 * to the same call here, counted in the same boot. Its major is given by
 * the kernel (see /proc/devices); minor 0 is its only node.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/module.h>

static dev_t noop_dev;
static struct cdev noop_cdev;

static ssize_t noop_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	return count;
}

static ssize_t noop_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	return count;
}

static long noop_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return 0;
}

static const struct file_operations noop_fops = {
	.owner = THIS_MODULE,
	.open = stream_open,
	.read = noop_read,
	.write = noop_write,
	.unlocked_ioctl = noop_ioctl,
};

static int __init noop_init(void)
{
	int err;

	err = alloc_chrdev_region(&noop_dev, 0, 1, KBUILD_MODNAME);
	if (err)
		return err;
	cdev_init(&noop_cdev, &noop_fops);
	err = cdev_add(&noop_cdev, noop_dev, 1);
	if (err)
		unregister_chrdev_region(noop_dev, 1);
	return err;
}

static void __exit noop_exit(void)
{
	cdev_del(&noop_cdev);
	unregister_chrdev_region(noop_dev, 1);
}

module_init(noop_init);
module_exit(noop_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("make bench's floor: a character device that does nothing");
