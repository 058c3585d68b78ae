/* intent.c: what the program said about inheritance.
 *
 * The kernel's close-on-exec bit is the record of intent.  Two things are
 * kept beside it, both in fixed tables (nothing here grows with
 * RLIMIT_NOFILE, nothing allocates):
 *
 *  - the intent table: descriptors the program made inheritable on purpose
 *    (F_SETFD without FD_CLOEXEC, FIONCLEX, dup2/dup3 onto them) or that were
 *    inheritable when the process started.  The sweep leaves these alone.
 *    Each entry holds the file's identity (st_dev, st_ino), because closes
 *    the shim cannot see (fclose, closedir, glibc internals) can free a
 *    number and something unrelated can take it.
 *  - the "added" bitmap: descriptors on which the shim, not the program,
 *    put close-on-exec.  Only those may ever have it taken off again.
 *
 * Writers are ordinary threads, and sometimes a vfork child: CPython's child
 * calls ioctl(FIONCLEX) and dup2 on the descriptors it passes, and its
 * execve must then keep them.  Such a write lands in the parent's table with
 * the child's file identity, which the parent sees as stale and reuses.  So
 * slots are claimed and published with atomics, and the reader (the sweep)
 * only loads. */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

enum { SLOT_FREE = 0, SLOT_BUSY = -1 };	/* otherwise fd + 1 */

struct intent {
	int key;
	dev_t dev;
	ino_t ino;
};

static struct intent table[NOLEAK_INTENT_MAX];
static int table_used;		/* slots at or above this were never used */
static int table_overflow;
static unsigned long added[NOLEAK_ADDED_MAX / (8 * sizeof(unsigned long))];

#define WORD_BITS (8 * sizeof(unsigned long))

/* fstat without libc (the caller may be in the async-signal-safe zone). */
static int identify(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (noleak_raw(SYS_fstat, fd, (long)&st, 0, 0, 0) < 0)
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* Whether slot i still describes the file open at its number. */
static int slot_live(size_t i, int key)
{
	dev_t dev;
	ino_t ino;

	return identify(key - 1, &dev, &ino) == 0 && dev == table[i].dev &&
	       ino == table[i].ino;
}

/* Claim a slot for a new entry: a free one, or one whose file is gone. */
static struct intent *claim(void)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < NOLEAK_INTENT_MAX; i++) {
			int key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);

			if (key == SLOT_BUSY || (key != SLOT_FREE &&
						 (pass == 0 || slot_live(i, key))))
				continue;
			if (__atomic_compare_exchange_n(&table[i].key, &key,
							SLOT_BUSY, 0,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				int used = __atomic_load_n(&table_used, __ATOMIC_RELAXED);

				while ((int)i >= used &&
				       !__atomic_compare_exchange_n(&table_used, &used,
								    (int)i + 1, 0,
								    __ATOMIC_ACQ_REL,
								    __ATOMIC_RELAXED))
					;
				return &table[i];
			}
		}
	}
	return NULL;
}

