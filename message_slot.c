// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot - a character device for inter-process messages.
 *
 * Every minor number of the device is a slot; every slot holds any number
 * of channels, identified by a non-zero 32-bit id; every channel keeps the
 * last message written to it until it is overwritten or the module is
 * unloaded, or deleted with ioctl(MSG_SLOT_DELETE). An open file selects
 * its channel with ioctl(MSG_SLOT_CHANNEL), then write() stores a whole
 * message and read() returns the last one.
 *
 * Ways in: read() and write() reach ms_read() and ms_write(); readv(),
 * writev(), preadv2() and pwritev2() with offset -1 and io_uring reach
 * ms_read_iter() and ms_write_iter(). Both pairs end in ms_read_msg() and
 * ms_write_msg(), which own the contract's checks and their order.
 *
 * Data structures:
 *  - ms_slots: an xarray from minor number to struct ms_slot, filled on the
 *    first open of each minor and emptied only at module unload.
 *  - struct ms_slot: an rhashtable from channel id to struct ms_channel,
 *    and one from channel id to struct ms_watch (below).
 *  - struct ms_channel: the message bytes, inline, sized to the message
 *    (rounded up to the kmalloc bucket, or the dedicated cache's object for
 *    the largest size), guarded by a seqlock.
 *
 * Concurrency:
 *  - Readers find the channel under RCU and copy the message into a stack
 *    buffer in a seqlock read section; if a writer was busy they copy again
 *    holding the channel's lock, so a stream of writers cannot starve them
 *    (as read_seqbegin_or_lock() does); copy_to_user() runs after the RCU
 *    section.
 *  - Writers copy the user's bytes into a stack buffer first, so that a
 *    faulting buffer changes nothing, then overwrite the channel in place
 *    under its seqlock. A message larger than the channel's capacity goes
 *    into a new, larger channel that replaces the old one in the table;
 *    the old one is marked dead under its lock (so that no writer stores
 *    into it afterwards) and freed after an RCU grace period.
 *  - Deleting a channel takes the slot's create_lock and the channel's
 *    lock, removes it from the table and marks it dead: a writer that
 *    finds it dead looks again and creates the channel anew, a reader
 *    that finds it dead looks again and finds no message. It is freed
 *    after an RCU grace period. A channel created later starts its
 *    generations above the deleted one's (ms_slot.gen_floor), so that a
 *    file that read the old message sees the new one as unread.
 *  - Writers creating channels in one slot take its create_lock, look
 *    again and count under it: writers racing to create the same channel
 *    insert it once (the others overwrite it in place), and a limit
 *    refuses a writer only for channels that exist.
 *
 * Waiting (poll, select, epoll):
 *  - Every message carries a generation number; a file remembers the
 *    generation it last read and is readable while its channel holds a
 *    newer one.
 *  - Each slot has a table of watches, one per channel that some file
 *    waits on, each with its own wait queue. A file that has polled keeps
 *    one wait entry on the watch of its channel; a write looks up the
 *    watch of its channel only, so it wakes exactly the files of that slot
 *    and channel, and its cost does not depend on files waiting on other
 *    channels. Selecting another channel moves the entry. See ms_poll()
 *    for why no wake-up is lost and no file is left on an old channel.
 *
 * Memory:
 *  - Every allocation a user's call causes is GFP_KERNEL_ACCOUNT, charged
 *    to the caller's memory cgroup; max_channels (per slot),
 *    max_total_channels (all slots) and max_user_channels (per user) bound
 *    what users can make the module hold.
 *  - Each channel is charged to the user who created it, by real uid, as
 *    the kernel's own per-user counts (processes, POSIX message queues)
 *    are kept in the user_struct of the real uid: a set-user-ID program
 *    run by a user is charged to that user. The charge stays with the
 *    channel when it grows and goes when it is deleted. Over the limit,
 *    creating a channel needs CAP_SYS_RESOURCE, as for an rlimit.
 *  - debugfs shows what the module holds, summed when read: no counter
 *    on a write's path but the limits' own.
 *  - The device goes live as the last step of init that can fail; unload
 *    walks every table iteratively and frees everything, after
 *    rcu_barrier() for the channels still waiting for a grace period.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kdev_t.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "message_slot.h"
#include "message_slot_compat.h"

/* Every minor number of the major is a slot. */
#define MS_MINORS (MINORMASK + 1)

/* The most nodes nodes= may ask for. */
#define MS_MAX_NODES 4096

static unsigned int major = MSG_SLOT_MAJOR;
module_param(major, uint, 0444);
MODULE_PARM_DESC(major, "Character device major number (default 240; 0 asks the kernel for a free one)");

static unsigned int nodes;
module_param(nodes, uint, 0444);
MODULE_PARM_DESC(nodes, "Create /dev/message_slot0 to /dev/message_slotN-1 (default 0: make nodes with mknod; at most 4096)");

static unsigned int mode = 0600;
module_param(mode, uint, 0444);
MODULE_PARM_DESC(mode, "Permissions of the nodes made by nodes= (default 0600; the udev rule can widen them)");

static unsigned int max_channels = 1048576;
module_param(max_channels, uint, 0444);
MODULE_PARM_DESC(max_channels, "Most channels per slot; a write that would create one more fails with ENOSPC (default 1048576; 0: no limit)");

static unsigned int max_total_channels = 4194304;
module_param(max_total_channels, uint, 0444);
MODULE_PARM_DESC(max_total_channels, "Most channels all slots together; a write that would create one more fails with ENOSPC (default 4194304, about 800 MiB of 128-byte messages; 0: no limit)");

/*
 * A sixteenth of max_total_channels' default: one user cannot take more
 * than a sixteenth of the module, and 16 users filling theirs still leave
 * it room (a user's channels are about 50 MiB at most).
 */
static unsigned int max_user_channels = 262144;
module_param(max_user_channels, uint, 0444);
MODULE_PARM_DESC(max_user_channels, "Most channels one user (real uid) may have created, all slots together; a write that would create one more fails with ENOSPC unless the writer has CAP_SYS_RESOURCE (default 262144, a sixteenth of max_total_channels' default; 0: no limit)");

/**
 * struct ms_user - the channels charged to one user
 * @uid: the real uid of the writers that created them
 * @channels: how many exist; at most max_user_channels but for writers
 *	with CAP_SYS_RESOURCE
 * @bytes: the bytes of their messages
 *
 * Made by the user's first channel, kept until the module is unloaded.
 */
struct ms_user {
	kuid_t uid;
	atomic_t channels;
	atomic_long_t bytes;
};

/* Users by real uid. */
static DEFINE_XARRAY(ms_users);

/**
 * struct ms_channel - one channel of a slot and its last message
 * @node: link in the slot's channel table
 * @id: channel id, the table key; never 0
 * @gen: generation of the message: 1 for the first, one more per write
 * @len: length of the message in @data, 1 to MSG_SLOT_MAX_LEN
 * @cap: bytes available in @data; a longer message needs a new channel
 * @dead: set under @lock when a larger channel replaced this one, or when
 *	it was deleted
 * @owner: the uid (in ms_users) of the user the channel is charged to:
 *	its creator. A uid, not a pointer, keeps a channel of a 16-byte
 *	message in a 64-byte allocation
 * @lock: orders writers; readers use its sequence count only
 * @rcu: defers freeing a replaced channel until readers are done
 * @data: the message bytes
 */
struct ms_channel {
	struct rhash_head node;
	u32 id;
	u32 gen;
	u8 len;
	u8 cap;
	bool dead;
	u32 owner;
	seqlock_t lock;
	struct rcu_head rcu;
	u8 data[];
};

/* Bytes of a channel with room for @cap message bytes. */
#define MS_CHANNEL_SIZE(cap) (offsetof(struct ms_channel, data) + (cap))

