/* SPDX-License-Identifier: MIT */
/* intent.c: what the program said about inheritance.
 *
 * The kernel's close-on-exec bit is the record of intent.  Four things are
 * kept beside it; nothing here allocates after start-up, and nothing the
 * shim writes grows with RLIMIT_NOFILE beyond the fixed bounds below:
 *
 *  - the inherited list: descriptors open and inheritable when the process
 *    started, each with its file's identity (st_dev, st_ino).  Made once,
 *    at start-up, in memory mapped for exactly that many (24 bytes each),
 *    sorted by number, and only read afterwards.  Any number of them.
 *  - the intent table: descriptors the program made inheritable on purpose
 *    later (F_SETFD without FD_CLOEXEC, FIONCLEX, dup2/dup3 onto them),
 *    NOLEAK_INTENT_MAX of them, each with its file's identity, because
 *    closes the shim cannot see (fclose, closedir, glibc internals) can free
 *    a number and something unrelated can take it.
 *  - when that table is full, the overflow map: one bit per number below
 *    NOLEAK_ADDED_MAX, intent kept by number only (no identity), so that
 *    the sweep goes on marking everything else.  Intent on a number above
 *    that is lost: the sweep then leaves alone every number from the lowest
 *    such one up (and says so once).
 *  - the "added" table: for each number below NOLEAK_ADDED_MAX on which the
 *    shim, not the program, put close-on-exec, a 32-bit digest of the file's
 *    identity; 0 for none.  The shim may take its flag off only while the
 *    descriptor still holds that very file: a later opendir or a glibc NSS
 *    lookup that takes the number back with its own O_CLOEXEC does not
 *    match.  256 KiB of address space, zero until written, and written only
 *    for numbers a wrapper created (a page per 1024 numbers); one fstat per
 *    descriptor the shim marks.
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
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

enum { SLOT_FREE = 0, SLOT_BUSY = -1 };	/* otherwise fd + 1 */

struct intent {
	int key;
	dev_t dev;
	ino_t ino;
};

#define WORD_BITS (8 * sizeof(unsigned long))

static struct intent table[NOLEAK_INTENT_MAX];
static int table_used;		/* slots at or above this were never used */
static int table_overflow;	/* the table was full once */
static unsigned long overflow_map[NOLEAK_ADDED_MAX / WORD_BITS];
static int lost_from = INT_MAX;	/* intent lost at and above this number */

/* The inherited list: written once, before anything can read it. */
struct inherited {
	int fd;
	dev_t dev;
	ino_t ino;
};
static const struct inherited *inherited;
static size_t inherited_n;

static unsigned int added[NOLEAK_ADDED_MAX];
static int added_top;		/* numbers at or above this were never added */

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

/* A digest of the identity of the file open at fd, never 0; 0 when fd is
 * not open. */
