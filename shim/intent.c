/* SPDX-License-Identifier: MIT */
/* intent.c: what the program said about inheritance, and what the shim
 * added itself.
 *
 * The kernel's close-on-exec bit is the record of intent.  Beside it the
 * shim keeps, per descriptor number, one bit in each of two maps, and
 * nothing else; no system call is made to keep them:
 *
 *  - "meant": the number is to reach a new program as it is: open and
 *    inheritable when the process started (the census of noleak_census,
 *    taken by the constructor, before any code of the program runs), or
 *    made inheritable on purpose later (F_SETFD without FD_CLOEXEC,
 *    FIONCLEX, dup2/dup3 onto it).
 *  - "added": the shim, not the program, put close-on-exec on the
 *    descriptor that holds the number now.  Only such a flag may ever be
 *    taken off by the shim (a hand-over by name, a keep-list entry), and
 *    only such a flag is hidden from fcntl(F_GETFD).
 *
 * Both bits belong to the descriptor, not to the number: every way of
 * closing or replacing a descriptor that goes through the library (close,
 * close_range, closefrom, fclose, closedir, freopen, dup2/dup3 onto the
 * number, their syscall() forms) forgets them, and every creation through a
 * wrapper sets them anew.  A close the library cannot see (an io_uring
 * IORING_OP_CLOSE, a raw system call instruction, glibc closing inside
 * itself) leaves them stale until the number is made again through a
 * wrapper: a stale "added" bit on a number glibc reopened with its own
 * O_CLOEXEC would let the shim take that flag off; libnoleak(7),
 * LIMITATIONS, says so.
 *
 * The maps cover the numbers below NOLEAK_ADDED_MAX (a byte a number,
 * 64 KiB each, zero until written: a page is touched only for the 4096
 * numbers around one recorded there).
 * Intent on a number above is kept as "lost_from": the sweep then leaves
 * every number from the lowest such one up alone, and says so once.
 *
 * Writers are ordinary threads and sometimes a vfork child, which shares
 * this memory with its parent.  Setting a bit there is taken as the
 * parent's (CPython's child clears close-on-exec on the descriptors it
 * passes: the same files in both tables); clearing a "meant" bit is done
 * only by the process that owns the maps (noleak_table_mine), so that a
 * vfork child closing what it does not need never costs its parent an
 * inherited descriptor.  Updates are atomic, the sweep only loads. */
#include "intent.h"
#include "describe.h"
#include "fds.h"
#include "log.h"
#include "raw.h"
#include "testing.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>

/* A byte per number in each map, not a bit: a byte is stored whole, so
 * threads recording neighbouring numbers never share a word that needs a
 * locked read-modify-write (a bit map paid two, a creation's and a
 * close's, on every round trip).  The sweep reads them a word of eight
 * numbers at a time. */
typedef unsigned long __attribute__((may_alias)) map_word;
enum { LOW = 64, WORD_CELLS = sizeof(map_word) };
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "noleak_intent_next finds the lowest cell of a word by ctz");

static unsigned char meant[NOLEAK_ADDED_MAX] __attribute__((aligned(8)));
static unsigned char added[NOLEAK_ADDED_MAX] __attribute__((aligned(8)));
/* Their first cells (numbers 0-63, where most descriptors are) live in
 * .data, beside what the loader writes anyway: a census that finds an
 * inherited descriptor there touches no page of its own. */
static unsigned char low_meant[LOW] NOLEAK_LOAD_DATA __attribute__((aligned(8)));
static unsigned char low_added[LOW] NOLEAK_LOAD_DATA __attribute__((aligned(8)));

/* The cell of map for fd (0 <= fd < NOLEAK_ADDED_MAX). */
static inline unsigned char *cell(unsigned char *map, int fd)
{
	if (fd >= LOW)
		return &map[fd];
	return &(map == added ? low_added : low_meant)[fd];
}

/* The eight cells of map from number w * 8. */
static inline map_word *cells(unsigned char *map, size_t w)
{
	return (map_word *)cell(map, (int)(w * WORD_CELLS));
}

/* One past the highest number either map ever had a bit for, so that a
 * close or a scan above it reads nothing (and faults in no page). */
static int top NOLEAK_LOAD_DATA;
static int lost_from NOLEAK_LOAD_DATA = INT_MAX;	/* intent lost from here */
static int warned_lost;