/**
 * struct ms_watch - the files of a slot waiting on one channel
 * @node: link in the slot's table of watches
 * @id: channel id, the table key
 * @users: files whose watcher entry is on @wq; under ms_slot.watch_lock
 * @wq: the watcher entries (struct ms_file.watcher) of those files
 * @rcu: defers freeing until writers that found the watch are done
 *
 * A watch exists while at least one file is attached to it, whether or
 * not the channel exists yet.
 */
struct ms_watch {
	struct rhash_head node;
	u32 id;
	unsigned int users;
	struct wait_queue_head wq;
	struct rcu_head rcu;
};

/**
 * struct ms_slot - the channels of one minor number
 * @channels: table of struct ms_channel keyed by id
 * @create_lock: serialises the creation of channels in @channels
 * @nchannels: channels in @channels, at most max_channels if that is set;
 *             written under @create_lock
 * @gen_floor: the highest generation a deleted channel of this slot had;
 *             a channel created later starts above it; under @create_lock
 * @watches: table of struct ms_watch keyed by channel id
 * @nwatches: watches in @watches, plus the files on @orphans: a writer
 *            looks no further while it is 0
 * @watch_lock: orders the creation and removal of watches, and @orphans
 * @orphans: the watcher entries of files whose watch could not be made
 *           (out of memory): every write to the slot wakes them, so that
 *           their pollers poll, and try again, when a message may have come
 */
struct ms_slot {
	struct rhashtable channels;
	spinlock_t create_lock;	/* serialises channel creation */
	unsigned int nchannels;
	u32 gen_floor;
	struct rhashtable watches;
	atomic_t nwatches;
	struct mutex watch_lock;	/* orders changes to @watches */
	struct wait_queue_head orphans;
};

/* Channels in all slots, at most max_total_channels if that is set. */
static atomic_t ms_total_channels = ATOMIC_INIT(0);

/**
 * struct ms_file - the state of one open file
 * @slot: the slot of the file's minor number
 * @channel: the channel selected with MSG_SLOT_CHANNEL; 0 if none yet;
 *	written under @watch_lock
 * @mark: the selection and what was read in it: the number of channel
 *	selections so far in the upper 32 bits, and in the lower 32 the
 *	generation of the message last read since the latest one (0 if none)
 * @watch_lock: orders channel selections and the moves of @watcher
 * @polled: the file has been polled; from then on @watcher follows @channel
 * @watch: the watch @watcher is on, for @channel; NULL if none
 * @orphaned: @watcher is on the slot's orphans instead: its watch could
 *	not be made; written under @watch_lock and the slot's watch_lock
 * @watcher: this file's entry on @watch's queue
 * @pollers: the poll, select and epoll waiters of this file
 */
struct ms_file {
	struct ms_slot *slot;
	u32 channel;
	atomic64_t mark;
	struct mutex watch_lock;	/* orders selections and watcher moves */
	bool polled;
	bool orphaned;
	struct ms_watch *watch;
	struct wait_queue_entry watcher;
	struct wait_queue_head pollers;
};

/* The parts of struct ms_file.mark. */
#define MS_MARK_EPOCH(mark) ((u32)((u64)(mark) >> 32))
#define MS_MARK_GEN(mark) ((u32)(mark))
#define MS_MARK(epoch, gen) ((s64)(((u64)(epoch) << 32) | (gen)))

/*
 * The table's hash and compare functions. rhashtable inlines them into
 * every lookup, where its defaults (jhash and memcmp) are calls.
 *
 * The hash is a keyed 32-bit finaliser (MurmurHash3's fmix32): every bit
 * of the id reaches the low bits that pick the bucket, and the per-table
 * random @seed, which rhashtable renews when a chain grows too long,
 * keeps chosen ids from piling into one bucket.
 */
static inline u32 ms_channel_hash(const void *key, u32 len, u32 seed)
{
	u32 x = *(const u32 *)key ^ seed;

	x ^= x >> 16;
	x *= 0x85ebca6b;
	x ^= x >> 13;
	x *= 0xc2b2ae35;
	x ^= x >> 16;
	return x;
}

static inline int ms_channel_cmp(struct rhashtable_compare_arg *arg,
				 const void *obj)
{
	return *(const u32 *)arg->key != ((const struct ms_channel *)obj)->id;
}

/*
 * A table starts with 4 buckets rather than rhashtable's 64: its bucket
 * arrays cannot be charged to the writer's memory cgroup (rhashtable
 * allocates them without __GFP_ACCOUNT), so a slot that holds a few
 * channels holds about 100 such bytes instead of 1 KiB.
 */
static const struct rhashtable_params ms_channel_params = {
	.nelem_hint = 1,
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct ms_channel, id),
	.head_offset = offsetof(struct ms_channel, node),
	.hashfn = ms_channel_hash,
	.obj_cmpfn = ms_channel_cmp,
};

static inline int ms_watch_cmp(struct rhashtable_compare_arg *arg,
			       const void *obj)
{
	return *(const u32 *)arg->key != ((const struct ms_watch *)obj)->id;
}

/*
 * Most slots have few watches: start with the smallest table (64 buckets
 * is the default), and give the memory back when files stop waiting.
 */
static const struct rhashtable_params ms_watch_params = {
	.nelem_hint = 3,
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct ms_watch, id),
	.head_offset = offsetof(struct ms_watch, node),
	.hashfn = ms_channel_hash,
	.obj_cmpfn = ms_watch_cmp,
	.automatic_shrinking = true,
};

/* Slots by minor number. */
static DEFINE_XARRAY(ms_slots);

/* Channels with room for the largest message; smaller ones use kmalloc. */
static struct kmem_cache *ms_channel_cache;

/**
 * ms_user_get() - the user the calling task's channels are charged to
 *
 * Context: may sleep; no lock held.
 * Return: the user of the caller's real uid, made on its first channel,
 * or NULL if memory ran out.
 */
static struct ms_user *ms_user_get(void)
{
	kuid_t uid = current_uid();
	struct ms_user *user, *old;

	user = xa_load(&ms_users, __kuid_val(uid));
	if (user)
		return user;
	user = kzalloc_obj(*user, GFP_KERNEL_ACCOUNT);
	if (!user)
		return NULL;
	user->uid = uid;
	old = xa_cmpxchg(&ms_users, __kuid_val(uid), NULL, user,
			 GFP_KERNEL_ACCOUNT);
	if (!old)
		return user;
	kfree(user);
	return xa_is_err(old) ? NULL : old;
}

/**
 * ms_owner() - the user a channel is charged to
 * @chan: a channel
 *
 * Return: its creator's struct ms_user, which lives as long as the module.
 */
static struct ms_user *ms_owner(const struct ms_channel *chan)
{
	return xa_load(&ms_users, chan->owner);
}

/**
 * ms_user_charge() - count one more channel for a user, within the limit
 * @user: the creator of the channel
 * @exempt: the creator has CAP_SYS_RESOURCE: no limit
 *
 * The count can be above the limit (channels created by exempt callers),
 * so the check is "below", not "not equal".
 *
 * Return: true if counted, false if the user is at max_user_channels.
 */
static bool ms_user_charge(struct ms_user *user, bool exempt)
{
	int c = atomic_read(&user->channels);

	do {
		if (max_user_channels && !exempt &&
		    (unsigned int)c >= max_user_channels)
			return false;
	} while (!atomic_try_cmpxchg(&user->channels, &c, c + 1));
	return true;
}

/**
 * ms_channel_alloc() - allocate a channel holding a message
 * @id: the id the channel is looked up by, 1 to U32_MAX
 * @msg: its first message, copied into the channel
 * @len: message length, 1 to MSG_SLOT_MAX_LEN
 *
 * The channel gets all the room of its allocation: a kmalloc bucket for
 * short messages, or an object of the dedicated cache, sized for the
 * largest message, once the bucket would be as large as that object.
 *
 * Return: the new channel, or NULL if memory ran out.
 */
static struct ms_channel *ms_channel_alloc(u32 id, const u8 *msg, u8 len)
{
	const size_t full = MS_CHANNEL_SIZE(MSG_SLOT_MAX_LEN);
	size_t size = ms_kmalloc_size_roundup(MS_CHANNEL_SIZE(len));
	struct ms_channel *chan;