static unsigned int digest(int fd)
{
	dev_t dev;
	ino_t ino;
	unsigned long long h;

	if (identify(fd, &dev, &ino) < 0)
		return 0;
	h = ((unsigned long long)dev * 0x9e3779b97f4a7c15ULL) ^ (unsigned long long)ino;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	h = (h ^ (h >> 32)) & 0xffffffffU;
	return h ? (unsigned int)h : 1;
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

/* The table is full: keep fd's intent by number in the overflow map, or,
 * above the map, give up on intent from fd up.  Says so once. */
static void overflow(int fd)
{
	struct noleak_line l;
	int lost;

	if (fd < NOLEAK_ADDED_MAX) {
		__atomic_fetch_or(&overflow_map[fd / WORD_BITS],
				  1UL << (fd % WORD_BITS), __ATOMIC_RELAXED);
	} else {
		lost = __atomic_load_n(&lost_from, __ATOMIC_RELAXED);
		while (fd < lost &&
		       !__atomic_compare_exchange_n(&lost_from, &lost, fd, 0,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_RELAXED))
			;
	}
	if (__atomic_exchange_n(&table_overflow, 1, __ATOMIC_ACQ_REL) &&
	    fd < NOLEAK_ADDED_MAX)
		return;
	noleak_line_begin(&l);
	if (fd < NOLEAK_ADDED_MAX) {
		noleak_line_str(&l, "more than ");
		noleak_line_int(&l, NOLEAK_INTENT_MAX);
		noleak_line_str(&l, " descriptors were made inheritable; "
				"further ones are kept by number only");
	} else {
		noleak_line_str(&l, "descriptor ");
		noleak_line_int(&l, fd);
		noleak_line_str(&l, " was made inheritable beyond what the "
				"shim can record; the exec sweep leaves "
				"descriptors from there up alone");
	}
	noleak_line_emit(&l);
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
		overflow(fd);
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
	if (fd >= 0 && fd < NOLEAK_ADDED_MAX &&
	    (__atomic_load_n(&overflow_map[fd / WORD_BITS], __ATOMIC_RELAXED) >>
	     (fd % WORD_BITS)) & 1)
		__atomic_fetch_and(&overflow_map[fd / WORD_BITS],
				   ~(1UL << (fd % WORD_BITS)), __ATOMIC_RELAXED);
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
	unsigned int top = (unsigned int)__atomic_load_n(&added_top, __ATOMIC_RELAXED);

	for (size_t i = 0; i < used; i++) {
		int key = __atomic_load_n(&table[i].key, __ATOMIC_RELAXED);

		if (key > 0 && (unsigned int)(key - 1) >= lo &&
		    (unsigned int)(key - 1) <= hi)
			__atomic_compare_exchange_n(&table[i].key, &key,
						    SLOT_FREE, 0,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
	}
	/* Only numbers ever recorded: the overflow map and the added
	 * digests stop at added_top or the map's end. */
	for (unsigned long fd = lo; fd <= hi && fd < NOLEAK_ADDED_MAX; fd++) {
		if ((__atomic_load_n(&overflow_map[fd / WORD_BITS], __ATOMIC_RELAXED) >>
		     (fd % WORD_BITS)) & 1)
			__atomic_fetch_and(&overflow_map[fd / WORD_BITS],
					   ~(1UL << (fd % WORD_BITS)), __ATOMIC_RELAXED);
		if (fd < top)
			noleak_added_set((int)fd, 0);
		else if (fd % WORD_BITS == 0 && !__atomic_load_n(
				 &overflow_map[fd / WORD_BITS], __ATOMIC_RELAXED))
			fd += WORD_BITS - 1;	/* nothing recorded in this word */
	}
}

size_t noleak_intent_collect(int *fds, size_t max, int *lost)
{
	size_t n = 0, used = (size_t)__atomic_load_n(&table_used, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < used && n < max; i++) {
		int key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);

		if (key > 0 && slot_live(i, key))
			fds[n++] = key - 1;
	}
	*lost = __atomic_load_n(&lost_from, __ATOMIC_ACQUIRE) != INT_MAX;
	return n;
}

/* ---- the inherited list ------------------------------------------------ */

struct census {
	struct inherited *list;
	size_t n, max;
};

static void count_inherited(int fd, void *ctx)
{
	struct census *c = ctx;
	int flags = fd >= 3 ? noleak_raw_getfd(fd) : -1;

	if (flags < 0 || (flags & FD_CLOEXEC))
		return;
	if (c->list) {
		if (c->n < c->max && identify(fd, &c->list[c->n].dev,
					      &c->list[c->n].ino) == 0)
			c->list[c->n++].fd = fd;
	} else {
		c->n++;
	}
}

void noleak_inherited_record(long cap)
{
	struct census c = { NULL, 0, 0 };
	void *map;

	if (__atomic_load_n(&inherited, __ATOMIC_ACQUIRE))
		return;
	noleak_fds_any_way(count_inherited, &c, cap);
	if (!c.n)
		return;
	map = mmap(NULL, c.n * sizeof(struct inherited), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		struct noleak_line l;

		noleak_line_begin(&l);
		noleak_line_str(&l, "no memory for the list of inherited "
				"descriptors; they are kept by the intent table");
		noleak_line_emit(&l);
		return;
	}
	c.list = map;
	c.max = c.n;
	c.n = 0;
	noleak_fds_any_way(count_inherited, &c, cap);
	/* /proc/self/fd lists in order already; insertion sort, in case. */
	for (size_t i = 1; i < c.n; i++) {
		struct inherited e = c.list[i];
		size_t j = i;

		for (; j > 0 && c.list[j - 1].fd > e.fd; j--)
			c.list[j] = c.list[j - 1];
		c.list[j] = e;
	}
	mprotect(map, c.max * sizeof(struct inherited), PROT_READ);
	__atomic_store_n(&inherited_n, c.n, __ATOMIC_RELAXED);
	__atomic_store_n(&inherited, c.list, __ATOMIC_RELEASE);
}

/* The index of the first inherited entry numbered fd or above. */
static size_t inherited_at(const struct inherited *list, size_t n, int fd)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (list[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int inherited_live(const struct inherited *e)
{
	dev_t dev;
	ino_t ino;

	return identify(e->fd, &dev, &ino) == 0 && dev == e->dev && ino == e->ino;
}

/* ---- what the sweep asks ------------------------------------------------ */

int noleak_intent_has(int fd)
{
	const struct inherited *list = __atomic_load_n(&inherited, __ATOMIC_ACQUIRE);
	size_t used = (size_t)__atomic_load_n(&table_used, __ATOMIC_ACQUIRE);

	if (fd < 3)
		return 0;
	if (fd >= __atomic_load_n(&lost_from, __ATOMIC_ACQUIRE))
		return 1;
	if (fd < NOLEAK_ADDED_MAX &&
	    (__atomic_load_n(&overflow_map[fd / WORD_BITS], __ATOMIC_RELAXED) >>
	     (fd % WORD_BITS)) & 1)
		return 1;
	for (size_t i = 0; i < used; i++)
		if (__atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE) == fd + 1 &&
		    slot_live(i, fd + 1))
			return 1;
	if (list) {
		size_t n = __atomic_load_n(&inherited_n, __ATOMIC_RELAXED);
		size_t i = inherited_at(list, n, fd);

		if (i < n && list[i].fd == fd && inherited_live(&list[i]))
			return 1;
	}
	return 0;
}

/* The first number at or above from with a live entry in the table. */
static int table_next(int from)
{
	size_t used = (size_t)__atomic_load_n(&table_used, __ATOMIC_ACQUIRE);

	for (;;) {
		int best = INT_MAX;

		for (size_t i = 0; i < used; i++) {
			int key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);

			if (key > 0 && key - 1 >= from && key - 1 < best)
				best = key - 1;
		}
		if (best == INT_MAX)
			return INT_MAX;
		for (size_t i = 0; i < used; i++)
			if (__atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE) == best + 1 &&
			    slot_live(i, best + 1))
				return best;
		from = best + 1;	/* stale: look further */
	}
}