static int test_bit(unsigned char *map, int fd)
{
	return fd >= 0 && fd < __atomic_load_n(&top, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(cell(map, fd), __ATOMIC_ACQUIRE);
}

NOLEAK_AT_LOAD static void raise_top(int fd)
{
	int t = __atomic_load_n(&top, __ATOMIC_RELAXED);

	while (fd >= t && !__atomic_compare_exchange_n(&top, &t, fd + 1, 0,
						       __ATOMIC_ACQ_REL,
						       __ATOMIC_RELAXED))
		;
}

NOLEAK_AT_LOAD static void set_bit(unsigned char *map, int fd)
{
	if (fd < 0 || fd >= NOLEAK_ADDED_MAX)
		return;
	raise_top(fd);
	if (!__atomic_load_n(cell(map, fd), __ATOMIC_RELAXED))
		__atomic_store_n(cell(map, fd), 1, __ATOMIC_RELEASE);
}

/* Clearing looks first: pages of numbers never recorded stay untouched. */
static void clear_bit(unsigned char *map, int fd)
{
	if (test_bit(map, fd))
		__atomic_store_n(cell(map, fd), 0, __ATOMIC_RELEASE);
}

/* Intent on fd, which no map can hold: kept from the lowest such number
 * up, said once. */
static void lose_from(int fd)
{
	struct noleak_line l;
	int lost = __atomic_load_n(&lost_from, __ATOMIC_RELAXED);

	while (fd < lost && !__atomic_compare_exchange_n(&lost_from, &lost, fd, 0,
							 __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED))
		;
	if (__atomic_exchange_n(&warned_lost, 1, __ATOMIC_ACQ_REL))
		return;
	noleak_line_begin(&l);
	noleak_line_str(&l, "descriptor ");
	noleak_line_int(&l, fd);
	noleak_line_str(&l, " is meant to be inherited beyond what the "
			"shim can record; the exec sweep leaves "
			"descriptors from there up alone");
	noleak_line_emit(&l);
}

/* ---- where descriptors were made, for reports ---------------------- */

int noleak_reporting;
__thread struct noleak_site noleak_pending __attribute__((tls_model("initial-exec")));

/* Where each descriptor below NOLEAK_SITE_MAX was made; written only when
 * reports are on, so its pages stay untouched otherwise. */
static struct noleak_site sites[NOLEAK_SITE_MAX];

/* Take the pending site for fd: the call that made it, or, when no
 * wrapper noted one (made by a call the library does not see), none. */
static void site_take(int fd)
{
	const char *call;

	if (!noleak_reporting || fd < 0 || fd >= NOLEAK_SITE_MAX)
		return;
	call = noleak_pending.call;
	noleak_pending.call = NULL;	/* one creation, one site */
	__atomic_store_n(&sites[fd].caller, call ? noleak_pending.caller : NULL,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&sites[fd].call, call, __ATOMIC_RELEASE);
}

static void site_forget(int fd)
{
	if (noleak_reporting && fd >= 0 && fd < NOLEAK_SITE_MAX &&
	    __atomic_load_n(&sites[fd].call, __ATOMIC_RELAXED))
		__atomic_store_n(&sites[fd].call, NULL, __ATOMIC_RELEASE);
}

int noleak_site_get(int fd, struct noleak_site *site)
{
	if (fd < 0 || fd >= NOLEAK_SITE_MAX)
		return -1;
	site->call = __atomic_load_n(&sites[fd].call, __ATOMIC_ACQUIRE);
	site->caller = __atomic_load_n(&sites[fd].caller, __ATOMIC_RELAXED);
	return site->call ? 0 : -1;
}

/* ---- the census at start ---------------------------------------------- */

/* The descriptors open when the process started are inherited: whatever
 * runs later (a raw system call, io_uring, before or after the program's
 * first call through the library) cannot pass for one of them.  So the
 * constructor takes the census, before any code of the program runs.
 *
 * poll(2) says which of many numbers are open (POLLNVAL for a closed
 * one) in one call: the first CENSUS_CHUNK numbers and one more, on 520
 * bytes of the loader's stack.  Whether the table goes further is the
 * last of those: open, or, closed, whether select(2) on it fails with
 * EBADF (a closed number inside the table) or looks at nothing (a number
 * outside it: fs/select.c, core_sys_select, cuts the set at the table's
 * size).  A new program's table holds 64 unless its parent's was larger,
 * so most processes make two calls; a larger table is polled a chunk at
 * a time up to CENSUS_POLL_MAX numbers, and read beyond that from
 * /proc/self/fd (or, without /proc, by the bounded loop).  Each open
 * number is inheritable unless another library's constructor made it
 * close-on-exec: asked only of the open ones. */
enum { CENSUS_CHUNK = 64, CENSUS_POLL_MAX = 1024 };


NOLEAK_AT_LOAD static void census_note(int fd, void *ctx)
{
	int flags;

	(void)ctx;
	if (fd < 3)
		return;
	flags = noleak_raw_getfd(fd);
	if (flags < 0 || (flags & FD_CLOEXEC))
		return;
	if (fd < NOLEAK_ADDED_MAX)
		set_bit(meant, fd);
	else if (fd < __atomic_load_n(&lost_from, __ATOMIC_RELAXED))
		__atomic_store_n(&lost_from, fd, __ATOMIC_RELAXED);
}

static void census_high(int fd, void *ctx)
{
	if (fd >= CENSUS_POLL_MAX)
		census_note(fd, ctx);
}

NOLEAK_AT_LOAD void noleak_census(long cap)
{
	struct pollfd p[CENSUS_CHUNK + 1];
	long end = noleak_fds_polled(census_note, NULL, p, CENSUS_CHUNK, CENSUS_POLL_MAX);

	if (end < 0)
		noleak_fds_any_way(census_note, NULL, cap);
	else if (end >= CENSUS_POLL_MAX)
		noleak_fds_any_way(census_high, NULL, cap);
}

/* ---- what the program says -------------------------------------------- */

/* Whether this process owns the maps: not a vfork child of the process
 * that does, which shares them.  A system call, made only where a bit
 * would be cleared. */
static long table_pid NOLEAK_LOAD_DATA;

NOLEAK_AT_LOAD void noleak_table_own(long pid)
{
	__atomic_store_n(&table_pid, pid, __ATOMIC_RELEASE);
}

static int table_mine(void)
{
	return noleak_raw(SYS_getpid, 0, 0, 0, 0, 0) ==
	       __atomic_load_n(&table_pid, __ATOMIC_ACQUIRE);
}

void noleak_intent_keep(int fd)
{
	if (fd < 3)
		return;
	if (fd < NOLEAK_ADDED_MAX)
		set_bit(meant, fd);
	else
		lose_from(fd);
}

/* Forget the intent in cell m of "meant", if this process owns the maps.
 * In a sandbox, no getpid: the intent stays (a missed sweep at worst, and
 * nothing is swept there). */
static inline void drop_meant(unsigned char *m)
{
	if (__atomic_load_n(m, __ATOMIC_RELAXED) && !noleak_sandboxed &&
	    table_mine())
		__atomic_store_n(m, 0, __ATOMIC_RELEASE);
}

void noleak_intent_drop(int fd)
{
	if (fd >= 0 && fd < __atomic_load_n(&top, __ATOMIC_ACQUIRE))
		drop_meant(cell(meant, fd));
}

void noleak_intent_said(int fd, int inherit)
{
	clear_bit(added, fd);
	if (inherit)
		noleak_intent_keep(fd);
	else
		noleak_intent_drop(fd);
}

void noleak_dup_onto(int fd, int inherit)
{
	site_take(fd);
	noleak_intent_said(fd, inherit);
}

/* Clear map's cells from lo to hi, skipping words of eight empty ones. */
static void clear_range(unsigned char *map, unsigned int lo, unsigned int hi)
{
	unsigned int t = (unsigned int)__atomic_load_n(&top, __ATOMIC_ACQUIRE);

	if (hi >= t)
		hi = t ? t - 1 : 0;
	for (unsigned int fd = lo; fd <= hi && fd < t; ) {
		unsigned int end = (fd / WORD_CELLS + 1) * WORD_CELLS;

		if (!__atomic_load_n(cells(map, fd / WORD_CELLS), __ATOMIC_RELAXED)) {
			fd = end;
			continue;
		}
		for (; fd < end && fd <= hi; fd++)
			if (__atomic_load_n(cell(map, (int)fd), __ATOMIC_RELAXED))
				__atomic_store_n(cell(map, (int)fd), 0, __ATOMIC_RELEASE);
	}
}

void noleak_intent_drop_range(unsigned int lo, unsigned int hi)
{
	clear_range(added, lo, hi);
	for (unsigned int w = lo / WORD_CELLS; ; w++) {
		/* Only a process that owns the maps forgets intent. */
		if (w * WORD_CELLS > hi || w * WORD_CELLS >= NOLEAK_ADDED_MAX ||
		    (int)(w * WORD_CELLS) >= __atomic_load_n(&top, __ATOMIC_ACQUIRE))
			return;
		if (__atomic_load_n(cells(meant, w), __ATOMIC_RELAXED))
			break;
	}
	if (!noleak_sandboxed && table_mine())
		clear_range(meant, lo, hi);
}

void noleak_fd_closed(int fd)
{
	unsigned char *a;

	if (fd < 0)
		return;
	site_forget(fd);
	if (fd >= __atomic_load_n(&top, __ATOMIC_ACQUIRE))
		return;		/* nothing was ever recorded for it */
	/* clear_bit(added) and noleak_intent_drop, with one look at top:
	 * this is every close's cost. */
	a = cell(added, fd);
	if (__atomic_load_n(a, __ATOMIC_RELAXED))
		__atomic_store_n(a, 0, __ATOMIC_RELEASE);
	drop_meant(cell(meant, fd));
}

void noleak_fds_closed(unsigned int lo, unsigned int hi)
{
	if (noleak_reporting)
		for (unsigned int fd = lo; fd <= hi && fd < NOLEAK_SITE_MAX; fd++)
			site_forget((int)fd);
	noleak_intent_drop_range(lo, hi);
}

/* ---- what the sweep asks ------------------------------------------------ */

int noleak_intent_has(int fd)
{
	if (fd < 3)
		return 0;
	if (fd >= __atomic_load_n(&lost_from, __ATOMIC_ACQUIRE))
		return 1;
	return test_bit(meant, fd);
}

int noleak_intent_next(int from, int *hi)
{
	int lost = __atomic_load_n(&lost_from, __ATOMIC_ACQUIRE);
	int t = __atomic_load_n(&top, __ATOMIC_ACQUIRE);
	int best = INT_MAX;

	if (from < 3)
		from = 3;
	for (int w = from / (int)WORD_CELLS; w * (int)WORD_CELLS < t; w++) {
		unsigned long bits = __atomic_load_n(cells(meant, (size_t)w), __ATOMIC_ACQUIRE);

		if (w == from / (int)WORD_CELLS)	/* cells below from */
			bits &= ~0UL << (8 * (from % WORD_CELLS));
		if (bits) {	/* little-endian: the lowest cell first */
			best = w * (int)WORD_CELLS + __builtin_ctzl(bits) / 8;
			break;
		}
	}
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
	if (on)
		set_bit(added, fd);
	else
		clear_bit(added, fd);
}

int noleak_added_test(int fd)
{
	return test_bit(added, fd);
}

int noleak_track_new(int fd, int shim_added)
{
	unsigned char *a, *m;

	if (fd < 0)
		return fd;
	site_take(fd);
	if (fd <= 2) {
		if (shim_added)
			noleak_raw_setfd(fd, 0);
		return fd;
	}
	if (fd >= NOLEAK_ADDED_MAX)
		return fd;
	if (fd >= __atomic_load_n(&top, __ATOMIC_ACQUIRE)) {
		if (!shim_added)
			return fd;	/* no cell above top holds anything */
		raise_top(fd);
	}
	/* A new descriptor: whatever the number meant before is gone.
	 * clear_bit(meant) and noleak_added_set, with one look at top: this
	 * is every creation's cost. */
	a = cell(added, fd);
	m = cell(meant, fd);
	if (__atomic_load_n(m, __ATOMIC_RELAXED))
		__atomic_store_n(m, 0, __ATOMIC_RELEASE);
	if (__atomic_load_n(a, __ATOMIC_RELAXED) != shim_added)
		__atomic_store_n(a, (unsigned char)!!shim_added, __ATOMIC_RELEASE);
	return fd;
}

void noleak_mark_new(int fd)
{
	int flags;

	if (fd < 3 || noleak_sandboxed)	/* two system calls of its own */
		return;
	site_take(fd);
	clear_bit(meant, fd);
	flags = noleak_raw_getfd(fd);
	if (flags >= 0 && !(flags & FD_CLOEXEC)) {
		noleak_raw_setfd(fd, flags | FD_CLOEXEC);
		noleak_added_set(fd, 1);
	} else {
		noleak_added_set(fd, 0);
	}
}

void noleak_added_clear_range(int lo, int hi)
{
	int t = __atomic_load_n(&top, __ATOMIC_ACQUIRE);

	if (lo < 3)
		lo = 3;
	if (hi >= t)
		hi = t - 1;	/* nothing was ever added above */
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

size_t noleak_added_reexec_list(char *buf, size_t len, int listeners)
{
	int t = __atomic_load_n(&top, __ATOMIC_ACQUIRE);
	int lo = -1, last = -1;
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (int fd = 3; fd < t; fd++) {
		int flags;

		if (!noleak_added_test(fd))
			continue;
		flags = noleak_raw_getfd(fd);
		if (flags < 0)
			continue;
		/* Still marked: only a listener of a reload comes off. */
		if (flags & FD_CLOEXEC) {
			if (!listeners || !noleak_fd_listening(fd))
				continue;
			noleak_raw_setfd(fd, flags & ~FD_CLOEXEC);
		}
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
				clear_bit(meant, (int)fd);
				noleak_added_set((int)fd, 1);
			}
		}
		if (*p != ',')
			break;
		p++;
	}
}
