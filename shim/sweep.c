/* SPDX-License-Identifier: MIT */
/* sweep.c: marking stray descriptors close-on-exec before a new program
 * starts.
 *
 * Everything in this file is in the async-signal-safe zone: it runs between
 * fork or vfork and exec (sharing the parent's memory in the vfork case), in
 * signal handlers that exec, and in children of multi-threaded parents.  So:
 * raw system calls only, buffers on the stack, no malloc, stdio, locks or
 * dlsym, and no writes to shared state beyond one "warned once" flag.
 *
 * The sweep marks, it never closes: if the exec fails, every descriptor is
 * still there and usable (the error pipes of CPython and the JDK rely on
 * that, and so does execvp walking PATH).  Three ways, best first:
 *  1. close_range(lo, hi, CLOSE_RANGE_CLOEXEC) on the gaps between the
 *     descriptors to keep: a constant number of calls, whatever
 *     RLIMIT_NOFILE is (Linux >= 5.11);
 *  2. a getdents64 walk of /proc/self/fd into a stack buffer (what glibc's
 *     closefrom fallback and CPython do; opendir would allocate);
 *  3. a loop over every number below the soft RLIMIT_NOFILE, capped.
 * glibc's closefrom() is never used: it closes, and it aborts the process
 * when it cannot (io/closefrom.c). */
#include "sweep.h"
#include "close-range.h"
#include "fds.h"
#include "intent.h"
#include "log.h"
#include "raw.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/syscall.h>

int noleak_close_range_fails;
static int warned_cap;

int noleak_secure;

int noleak_keepers_have(const struct noleak_keepers *k, int fd)
{
	for (size_t i = 0; k->keep && i < k->keep->n; i++)
		if (fd >= k->keep->range[i].lo && fd <= k->keep->range[i].hi)
			return 1;
	for (size_t i = 0; k->named && i < k->named->n; i++)
		if (fd == k->named->fd[i])
			return 1;
	return noleak_intent_has(fd);
}

/* The lowest kept number >= from (>= 3), with *hi the end of its run as
 * one source sees it; -1 when nothing at or above from is kept.  O(K). */
static int keepers_next(const struct noleak_keepers *k, int from, int *hi)
{
	int best, best_hi;

	if (from < 3)
		from = 3;
	best = noleak_intent_next(from, &best_hi);
	if (best < 0)
		best = best_hi = INT_MAX;
	for (size_t i = 0; k->keep && i < k->keep->n; i++) {
		int lo = k->keep->range[i].lo < from ? from : k->keep->range[i].lo;

		if (k->keep->range[i].hi < from)
			continue;
		if (lo < best || (lo == best && k->keep->range[i].hi > best_hi)) {
			best = lo;
			best_hi = k->keep->range[i].hi;
		}
	}
	for (size_t i = 0; k->named && i < k->named->n; i++) {
		int fd = k->named->fd[i];

		if (fd >= from && fd < best) {
			best = fd;
			best_hi = fd;
		}
	}
	*hi = best_hi;
	return best == INT_MAX && best_hi == INT_MAX ? -1 : best;
}

static void mark_one(int fd)
{
	int flags = noleak_raw_getfd(fd);

	if (flags >= 0 && !(flags & FD_CLOEXEC))
		noleak_raw_setfd(fd, flags | FD_CLOEXEC);
}

static int sweep_close_range(const struct noleak_keepers *k)
{
	long lo = 3;

	while (lo <= INT_MAX) {
		int hi, next = keepers_next(k, (int)lo, &hi);

		if (next < 0)
			return noleak_raw(SYS_close_range, lo, ~0U,
					  CLOSE_RANGE_CLOEXEC, 0, 0) < 0 ? -1 : 0;
		if (next > lo && noleak_raw(SYS_close_range, lo, next - 1,
					    CLOSE_RANGE_CLOEXEC, 0, 0) < 0)
			return -1;
		lo = (long)hi + 1;
	}
	return 0;
}

static void walk_mark(int fd, void *ctx)
{
	if (fd >= 3 && !noleak_keepers_have(ctx, fd))
		mark_one(fd);
}

static void sweep_loop(const struct noleak_keepers *k)
{
	struct rlimit rl;
	long bound = NOLEAK_LOOP_CAP;

	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)NOLEAK_LOOP_CAP)
		bound = (long)rl.rlim_cur;
	else if (!__atomic_exchange_n(&warned_cap, 1, __ATOMIC_RELAXED)) {
		struct noleak_line l;

		noleak_line_begin(&l);
		noleak_line_str(&l, "neither close_range nor /proc/self/fd is "
				"available; descriptors above ");
		noleak_line_int(&l, NOLEAK_LOOP_CAP);
		noleak_line_str(&l, " are not swept");
		noleak_line_emit(&l);
	}
	for (long fd = 3; fd < bound; fd++)
		if (!noleak_keepers_have(k, (int)fd))
			mark_one((int)fd);
}

/* Take off close-on-exec the shim added on what keep and named name by
 * number.  Never under secure execution: there the keep-list, the command
 * line and the hand-over variables all come from whoever started the
 * program. */
static void unmark_named(const struct noleak_keep *keep,
			 const struct noleak_fdset *named)
{
	if (noleak_secure)
		return;
	for (size_t i = 0; keep && i < keep->n; i++)
		noleak_added_clear_range(keep->range[i].lo, keep->range[i].hi);
	for (size_t i = 0; named && i < named->n; i++)
		noleak_added_clear_range(named->fd[i], named->fd[i]);
}

enum noleak_sweep_how noleak_sweep(const struct noleak_keep *keep,
				   const struct noleak_fdset *named)
{
	struct noleak_keepers k = { keep, named };

	unmark_named(keep, named);
	/* close_range(CLOSE_RANGE_CLOEXEC) fails with ENOSYS before Linux 5.9,
	 * EINVAL before 5.11, and EPERM under seccomp profiles older than the
	 * call, the first time, before it marks anything: remembered, so the
	 * next sweep goes straight to /proc. */
	if (__atomic_load_n(&noleak_close_range_fails, __ATOMIC_RELAXED) == 0) {
		if (sweep_close_range(&k) == 0)
			return NOLEAK_SWEEP_CLOSE_RANGE;
		__atomic_store_n(&noleak_close_range_fails, 1, __ATOMIC_RELAXED);
	}
	if (noleak_fds_from_proc(walk_mark, &k) == 0)
		return NOLEAK_SWEEP_PROC;
	sweep_loop(&k);
	return NOLEAK_SWEEP_LOOP;
}