	if (size >= full) {
		chan = kmem_cache_alloc(ms_channel_cache, GFP_KERNEL_ACCOUNT);
		size = full;
	} else {
		chan = kmalloc(size, GFP_KERNEL_ACCOUNT);
	}
	if (!chan)
		return NULL;

	chan->id = id;
	chan->gen = 1;
	chan->len = len;
	chan->cap = size - offsetof(struct ms_channel, data);
	chan->dead = false;
	seqlock_init(&chan->lock);
	memcpy(chan->data, msg, len);
	return chan;
}

/* Free a channel no one can reach any more, into the cache it came from. */
static void ms_channel_free(struct ms_channel *chan)
{
	if (chan->cap == MSG_SLOT_MAX_LEN)
		kmem_cache_free(ms_channel_cache, chan);
	else
		kfree(chan);
}

static void ms_channel_free_rcu(struct rcu_head *head)
{
	ms_channel_free(container_of(head, struct ms_channel, rcu));
}

static void ms_channel_free_fn(void *ptr, void *arg)
{
	ms_channel_free(ptr);
}

/* The generation after @gen; 0 means "no message" and is skipped. */
static inline u32 ms_next_gen(u32 gen)
{
	return gen + 1 ?: 1;
}

/**
 * ms_channel_create() - publish a new channel, within the limits
 * @slot: the slot whose table takes @fresh, and whose limit is checked
 * @fresh: the channel, holding its first message, charged to its owner
 * @exempt: the writer has CAP_SYS_RESOURCE: no per-user limit
 *
 * Creators of one slot take its lock, look again and count under it, so
 * a writer is refused only for channels that exist: of two writers
 * creating the same id when the slot has room for one more channel, one
 * creates it and the other overwrites it, and neither sees -ENOSPC for
 * a reservation of the other's that turned out to be the same channel.
 *
 * Context: RCU read-side critical section.
 * Return: 1 if @fresh was published, -EAGAIN if the channel exists (the
 * caller overwrites it), -ENOSPC if the slot has max_channels channels
 * or all slots max_total_channels, -EDQUOT if its owner has
 * max_user_channels (the caller may retry with @exempt), or another
 * negative errno if the table could not take it.
 */
static int ms_channel_create(struct ms_slot *slot, struct ms_channel *fresh,
			     bool exempt)
{
	/*
	 * Read before the insert publishes @fresh: from then on a writer
	 * may overwrite it in place, under its lock, not under ours.
	 */
	u8 len = fresh->len;
	struct ms_user *user = ms_owner(fresh);
	int ret;

	spin_lock(&slot->create_lock);
	if (rhashtable_lookup(&slot->channels, &fresh->id, ms_channel_params)) {
		ret = -EAGAIN;
		goto unlock;
	}
	if (max_channels && slot->nchannels >= max_channels) {
		ret = -ENOSPC;
		goto unlock;
	}
	if (!max_total_channels) {
		atomic_inc(&ms_total_channels);
	} else if (!atomic_add_unless(&ms_total_channels, 1,
				      max_total_channels)) {
		ret = -ENOSPC;
		goto unlock;
	}
	if (!ms_user_charge(user, exempt)) {
		ret = -EDQUOT;
		goto uncount_total;
	}
	/* Above every generation a deleted channel of this id could have had. */
	fresh->gen = ms_next_gen(slot->gen_floor);
	/*
	 * Not there: looked up above under the lock that every insert
	 * holds. Fails with -ENOMEM for a table past its size whose larger
	 * one its worker has not made yet, if the insert cannot allocate it.
	 */
	ret = rhashtable_insert_fast(&slot->channels, &fresh->node,
				     ms_channel_params);
	if (ret)
		goto uncharge_user;
	WRITE_ONCE(slot->nchannels, slot->nchannels + 1);
	atomic_long_add(len, &user->bytes);
	ret = 1;
	goto unlock;

uncharge_user:
	atomic_dec(&user->channels);
uncount_total:
	atomic_dec(&ms_total_channels);
unlock:
	spin_unlock(&slot->create_lock);
	return ret;
}

/**
 * ms_channel_commit() - store a message, in place or as a new channel
 * @slot: the slot whose table is searched and changed
 * @id: the channel the message is for
 * @msg: the message, already in kernel memory
 * @len: its length, 1 to MSG_SLOT_MAX_LEN
 * @fresh: a channel already holding @msg, or NULL
 * @exempt: the writer has CAP_SYS_RESOURCE: no per-user limit
 *
 * Overwrites the channel in place if it exists and has room. Otherwise
 * publishes @fresh, as a new channel or as the replacement of one too
 * small, if the caller allocated it. Flattened, as ms_channel_load() is:
 * see ms_write().
 *
 * Context: RCU read-side critical section.
 * Return: 0 if stored in place (@fresh unused), 1 if @fresh was published,
 * -ENOENT if the channel does not exist and @fresh is NULL (the caller
 * checks the limits, then allocates it), -EAGAIN if the caller must
 * allocate @fresh for a larger channel or look again, -ENOSPC if a
 * new channel would pass max_channels or max_total_channels, -EDQUOT if
 * it would pass max_user_channels, or another negative errno if the
 * table could not take the new channel.
 */
static __flatten int ms_channel_commit(struct ms_slot *slot, u32 id,
				       const u8 *msg, u8 len,
				       struct ms_channel *fresh, bool exempt)
{
	struct ms_channel *chan;
	int ret;

	chan = rhashtable_lookup(&slot->channels, &id, ms_channel_params);
	if (!chan)
		return fresh ? ms_channel_create(slot, fresh, exempt) : -ENOENT;
	/*
	 * Nothing to store yet (a larger channel is needed, or this one is
	 * dead): no write section, which would make readers copy again.
	 * @cap never changes; @dead is looked at again under the lock.
	 */
	if ((len > chan->cap && !fresh) || READ_ONCE(chan->dead))
		return -EAGAIN;

	write_seqlock(&chan->lock);
	if (chan->dead) {
		ret = -EAGAIN;
	} else if (len <= chan->cap) {
		if (len != chan->len)
			atomic_long_add((s32)len - chan->len, &ms_owner(chan)->bytes);
		memcpy(chan->data, msg, len);
		chan->len = len;
		chan->gen = ms_next_gen(chan->gen);
		ret = 0;
	} else {
		fresh->gen = ms_next_gen(chan->gen);
		/* The creator stays charged, whoever makes it grow. */
		fresh->owner = chan->owner;
		ret = rhashtable_replace_fast(&slot->channels, &chan->node,
					      &fresh->node, ms_channel_params);
		if (!ret) {
			atomic_long_add((s32)len - chan->len, &ms_owner(chan)->bytes);
			WRITE_ONCE(chan->dead, true);
			ret = 1;
		}
	}
	write_sequnlock(&chan->lock);

	if (ret == 1)
		call_rcu(&chan->rcu, ms_channel_free_rcu);
	return ret;
}

/**
 * ms_channel_room() - may the caller create one more channel in a slot?
 * @slot: the slot the channel would be created in
 * @exempt: set if the caller is over max_user_channels and has
 *          CAP_SYS_RESOURCE
 *
 * Looked at without the slot's lock, before allocating the channel, so
 * that a write that is going to get -ENOSPC allocates nothing;
 * ms_channel_create() checks again under the lock.
 *
 * Return: 0, or -ENOSPC if a limit is reached.
 */
static int ms_channel_room(struct ms_slot *slot, bool *exempt)
{
	struct ms_user *user;

	if (max_channels && READ_ONCE(slot->nchannels) >= max_channels)
		return -ENOSPC;
	if (max_total_channels &&
	    (unsigned int)atomic_read(&ms_total_channels) >= max_total_channels)
		return -ENOSPC;
	if (!max_user_channels)
		return 0;
	user = xa_load(&ms_users, __kuid_val(current_uid()));
	if (user && (unsigned int)atomic_read(&user->channels) >= max_user_channels) {
		if (!capable(CAP_SYS_RESOURCE))
			return -ENOSPC;
		*exempt = true;
	}
	return 0;
}