/* The first number at or above from set in the overflow map. */
static int map_next(int from)
{
	if (!__atomic_load_n(&table_overflow, __ATOMIC_ACQUIRE))
		return INT_MAX;
	for (size_t w = (size_t)from / WORD_BITS;
	     from < NOLEAK_ADDED_MAX && w < NOLEAK_ADDED_MAX / WORD_BITS; w++) {
		unsigned long bits = __atomic_load_n(&overflow_map[w], __ATOMIC_RELAXED);

		if (w == (size_t)from / WORD_BITS)
			bits &= ~0UL << (from % WORD_BITS);
		if (bits)
			return (int)(w * WORD_BITS) + __builtin_ctzl(bits);
	}
	return INT_MAX;
}

int noleak_intent_next(int from, int *hi)
{
	const struct inherited *list = __atomic_load_n(&inherited, __ATOMIC_ACQUIRE);
	int lost = __atomic_load_n(&lost_from, __ATOMIC_ACQUIRE);
	int best = INT_MAX, next;

	if (from < 3)
		from = 3;
	if (list) {
		size_t n = __atomic_load_n(&inherited_n, __ATOMIC_RELAXED);

		for (size_t i = inherited_at(list, n, from); i < n; i++)
			if (inherited_live(&list[i])) {
				best = list[i].fd;
				break;
			}
	}
	next = table_next(from);
	if (next < best)
		best = next;
	next = map_next(from);
	if (next < best)
		best = next;
	if (lost != INT_MAX && lost <= best) {
		*hi = INT_MAX;
		return lost < from ? from : lost;
	}
	*hi = best;
	return best == INT_MAX ? -1 : best;
}

/* ---- what the shim added ---------------------------------------------- */