void noleak_intent_keep(int fd)
{
	int saved = errno;
	struct intent *slot = NULL;
	dev_t dev;
	ino_t ino;

	size_t used = (size_t)__atomic_load_n(&table_used, __ATOMIC_ACQUIRE);

	if (fd < 3 || identify(fd, &dev, &ino) < 0)
		goto out;
	for (size_t i = 0; i < used && !slot; i++) {
		int key = fd + 1;

		if (__atomic_load_n(&table[i].key, __ATOMIC_RELAXED) == key &&
		    __atomic_compare_exchange_n(&table[i].key, &key, SLOT_BUSY,
						0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			slot = &table[i];
	}
	if (!slot)
		slot = claim();
	if (!slot) {
		if (!__atomic_exchange_n(&table_overflow, 1, __ATOMIC_ACQ_REL)) {
			struct noleak_line l;

			noleak_line_begin(&l);
			noleak_line_str(&l, "more than ");
			noleak_line_int(&l, NOLEAK_INTENT_MAX);
			noleak_line_str(&l, " descriptors were made inheritable; "
					"from now on the exec sweep leaves "
					"inheritable descriptors alone");
			noleak_line_emit(&l);
		}
		goto out;
	}
	slot->dev = dev;
	slot->ino = ino;
	__atomic_store_n(&slot->key, fd + 1, __ATOMIC_RELEASE);
out:
	errno = saved;
}

void noleak_intent_drop(int fd)
{
	size_t used = (size_t)__atomic_load_n(&table_used, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < used; i++) {
		int key = fd + 1;

		if (__atomic_load_n(&table[i].key, __ATOMIC_RELAXED) == key)
			__atomic_compare_exchange_n(&table[i].key, &key,
						    SLOT_FREE, 0,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
	}
}

void noleak_intent_said(int fd, int inherit)
{
	noleak_added_set(fd, 0);
	if (inherit)
		noleak_intent_keep(fd);
	else
		noleak_intent_drop(fd);
}

void noleak_intent_drop_range(unsigned int lo, unsigned int hi)
{
	size_t used = (size_t)__atomic_load_n(&table_used, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < used; i++) {
		int key = __atomic_load_n(&table[i].key, __ATOMIC_RELAXED);

		if (key > 0 && (unsigned int)(key - 1) >= lo &&
		    (unsigned int)(key - 1) <= hi)
			__atomic_compare_exchange_n(&table[i].key, &key,
						    SLOT_FREE, 0,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
	}
	for (unsigned long fd = lo; fd <= hi && fd < NOLEAK_ADDED_MAX; fd++) {
		if (fd % WORD_BITS == 0 && fd + WORD_BITS - 1 <= hi &&
		    !__atomic_load_n(&added[fd / WORD_BITS], __ATOMIC_RELAXED)) {
			fd += WORD_BITS - 1;	/* a word with nothing to clear */
			continue;
		}
		noleak_added_set((int)fd, 0);
	}
}

size_t noleak_intent_collect(int *fds, size_t max, int *overflow)
{
	size_t n = 0, used = (size_t)__atomic_load_n(&table_used, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < used && n < max; i++) {
		int key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);

		if (key > 0 && slot_live(i, key))
			fds[n++] = key - 1;
	}
	*overflow = __atomic_load_n(&table_overflow, __ATOMIC_ACQUIRE);
	return n;
}

void noleak_added_set(int fd, int on)
{
	unsigned long bit, have;

	if (fd < 0 || fd >= NOLEAK_ADDED_MAX)
		return;
	bit = 1UL << (fd % WORD_BITS);
	/* A number is mostly reused for the same kind of descriptor: look
	 * before paying for a locked read-modify-write. */
	have = __atomic_load_n(&added[fd / WORD_BITS], __ATOMIC_RELAXED) & bit;
	if (on && !have)
		__atomic_fetch_or(&added[fd / WORD_BITS], bit, __ATOMIC_RELAXED);
	else if (!on && have)
		__atomic_fetch_and(&added[fd / WORD_BITS], ~bit, __ATOMIC_RELAXED);
}

int noleak_added_test(int fd)
{
	if (fd < 0 || fd >= NOLEAK_ADDED_MAX)
		return 0;
	return (__atomic_load_n(&added[fd / WORD_BITS], __ATOMIC_RELAXED) >>
		(fd % WORD_BITS)) & 1;
}

int noleak_reporting;
__thread struct noleak_site noleak_pending __attribute__((tls_model("initial-exec")));

/* Where each descriptor below NOLEAK_SITE_MAX was made; written only when
 * reports are on, so its pages stay untouched otherwise. */
static struct noleak_site sites[NOLEAK_SITE_MAX];

/* Take the pending site for fd. */
static void site_take(int fd)
{
	if (!noleak_reporting || !noleak_pending.call)
		return;
	if (fd >= 0 && fd < NOLEAK_SITE_MAX) {
		__atomic_store_n(&sites[fd].caller, noleak_pending.caller, __ATOMIC_RELAXED);
		__atomic_store_n(&sites[fd].call, noleak_pending.call, __ATOMIC_RELEASE);
	}
}

int noleak_site_get(int fd, struct noleak_site *site)
{
	if (fd < 0 || fd >= NOLEAK_SITE_MAX)
		return -1;
	site->call = __atomic_load_n(&sites[fd].call, __ATOMIC_ACQUIRE);
	site->caller = __atomic_load_n(&sites[fd].caller, __ATOMIC_RELAXED);
	return site->call ? 0 : -1;
}

int noleak_created(int fd, int shim_added)
{
	if (fd < 0)
		return fd;
	site_take(fd);
	if (fd <= 2) {
		if (shim_added)
			noleak_raw_setfd(fd, 0);
		return fd;
	}
	noleak_added_set(fd, shim_added);
	return fd;
}

void noleak_mark_created(int fd)
{
	int flags;

	if (fd < 3)
		return;
	site_take(fd);
	flags = noleak_raw_getfd(fd);
	if (flags >= 0 && !(flags & FD_CLOEXEC)) {
		noleak_raw_setfd(fd, flags | FD_CLOEXEC);
		noleak_added_set(fd, 1);
	}
}

void noleak_added_clear_all(unsigned long *undo)
{
	for (size_t w = 0; w < sizeof(added) / sizeof(added[0]); w++) {
		unsigned long bits = __atomic_load_n(&added[w], __ATOMIC_RELAXED);

		undo[w] = 0;
		for (size_t b = 0; bits && b < WORD_BITS; b++) {
			int fd = (int)(w * WORD_BITS + b), flags;

			if (!((bits >> b) & 1))
				continue;
			flags = noleak_raw_getfd(fd);
			if (flags >= 0 && (flags & FD_CLOEXEC) &&
			    noleak_raw_setfd(fd, flags & ~FD_CLOEXEC) == 0)
				undo[w] |= 1UL << b;
		}
	}
}

void noleak_added_restore(const unsigned long *undo)
{
	for (size_t w = 0; w < sizeof(added) / sizeof(added[0]); w++)
		for (size_t b = 0; undo[w] && b < WORD_BITS; b++)
			if ((undo[w] >> b) & 1) {
				int fd = (int)(w * WORD_BITS + b);
				int flags = noleak_raw_getfd(fd);

				if (flags >= 0)
					noleak_raw_setfd(fd, flags | FD_CLOEXEC);
			}
}