/**
 * ms_channel_store() - make a message the last message of a channel
 * @slot: the slot of the writing file
 * @id: the file's channel, created here on its first message
 * @msg: message bytes, in kernel memory
 * @len: message length, 1 to MSG_SLOT_MAX_LEN
 *
 * Creates the channel on its first message, charged to the caller's
 * user. On failure the channel keeps its previous message, or stays
 * absent. A creator over max_user_channels is asked for CAP_SYS_RESOURCE
 * only then, so that capable() marks and audits only a use of it.
 *
 * Return: 0, -ENOSPC if creating the channel would pass max_channels,
 * max_total_channels or max_user_channels, or -ENOMEM if memory ran out.
 */
static int ms_channel_store(struct ms_slot *slot, u32 id, const u8 *msg, u8 len)
{
	struct ms_channel *fresh = NULL;
	struct ms_user *user = NULL;
	bool exempt = false, looked_again = false;
	int ret;

	for (;;) {
		/* A new channel is the caller's; a larger one, its creator's. */
		if (fresh)
			fresh->owner = __kuid_val(user->uid);
		rcu_read_lock();
		ret = ms_channel_commit(slot, id, msg, len, fresh, exempt);
		rcu_read_unlock();
		if (ret == -EDQUOT && !exempt && capable(CAP_SYS_RESOURCE)) {
			exempt = true;
			continue;
		}
		if (ret == -ENOENT) {
			ret = ms_channel_room(slot, &exempt);
			/*
			 * Full, but a racing writer may have created this very
			 * id since the lookup, and a limit refuses only new
			 * channels: look once more before refusing.
			 */
			if (ret && !looked_again) {
				looked_again = true;
				continue;
			}
			if (ret)
				break;
		} else if (ret != -EAGAIN && ret != -EBUSY) {
			break;
		}
		if (fresh) {
			/*
			 * Another writer got there first, or the table is busy
			 * (-EBUSY: the new table of a rehash in progress has too
			 * long a chain there, and the rehash worker that moves
			 * the rest into it makes room): yield, and look again.
			 */
			cond_resched();
			continue;
		}
		user = ms_user_get();
		if (!user)
			return -ENOMEM;
		fresh = ms_channel_alloc(id, msg, len);
		if (!fresh)
			return -ENOMEM;
	}

	if (ret == 1)
		return 0;
	if (fresh)
		ms_channel_free(fresh);
	if (ret == -EDQUOT)
		return -ENOSPC;
	if (ret == 0 || ret == -ENOSPC)
		return ret;
	return -ENOMEM;
}

/**
 * ms_channel_delete() - remove a channel and its message from its slot
 * @slot: the slot of the deleting file
 * @id: the file's channel
 *
 * Holds the slot's create_lock, so that the counts stay exact against
 * creators, and the channel's lock, so that no writer stores into it
 * once it is out of the table: writers and readers that find it dead
 * look again, and find no channel (a writer then creates it anew). A
 * channel a larger one replaced meanwhile is looked up again: the
 * replacement is in the table before the old one is marked dead. Readers
 * that copied the message before it left return it whole.
 *
 * The channel's creator is charged for it no longer.
 *
 * Return: 0, or -ENOENT if the channel has no message.
 */
static int ms_channel_delete(struct ms_slot *slot, u32 id)
{
	struct ms_channel *chan;
	struct ms_user *user;
	u8 len;

	rcu_read_lock();
	spin_lock(&slot->create_lock);
	for (;;) {
		chan = rhashtable_lookup(&slot->channels, &id, ms_channel_params);
		if (!chan)
			goto unlock;
		write_seqlock(&chan->lock);
		if (!chan->dead)
			break;
		write_sequnlock(&chan->lock);
	}
	/* Cannot fail: the channel is in the table while it is not dead. */
	rhashtable_remove_fast(&slot->channels, &chan->node, ms_channel_params);
	WRITE_ONCE(chan->dead, true);
	if ((s32)(chan->gen - slot->gen_floor) > 0)
		slot->gen_floor = chan->gen;
	len = chan->len;
	write_sequnlock(&chan->lock);

	WRITE_ONCE(slot->nchannels, slot->nchannels - 1);
	atomic_dec(&ms_total_channels);
	user = ms_owner(chan);
	atomic_dec(&user->channels);
	atomic_long_sub(len, &user->bytes);
	call_rcu(&chan->rcu, ms_channel_free_rcu);
unlock:
	spin_unlock(&slot->create_lock);
	rcu_read_unlock();
	return chan ? 0 : -ENOENT;
}

/**
 * ms_channel_load() - copy the last message of a channel
 * @slot: the slot of the reading file
 * @id: the file's channel, which may have no message yet
 * @msg: destination, MSG_SLOT_MAX_LEN bytes of kernel memory
 * @size: the most bytes the caller can take
 * @gen: set to the generation of the message copied
 *
 * The first copy takes no lock. If a writer changed the channel during
 * it, the second copy holds the channel's lock (as read_seqbegin_or_lock()
 * does), so that a continuous stream of writers cannot make the reader
 * retry forever. A channel that a larger one replaced meanwhile is looked
 * up again: the replacement is in the table before the old one is marked
 * dead, and a channel is replaced at most a few times as it grows. A
 * deleted channel is looked up again too, and is then absent (or created
 * anew by a later write): each pass follows another caller's completed
 * change.
 * Flattened, so that the lookup is inlined: see ms_read().
 *
 * Return: the message length, -EWOULDBLOCK if the channel has no message,
 * or -ENOSPC if the message is longer than @size.
 */
static __flatten int ms_channel_load(struct ms_slot *slot, u32 id, u8 *msg,
				     size_t size, u32 *gen)
{
	struct ms_channel *chan;
	unsigned int seq;
	bool dead;
	int len;

	rcu_read_lock();
lookup:
	chan = rhashtable_lookup(&slot->channels, &id, ms_channel_params);
	if (!chan) {
		rcu_read_unlock();
		return -EWOULDBLOCK;
	}
	seq = read_seqbegin(&chan->lock);
	dead = READ_ONCE(chan->dead);
	len = READ_ONCE(chan->len);
	*gen = READ_ONCE(chan->gen);
	if (!dead && len <= size)
		memcpy(msg, chan->data, len);
	if (read_seqretry(&chan->lock, seq)) {
		read_seqlock_excl(&chan->lock);
		dead = chan->dead;
		len = chan->len;
		*gen = chan->gen;
		if (!dead && len <= size)
			memcpy(msg, chan->data, len);
		read_sequnlock_excl(&chan->lock);
	}
	if (dead)
		goto lookup;
	rcu_read_unlock();

	return len <= size ? len : -ENOSPC;
}

/**
 * ms_channel_gen() - the generation of a channel's message
 * @slot: the slot of the polling file
 * @id: the file's channel, which may have no message yet
 *
 * Return: the generation, or 0 if the channel has no message.
 */
static u32 ms_channel_gen(struct ms_slot *slot, u32 id)
{
	struct ms_channel *chan;
	u32 gen = 0;

	rcu_read_lock();
	chan = rhashtable_lookup(&slot->channels, &id, ms_channel_params);
	if (chan)
		gen = READ_ONCE(chan->gen);
	rcu_read_unlock();
	return gen;
}

/**
 * ms_channel_notify() - wake the files waiting on a channel that was written
 * @slot: the slot the message was written to
 * @id: the channel it was written to: only its watch is woken
 *
 * Looks at the watch of this channel only: files waiting on other
 * channels cost nothing here. With no file waiting on the slot it costs a
 * memory barrier and a load.
 */