void noleak_added_set(int fd, int on)
{
	unsigned int id = 0;
	int top;

	if (fd < 0 || fd >= NOLEAK_ADDED_MAX)
		return;
	if (on)
		id = digest(fd);
	/* Most creations find the slot as they leave it: look before
	 * writing, so that pages of numbers never marked stay untouched. */
	if (__atomic_load_n(&added[fd], __ATOMIC_RELAXED) != id)
		__atomic_store_n(&added[fd], id, __ATOMIC_RELAXED);
	top = __atomic_load_n(&added_top, __ATOMIC_RELAXED);
	while (id && fd >= top &&
	       !__atomic_compare_exchange_n(&added_top, &top, fd + 1, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

int noleak_added_test(int fd)
{
	unsigned int id;

	if (fd < 0 || fd >= NOLEAK_ADDED_MAX)
		return 0;
	id = __atomic_load_n(&added[fd], __ATOMIC_RELAXED);
	return id && digest(fd) == id;
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

int noleak_track_new(int fd, int shim_added)
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

void noleak_mark_new(int fd)
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

void noleak_added_clear_range(int lo, int hi)
{
	int top = __atomic_load_n(&added_top, __ATOMIC_RELAXED);

	if (lo < 3)
		lo = 3;
	if (hi >= top)
		hi = top - 1;	/* nothing was ever added above */
	for (int fd = lo; fd <= hi; fd++) {
		int flags;

		if (!noleak_added_test(fd))
			continue;
		flags = noleak_raw_getfd(fd);
		if (flags >= 0 && (flags & FD_CLOEXEC))
			noleak_raw_setfd(fd, flags & ~FD_CLOEXEC);
	}
}

void noleak_added_clear_all(void)
{
	noleak_added_clear_range(3, INT_MAX);
}

/* Append "N" or "N-M" (after a comma unless first) to buf, if it fits. */
static void list_range(char *buf, size_t len, size_t *used, int lo, int hi)
{
	char tmp[32];
	size_t n = 0;
	char digits[12];
	int k;

	if (*used)
		tmp[n++] = ',';
	for (int part = 0; part < (lo == hi ? 1 : 2); part++) {
		unsigned v = (unsigned)(part ? hi : lo);

		if (part)
			tmp[n++] = '-';
		k = 0;
		do
			digits[k++] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		while (k)
			tmp[n++] = digits[--k];
	}
	if (*used + n + 1 > len)
		return;
	memcpy(buf + *used, tmp, n);
	*used += n;
	buf[*used] = '\0';
}

/* Whether fd is a listening socket. */
static int listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return noleak_raw(SYS_getsockopt, fd, SOL_SOCKET, SO_ACCEPTCONN,
			  (long)&on, (long)&len) == 0 && on;
}

size_t noleak_added_clear_listeners(char *buf, size_t len)
{
	int top = __atomic_load_n(&added_top, __ATOMIC_RELAXED);
	int lo = -1, last = -1;
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (int fd = 3; fd < top; fd++) {
		int flags;

		if (!noleak_added_test(fd) || !listening(fd))
			continue;
		flags = noleak_raw_getfd(fd);
		if (flags < 0 || !(flags & FD_CLOEXEC))
			continue;
		noleak_raw_setfd(fd, flags & ~FD_CLOEXEC);
		if (lo >= 0 && fd == last + 1) {
			last = fd;
			continue;
		}
		if (lo >= 0)
			list_range(buf, len, &used, lo, last);
		lo = last = fd;
	}
	if (lo >= 0)
		list_range(buf, len, &used, lo, last);
	return used;
}

void noleak_added_mark_list(const char *list)
{
	const char *p = list;

	while (*p >= '0' && *p <= '9') {
		long lo = 0, hi;

		for (; *p >= '0' && *p <= '9' && lo < NOLEAK_ADDED_MAX; p++)
			lo = lo * 10 + (*p - '0');
		hi = lo;
		if (*p == '-')
			for (hi = 0, p++; *p >= '0' && *p <= '9' && hi < NOLEAK_ADDED_MAX; p++)
				hi = hi * 10 + (*p - '0');
		for (long fd = lo; fd <= hi && fd < NOLEAK_ADDED_MAX; fd++) {
			int flags = noleak_raw_getfd((int)fd);

			if (fd >= 3 && flags >= 0 && !(flags & FD_CLOEXEC)) {
				noleak_raw_setfd((int)fd, flags | FD_CLOEXEC);
				noleak_added_set((int)fd, 1);
			}
		}
		if (*p != ',')
			break;
		p++;
	}
}