static void ms_channel_notify(struct ms_slot *slot, u32 id)
{
	struct ms_watch *watch;

	/*
	 * Pairs with smp_mb() in ms_poll(): either the poll sees the new
	 * generation, or this sees the watch and the entry on its queue.
	 */
	smp_mb();
	if (!atomic_read(&slot->nwatches))
		return;
	rcu_read_lock();
	watch = rhashtable_lookup(&slot->watches, &id, ms_watch_params);
	/* Ordered after the message's store by the smp_mb() above. */
	if (watch && waitqueue_active(&watch->wq))
		__wake_up(&watch->wq, TASK_NORMAL, 0, NULL);
	rcu_read_unlock();
	/* Files whose watch could not be made: they poll, and try again. */
	if (waitqueue_active(&slot->orphans))
		__wake_up(&slot->orphans, TASK_NORMAL, 0, NULL);
}

/**
 * ms_file_wake() - the wake function of a file's watcher entry
 * @wq_entry: ms_file.watcher, queued on the watch of the file's channel
 * @mode: unused: a watcher wakes its file's pollers itself
 * @sync: unused, as @mode
 * @key: unused: the queue belongs to one channel only
 *
 * The entry is on the queue of its file's channel only, so every call is
 * for a write to that channel; or, if its watch could not be made, on the
 * slot's orphans, woken by every write to the slot.
 *
 * Return: 0: never counts as an exclusive wake-up.
 */
static int ms_file_wake(struct wait_queue_entry *wq_entry, unsigned int mode,
			int sync, void *key)
{
	struct ms_file *mf = container_of(wq_entry, struct ms_file, watcher);

	if (wq_has_sleeper(&mf->pollers))
		wake_up_interruptible_poll(&mf->pollers, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/**
 * ms_watch_get() - find or create the watch of a channel, and use it
 * @slot: the slot whose table of watches holds it
 * @id: the channel a file is about to wait on, not 0
 * @spare: a watch the caller allocated without the lock, or NULL; set to
 *         NULL if it became the channel's watch
 *
 * Context: @slot->watch_lock is held.
 * Return: the watch, with one more user; ERR_PTR(-EAGAIN) if the channel
 * has none and @spare is NULL (allocate one without the lock and call
 * again), or another ERR_PTR() if the table could not take it.
 */
static struct ms_watch *ms_watch_get(struct ms_slot *slot, u32 id,
				     struct ms_watch **spare)
{
	struct ms_watch *watch;
	int err;

	watch = rhashtable_lookup_fast(&slot->watches, &id, ms_watch_params);
	if (watch) {
		watch->users++;
		return watch;
	}
	watch = *spare;
	if (!watch)
		return ERR_PTR(-EAGAIN);
	watch->id = id;
	watch->users = 1;
	init_waitqueue_head(&watch->wq);
	err = rhashtable_insert_fast(&slot->watches, &watch->node,
				     ms_watch_params);
	if (err)
		return ERR_PTR(err);
	*spare = NULL;
	atomic_inc(&slot->nwatches);
	return watch;
}

/**
 * ms_watch_put() - stop using a watch; the last user removes it
 * @slot: the slot whose table of watches holds @watch
 * @watch: a watch ms_watch_get() gave; not to be used after this
 *
 * Context: @slot->watch_lock is held.
 */
static void ms_watch_put(struct ms_slot *slot, struct ms_watch *watch)
{
	if (--watch->users)
		return;
	rhashtable_remove_fast(&slot->watches, &watch->node, ms_watch_params);
	atomic_dec(&slot->nwatches);
	/* A writer may still have found it: free it after a grace period. */
	kfree_rcu(watch, rcu);
}

/**
 * ms_file_move() - put a file's watcher on the watch of a channel
 * @mf: the file, whose watch_lock the caller holds
 * @id: the channel; 0 takes the watcher off any watch
 *
 * A new watch is allocated without the slot's watch_lock held: the
 * allocation is charged to the caller's memory cgroup and may wait for
 * reclaim, which must not hold up the other files of the slot.
 *
 * On failure the watcher is on the slot's orphans, never on another
 * channel's watch: every write to the slot wakes it, and the next poll
 * tries again.
 *
 * Context: @mf->watch_lock is held.
 * Return: 0, or -ENOMEM (or another negative errno from the table) if the
 * channel's watch could not be created.
 */
static int ms_file_move(struct ms_file *mf, u32 id)
{
	struct ms_slot *slot = mf->slot;
	struct ms_watch *watch = NULL, *spare = NULL;
	int err = 0;

	lockdep_assert_held(&mf->watch_lock);
	if (mf->watch ? mf->watch->id == id : !id && !mf->orphaned)
		return 0;
	for (;;) {
		mutex_lock(&slot->watch_lock);
		if (!id)
			break;
		watch = ms_watch_get(slot, id, &spare);
		if (watch != ERR_PTR(-EAGAIN) && watch != ERR_PTR(-EBUSY))
			break;
		mutex_unlock(&slot->watch_lock);
		/*
		 * -EAGAIN: allocate the watch; -EBUSY: the table is busy, as
		 * in ms_channel_store(): keep the spare, yield to the rehash
		 * worker, and look again.
		 */
		cond_resched();
		if (!spare)
			spare = kmalloc_obj(*spare, GFP_KERNEL_ACCOUNT);
		if (!spare) {
			mutex_lock(&slot->watch_lock);
			watch = ERR_PTR(-ENOMEM);
			break;
		}
	}
	if (IS_ERR(watch)) {
		err = PTR_ERR(watch);
		watch = NULL;
	}
	if (mf->watch) {
		remove_wait_queue(&mf->watch->wq, &mf->watcher);
		ms_watch_put(slot, mf->watch);
	} else if (mf->orphaned) {
		remove_wait_queue(&slot->orphans, &mf->watcher);
		atomic_dec(&slot->nwatches);
	}
	mf->watch = watch;
	mf->orphaned = err != 0;
	if (watch) {
		add_wait_queue(&watch->wq, &mf->watcher);
	} else if (err) {
		atomic_inc(&slot->nwatches);
		add_wait_queue(&slot->orphans, &mf->watcher);
	}
	mutex_unlock(&slot->watch_lock);
	kfree(spare);
	return err;
}

/**
 * ms_file_watch() - make a polled file's watcher follow its channel
 * @mf: a file being polled
 * @id: set to the file's channel, 0 if none is selected
 *
 * Return: 0, or a negative errno if the watcher could not be put on the
 * channel's watch.
 */
static int ms_file_watch(struct ms_file *mf, u32 *id)
{
	int err;

	mutex_lock(&mf->watch_lock);
	mf->polled = true;
	*id = mf->channel;
	err = ms_file_move(mf, *id);
	mutex_unlock(&mf->watch_lock);
	return err;
}

/**
 * ms_file_select() - make a channel the file's channel
 * @mf: the file ioctl() was called on
 * @id: the channel, not 0
 *
 * Starts a new selection, in which nothing has been read yet, and moves a
 * polled file's watcher to the channel. If the watch cannot be created,
 * the watcher is on the slot's orphans; the wake-up below makes the
 * pollers poll again, and ms_poll() tries again or reports the error.
 */
static void ms_file_select(struct ms_file *mf, u32 id)
{
	u32 epoch;

	mutex_lock(&mf->watch_lock);
	WRITE_ONCE(mf->channel, id);
	epoch = MS_MARK_EPOCH(atomic64_read(&mf->mark));
	/* Pairs with the acquire in ms_file_begin_read(). */
	atomic64_set_release(&mf->mark, MS_MARK(epoch + 1, 0));
	if (mf->polled)
		ms_file_move(mf, id);
	mutex_unlock(&mf->watch_lock);

	/*
	 * epoll polls again only when woken: let it see the new channel.
	 * The key names every event a selection can change (EPOLLERR to
	 * EPOLLOUT, and EPOLLIN), as epoll drops a wake-up whose key meets
	 * none of a registration's events: an EPOLLOUT-only one included.
	 */
	if (wq_has_sleeper(&mf->pollers))
		wake_up_interruptible_poll(&mf->pollers, EPOLLIN | EPOLLRDNORM |
					   EPOLLOUT | EPOLLWRNORM);
}

/**
 * ms_file_begin_read() - the channel a read is for, and its selection
 * @mf: the file read() was called on
 * @mark: set to the file's mark, to give to ms_file_mark_read()
 *
 * Return: the file's channel, 0 if none is selected.
 */
static u32 ms_file_begin_read(struct ms_file *mf, s64 *mark)
{
	/* Pairs with the release in ms_file_select(). */
	*mark = atomic64_read_acquire(&mf->mark);
	return READ_ONCE(mf->channel);
}

/**
 * ms_file_mark_read() - remember the generation a read returned
 * @mf: the file the read was on
 * @mark: what ms_file_begin_read() gave when the read began
 * @gen: the generation of the message the read returned
 *
 * Records @gen only if no channel was selected since the read began: a
 * read that returns after an ioctl() must not mark the new selection read.
 * The mark only moves forward: a read that copied generation g and ends
 * after another read of the same file marked g + 1 leaves g + 1 (the
 * generations of one channel only grow, also across a delete; compared
 * as distances, so that they may wrap).
 * The compare-and-exchange makes the check and the store one step against
 * ms_file_select(), which changes the selection count. If the read saw the
 * old count with the new channel, the selection's store comes later and
 * clears what this one stored.
 */
static void ms_file_mark_read(struct ms_file *mf, s64 mark, u32 gen)
{
	u32 epoch = MS_MARK_EPOCH(mark);
	s64 old = mark;

	do {
		if (MS_MARK_EPOCH(old) != epoch || MS_MARK_GEN(old) == gen)
			return;
		if (MS_MARK_GEN(old) && (s32)(gen - MS_MARK_GEN(old)) < 0)
			return;
	} while (!atomic64_try_cmpxchg(&mf->mark, &old, MS_MARK(epoch, gen)));
}

/**
 * ms_slot_get() - find the slot of a minor number, creating it if needed
 * @minor: the minor number of the node being opened
 *
 * Processes racing on the first open of a minor create one slot: the
 * first to store its slot wins, the others free theirs and use it.
 *
 * Return: the slot, or an ERR_PTR() if memory ran out.
 */
static struct ms_slot *ms_slot_get(unsigned int minor)
{
	struct ms_slot *slot, *old;
	int err;

	slot = xa_load(&ms_slots, minor);
	if (slot)
		return slot;

	slot = kzalloc_obj(*slot, GFP_KERNEL_ACCOUNT);
	if (!slot)
		return ERR_PTR(-ENOMEM);
	mutex_init(&slot->watch_lock);
	init_waitqueue_head(&slot->orphans);
	spin_lock_init(&slot->create_lock);
	/*
	 * rhashtable_init() fails only for parameters that lack a key or a
	 * compare function, which these constant ones have: a bucket array
	 * it cannot allocate is allocated again with __GFP_NOFAIL. Both
	 * tables are made, and one warning would tell of either failing.
	 */
	WARN_ON(rhashtable_init(&slot->channels, &ms_channel_params) |
		rhashtable_init(&slot->watches, &ms_watch_params));

	old = xa_cmpxchg(&ms_slots, minor, NULL, slot, GFP_KERNEL_ACCOUNT);
	if (!old)
		return slot;
	err = xa_err(old);
	rhashtable_destroy(&slot->watches);
	rhashtable_destroy(&slot->channels);
	kfree(slot);
	return err ? ERR_PTR(err) : old;
}

/**
 * ms_slots_destroy() - free every slot, channel and message
 *
 * Context: module unload; no file is open.
 */
static void ms_slots_destroy(void)
{
	struct ms_slot *slot;
	unsigned long minor;

	xa_for_each(&ms_slots, minor, slot) {
		rhashtable_free_and_destroy(&slot->channels, ms_channel_free_fn,
					    NULL);
		/* Empty: every file, and so every watch, is gone. */
		rhashtable_destroy(&slot->watches);
		kfree(slot);
		cond_resched();
	}
	xa_destroy(&ms_slots);
}

/* Free every user; after ms_slots_destroy(), with no channel left. */
static void ms_users_destroy(void)
{
	struct ms_user *user;
	unsigned long uid;

	xa_for_each(&ms_users, uid, user)
		kfree(user);
	xa_destroy(&ms_users);
}

/**
 * ms_open() - open a slot, creating it on the first open of its minor
 * @inode: the node's inode, which gives the minor number
 * @file: the new file, which gets its state in private_data
 *
 * Return: 0, or -ENOMEM.
 */
static int ms_open(struct inode *inode, struct file *file)
{
	struct ms_slot *slot;
	struct ms_file *mf;

	slot = ms_slot_get(iminor(inode));
	if (IS_ERR(slot))
		return PTR_ERR(slot);

	mf = kzalloc_obj(*mf, GFP_KERNEL_ACCOUNT);
	if (!mf)
		return -ENOMEM;
	mf->slot = slot;
	mutex_init(&mf->watch_lock);
	init_waitqueue_func_entry(&mf->watcher, ms_file_wake);
	init_waitqueue_head(&mf->pollers);
	file->private_data = mf;
	stream_open(inode, file);
	/*
	 * Reads and writes never wait for another process, so io_uring may
	 * run them in the submitter's context rather than in a worker. It
	 * then waits with ms_poll() only for a read of a channel that has
	 * no message yet, as for an empty pipe.
	 */
	file->f_mode |= FMODE_NOWAIT;
	return 0;
}

static int ms_release(struct inode *inode, struct file *file)
{
	struct ms_file *mf = file->private_data;

	mutex_lock(&mf->watch_lock);
	ms_file_move(mf, 0);
	mutex_unlock(&mf->watch_lock);
	kfree(mf);
	return 0;
}

/**
 * ms_delete() - MSG_SLOT_DELETE: delete the file's channel and its message
 * @file: the file whose selected channel is deleted
 *
 * Deleting needs the power to overwrite, so the file must be open for
 * writing, as write() requires. The file keeps its channel selected: a
 * later write creates it again.
 *
 * Return: 0, -EBADF (the file is not open for writing), -EINVAL (no
 * channel selected) or -ENOENT (the channel has no message).
 */
static long ms_delete(struct file *file)
{
	struct ms_file *mf = file->private_data;
	u32 id = READ_ONCE(mf->channel);

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!id)
		return -EINVAL;
	return ms_channel_delete(mf->slot, id);
}

/**
 * ms_ioctl() - select the channel of an open file, or delete it
 * @file: the file whose channel changes
 * @cmd: MSG_SLOT_CHANNEL, MSG_SLOT_CHANNEL_LONG with the same meaning, or
 *       MSG_SLOT_DELETE
 * @arg: the channel id, 1 to 4294967295; not used by MSG_SLOT_DELETE
 *
 * The channel belongs to this open file only: not to its slot, not to
 * other files of the slot. Selecting a channel, even the same one again,
 * makes its message unread for poll, and moves a watching file's entry
 * to the new channel's queue.
 *
 * Return: 0, or -EINVAL for another command or an id out of range (the
 * file's channel is then unchanged); MSG_SLOT_DELETE as ms_delete().
 */
static long ms_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ms_file *mf = file->private_data;

	if (cmd == MSG_SLOT_DELETE)
		return ms_delete(file);
	if ((cmd != MSG_SLOT_CHANNEL && cmd != MSG_SLOT_CHANNEL_LONG) ||
	    arg == 0 || arg > U32_MAX)
		return -EINVAL;
	ms_file_select(mf, arg);
	return 0;
}

/**
 * ms_iter_has_null() - does the buffer of a read or write hold NULL?
 * @iter: the buffer: one range (read, write) or a vector (readv, writev,
 *        io_uring)
 *
 * A segment starting at NULL is refused whatever its length, as read()
 * and write() refuse a NULL buffer whatever their count: the rule is the
 * same for one buffer and for each buffer of a vector, and so on every
 * kernel whichever kind of iterator it builds for them. Kernel memory
 * (io_uring's registered buffers) has no NULL segment.
 *
 * Return: true if some segment starts at NULL.
 */
static bool ms_iter_has_null(const struct iov_iter *iter)
{
	unsigned long i;

	if (!ms_user_backed_iter(iter))
		return false;
	for (i = 0; i < ms_iter_nr_segs(iter); i++) {
		if (!ms_iter_seg(iter, i))
			return true;
	}
	return false;
}

/**
 * ms_write_msg() - store a message as the last message of the file's channel
 * @mf: the file written to
 * @buf: the message in one user buffer (write()), or NULL if @from has it
 * @from: the message as an iterator (the other writes), or NULL
 * @count: the message length: @buf's count or what @from holds
 *
 * Every write comes here, through ms_write() or ms_write_iter(), and the
 * checks run in this order; a failed write stores nothing. ms_write()
 * inlines it with @from a constant NULL, so that write() pays nothing for
 * iterators.
 *
 * Return: the message length, or -EINVAL (no channel selected), -EMSGSIZE
 * (the length is 0 or over MSG_SLOT_MAX_LEN), -EINVAL (a NULL buffer or
 * segment), -EFAULT (not readable in full), -ENOSPC (a new channel would
 * pass a limit) or -ENOMEM.
 */
static ssize_t ms_write_msg(struct ms_file *mf, const char __user *buf,
			    struct iov_iter *from, size_t count)
{
	u32 id = READ_ONCE(mf->channel);
	/* Only the @count bytes copied in are used: no need to zero it. */
	u8 msg[MSG_SLOT_MAX_LEN] __uninitialized;
	int ret;

	if (!id)
		return -EINVAL;
	if (count == 0 || count > MSG_SLOT_MAX_LEN)
		return -EMSGSIZE;
	if (from ? ms_iter_has_null(from) : !buf)
		return -EINVAL;
	if (from ? !copy_from_iter_full(msg, count, from) :
		   copy_from_user(msg, buf, count))
		return -EFAULT;

	ret = ms_channel_store(mf->slot, id, msg, count);
	if (ret)
		return ret;
	ms_channel_notify(mf->slot, id);
	return count;
}

/**
 * ms_read_msg() - copy the last message of the file's channel
 * @mf: the file read from
 * @buf: the destination, one user buffer (read()), or NULL if @to is it
 * @to: the destination as an iterator (the other reads), or NULL
 * @size: the most bytes the destination takes
 *
 * Every read comes here, through ms_read() or ms_read_iter(); ms_read()
 * inlines it as ms_write() does ms_write_msg(). The message stays in the
 * channel. The checks run in this order.
 *
 * Return: the message length, or -EINVAL (no channel selected), -EINVAL
 * (a NULL buffer or segment), -EWOULDBLOCK (the channel has no message),
 * -ENOSPC (the destination holds less than the message) or -EFAULT (not
 * writable for the whole message).
 */
static ssize_t ms_read_msg(struct ms_file *mf, char __user *buf,
			   struct iov_iter *to, size_t size)
{
	s64 mark;
	u32 id = ms_file_begin_read(mf, &mark);
	/* Only the bytes of the message copied in are used: no need to zero it. */
	u8 msg[MSG_SLOT_MAX_LEN] __uninitialized;
	u32 gen;
	int len;

	if (!id)
		return -EINVAL;
	if (to ? ms_iter_has_null(to) : !buf)
		return -EINVAL;

	len = ms_channel_load(mf->slot, id, msg, size, &gen);
	if (len < 0)
		return len;
	if (to ? copy_to_iter(msg, len, to) != len :
		 copy_to_user(buf, msg, len))
		return -EFAULT;
	ms_file_mark_read(mf, mark, gen);
	return len;
}

/*
 * The ways in. read() and write() have entry points of their own, as
 * /dev/zero has (drivers/char/mem.c): the VFS calls .read and .write
 * directly, while its iterator path (new_sync_read(), copy_to_iter())
 * costs a write and read of 64 bytes about 230 instructions, 14% (see
 * docs/performance.md). Vectored calls and io_uring use .read_iter and
 * .write_iter when a driver has them, so a vector is still one message.
 * __flatten here and on ms_channel_commit() and ms_channel_load() makes
 * each of read() and write() one function, the table lookup and its
 * compare included, which the compiler otherwise calls out of line.
 */

/**
 * ms_write() - write(): the message in one buffer
 * @file: the slot file
 * @buf: the message, in user memory
 * @count: its length
 * @ppos: unused: a slot is a stream
 *
 * Return: as ms_write_msg().
 */
static ssize_t __flatten ms_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	return ms_write_msg(file->private_data, buf, NULL, count);
}

/**
 * ms_write_iter() - writev(), pwritev2() with offset -1, io_uring's writes
 * @iocb: the file and the position (0: a slot is a stream)
 * @from: the message: a vector whose segments, concatenated, are the
 *        message, or io_uring's buffer
 *
 * Return: -ESPIPE for an explicit non-zero offset (io_uring's: the VFS
 * answers pwrite() and pwritev() itself), else as ms_write_msg().
 */
static ssize_t ms_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	if (iocb->ki_pos)
		return -ESPIPE;
	return ms_write_msg(iocb->ki_filp->private_data, NULL, from,
			    iov_iter_count(from));
}

/**
 * ms_read() - read(): the message into one buffer
 * @file: the slot file
 * @buf: the destination, in user memory
 * @count: its size
 * @ppos: unused: a slot is a stream
 *
 * Return: as ms_read_msg().
 */
static ssize_t __flatten ms_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	return ms_read_msg(file->private_data, buf, NULL, count);
}

/**
 * ms_read_iter() - readv(), preadv2() with offset -1, io_uring's reads
 * @iocb: the file and the position (0: a slot is a stream)
 * @to: the destination: a vector whose segments are filled in order, or
 *      io_uring's buffer
 *
 * Return: -ESPIPE for an explicit non-zero offset, else as ms_read_msg().
 */
static ssize_t ms_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	if (iocb->ki_pos)
		return -ESPIPE;
	return ms_read_msg(iocb->ki_filp->private_data, NULL, to,
			   iov_iter_count(to));
}

/**
 * ms_poll() - is there a message this file has not read?
 * @file: the file being polled, with or without a channel
 * @wait: poll's or epoll's table: where the file's pollers queue
 *
 * Why every registration gets exactly the wake-ups of the file's current
 * channel, whenever it was made and whatever runs at the same time:
 *
 *  - The poller joins @mf->pollers first, even with no channel selected,
 *    so that an ioctl() can always reach it. From the first poll on, the
 *    file is "polled", and its watcher entry sits on the watch of its
 *    channel: ms_file_select() moves it whenever it selects a channel.
 *  - Channel selection and the moves of the watcher happen under
 *    @mf->watch_lock, and ms_file_watch() reads the channel under it, so
 *    the watcher always ends on the channel selected last: a poll that
 *    read the old channel cannot move the watcher back after an ioctl()
 *    moved it, because it reads the channel and moves in one step.
 *  - After its step a poll can still compute its answer for a channel an
 *    ioctl() replaces at once; the ioctl() wakes the pollers after its
 *    step, and epoll, select and poll then poll again.
 *  - A write stores the message, then (full barrier) looks for the
 *    watch; the poll puts its entry on the watch, then (full barrier)
 *    reads the generation. One of the two sees the other, so either the
 *    poll reports the message or the write wakes it.
 *  - A read marks its message read only if no ioctl() came between its
 *    start and its end (ms_file_mark_read()), so a read of the old channel
 *    finishing late cannot hide the new channel's message.
 *  - If the watch cannot be made (out of memory), the entry goes on the
 *    slot's orphans, which every write to the slot wakes, and the poll
 *    reports EPOLLERR beside its usual answer: the same barrier pairing
 *    holds, and the next poll, which a write to the slot brings about,
 *    tries again. Edge-triggered epoll, which polls only when woken, is
 *    not left without wake-ups.
 *
 * Return: EPOLLERR if no channel is selected; else EPOLLOUT | EPOLLWRNORM,
 * plus EPOLLIN | EPOLLRDNORM if the channel holds a message written after
 * this file's last successful read of it (any message, if the file has not
 * read it since selecting the channel), plus EPOLLERR if the channel's
 * watch could not be created (out of memory).
 */
static __poll_t ms_poll(struct file *file, poll_table *wait)
{
	struct ms_file *mf = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;
	u32 id, gen;
	int err;

	poll_wait(file, &mf->pollers, wait);
	err = ms_file_watch(mf, &id);
	if (!id)
		return EPOLLERR;
	if (err)
		mask |= EPOLLERR;
	/* Pairs with smp_mb() in ms_channel_notify(). */
	smp_mb();
	gen = ms_channel_gen(mf->slot, id);
	if (gen && gen != MS_MARK_GEN(atomic64_read(&mf->mark)))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct file_operations ms_fops = {
	.owner = THIS_MODULE,
	.open = ms_open,
	.release = ms_release,
	.read = ms_read,
	.write = ms_write,
	.read_iter = ms_read_iter,
	.write_iter = ms_write_iter,
	.poll = ms_poll,
	.unlocked_ioctl = ms_ioctl,
	/* The id is a value, not a pointer: 32-bit callers need no conversion. */
	.compat_ioctl = ms_ioctl,
};

/**
 * ms_devnode() - the mode of the nodes the module makes
 * @dev: a node made by nodes=; all get the same mode
 * @m: set to the mode= parameter, if not NULL
 *
 * Return: NULL: the node's name is the device's.
 */
static char *ms_devnode(MS_DEVNODE_CONST struct device *dev, umode_t *m)
{
	if (m)
		*m = mode;
	return NULL;
}

static struct class *ms_class;

/* The slots' character device: live from cdev_add(), the last step of init. */
static struct cdev ms_cdev;

/* Remove the first @count nodes ms_nodes_create() made, and the class. */
static void ms_nodes_remove(unsigned int count)
{
	while (count--)
		device_destroy(ms_class, MKDEV(major, count));
	class_destroy(ms_class);
}

/**
 * ms_nodes_create() - make /dev/message_slot0 .. nodes-1 through a class
 *
 * Return: 0, or a negative errno with nothing left behind.
 */
static int ms_nodes_create(void)
{
	struct device *dev;
	unsigned int i;

	if (!nodes)
		return 0;
	ms_class = ms_class_create(MSG_SLOT_DEVICE_NAME);
	if (IS_ERR(ms_class))
		return PTR_ERR(ms_class);
	ms_class->devnode = ms_devnode;

	for (i = 0; i < nodes; i++) {
		dev = device_create(ms_class, NULL, MKDEV(major, i), NULL,
				    MSG_SLOT_DEVICE_NAME "%u", i);
		if (IS_ERR(dev)) {
			ms_nodes_remove(i);
			return PTR_ERR(dev);
		}
	}
	return 0;
}

static void ms_nodes_destroy(void)
{
	if (nodes)
		ms_nodes_remove(nodes);
}

/*
 * debugfs slots, channels and bytes: the slots made, the channels of all
 * slots (each holds a message), and their messages' bytes, summed when
 * read. @data is the map or counter a file shows.
 */
static int ms_counter_get(void *data, u64 *val)
{
	struct ms_user *user;
	unsigned long i;
	void *slot;
	u64 sum = 0;

	if (data == &ms_slots) {
		xa_for_each(&ms_slots, i, slot)
			sum++;
	} else if (data == &ms_users) {
		xa_for_each(&ms_users, i, user)
			sum += atomic_long_read(&user->bytes);
	} else {
		sum = atomic_read(&ms_total_channels);
	}
	*val = sum;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(ms_counter_fops, ms_counter_get, NULL, "%llu\n");

/* debugfs users: a line per user, "UID CHANNELS BYTES", in uid order. */
static int ms_users_show(struct seq_file *m, void *unused)
{
	struct ms_user *user;
	unsigned long uid;

	xa_for_each(&ms_users, uid, user)
		seq_printf(m, "%u %d %ld\n",
			   from_kuid_munged(seq_user_ns(m), user->uid),
			   atomic_read(&user->channels),
			   atomic_long_read(&user->bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ms_users);

static struct dentry *ms_debugfs;

/*
 * Read-only counters in /sys/kernel/debug/message_slot/. As everywhere in
 * debugfs, failing to make them is not an error.
 */
static void ms_debugfs_create(void)
{
	ms_debugfs = debugfs_create_dir(MSG_SLOT_DEVICE_NAME, NULL);
	debugfs_create_file_unsafe("slots", 0444, ms_debugfs, &ms_slots,
				   &ms_counter_fops);
	debugfs_create_file_unsafe("channels", 0444, ms_debugfs,
				   &ms_total_channels, &ms_counter_fops);
	debugfs_create_file_unsafe("bytes", 0444, ms_debugfs, &ms_users,
				   &ms_counter_fops);
	debugfs_create_file("users", 0444, ms_debugfs, NULL, &ms_users_fops);
}

/**
 * ms_init() - load the module: cache, major, nodes, device, debugfs
 *
 * Return: 0, or a negative errno, logged, with everything undone.
 */
static int __init ms_init(void)
{
	dev_t dev;
	int ret;

	if (nodes > MS_MAX_NODES || mode > 0777) {
		pr_err("nodes must be at most %d and mode at most 0777\n",
		       MS_MAX_NODES);
		return -EINVAL;
	}
	ms_channel_cache = kmem_cache_create("message_slot_channel",
					     MS_CHANNEL_SIZE(MSG_SLOT_MAX_LEN),
					     __alignof__(struct ms_channel), 0, NULL);
	if (!ms_channel_cache) {
		pr_err("cannot create the channel cache\n");
		return -ENOMEM;
	}

	if (major) {
		dev = MKDEV(major, 0);
		ret = register_chrdev_region(dev, MS_MINORS, MSG_SLOT_DEVICE_NAME);
	} else {
		ret = alloc_chrdev_region(&dev, 0, MS_MINORS, MSG_SLOT_DEVICE_NAME);
	}
	if (ret) {
		pr_err("cannot register major %u: error %d\n", major, ret);
		goto destroy_cache;
	}
	if (!major) {
		major = MAJOR(dev);
		pr_info("registered with major %u\n", major);
	}

	ret = ms_nodes_create();
	if (ret) {
		pr_err("cannot create the device nodes: error %d\n", ret);
		goto unregister_region;
	}

	/*
	 * The device goes live last: until cdev_add() the major's numbers
	 * are only reserved and every node, made by nodes= or earlier by
	 * hand, answers ENXIO, so no file can be opened on a module whose
	 * init may still fail, and a failure leaves nothing behind.
	 */
	cdev_init(&ms_cdev, &ms_fops);
	ms_cdev.owner = THIS_MODULE;
	ret = cdev_add(&ms_cdev, dev, MS_MINORS);
	if (ret) {
		pr_err("cannot add the device: error %d\n", ret);
		goto destroy_nodes;
	}
	/* Cannot fail: debugfs is optional. */
	ms_debugfs_create();
	return 0;

destroy_nodes:
	ms_nodes_destroy();
unregister_region:
	unregister_chrdev_region(dev, MS_MINORS);
destroy_cache:
	kmem_cache_destroy(ms_channel_cache);
	return ret;
}

/**
 * ms_exit() - unload the module and free every slot, channel and message
 *
 * Context: no file is open: the module's reference count is zero.
 */
static void __exit ms_exit(void)
{
	cdev_del(&ms_cdev);
	debugfs_remove_recursive(ms_debugfs);
	ms_nodes_destroy();
	unregister_chrdev_region(MKDEV(major, 0), MS_MINORS);
	ms_slots_destroy();
	ms_users_destroy();
	/* Wait for the channels replaced by larger ones to be freed. */
	rcu_barrier();
	kmem_cache_destroy(ms_channel_cache);
}

module_init(ms_init);
module_exit(ms_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The message_slot developers");
MODULE_DESCRIPTION("Message slots: per-channel last-message IPC through a character device");
MODULE_VERSION(MS_VERSION);
