/* SPDX-License-Identifier: MIT */
/* fds.c: which descriptors are open, found without allocating: by poll(2)
 * (POLLNVAL says closed) with select(2) for where the table ends, by a
 * getdents64 walk of /proc/self/fd, or by counting up to the soft
 * RLIMIT_NOFILE.  The census at load (intent.c), the sweep (sweep.c), the
 * keep-list's resources (describe.c) and the reports (report.c) walk the
 * table through here.
 *
 * In the async-signal-safe zone: raw system calls and the stack only. */
#include "fds.h"
#include "raw.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>

/* Whether the descriptor table holds the number fd, which poll found
 * closed: select(2) fails with EBADF for a closed number inside the
 * table, and looks at nothing outside it (fs/select.c, core_sys_select,
 * cuts the sets at the table's size).  Numbers past what its set holds
 * are taken as held. */
enum { PROBE_BITS = 8192, PROBE_SMALL_BITS = 512 };

/* select(2) on one bit of a set of words words. */
static int probe(unsigned long *set, size_t words, int fd)
{
	struct timeval zero = { 0, 0 };
	size_t w = (size_t)fd / (8 * sizeof(unsigned long));

	for (size_t i = 0; i < words && i <= w; i++)
		set[i] = 0;
	set[w] = 1UL << ((unsigned)fd % (8 * sizeof(unsigned long)));
	return noleak_raw(SYS_select, fd + 1, (long)set, 0, 0, (long)&zero) != 0;
}

/* The kilobyte set apart, so that the census at load, whose probe is of
 * a small number, touches no page of stack more than it must. */
__attribute__((noinline)) static int table_has_far(int fd)
{
	unsigned long set[PROBE_BITS / (8 * sizeof(unsigned long))];

	return probe(set, sizeof(set) / sizeof(set[0]), fd);
}

NOLEAK_AT_LOAD static int table_has(int fd)
{
	unsigned long set[PROBE_SMALL_BITS / (8 * sizeof(unsigned long))];

	if (fd >= PROBE_BITS)
		return 1;
	if (fd >= PROBE_SMALL_BITS)
		return table_has_far(fd);
	return probe(set, sizeof(set) / sizeof(set[0]), fd);
}

NOLEAK_AT_LOAD long noleak_fds_polled(void (*fn)(int fd, void *ctx), void *ctx,
		       struct pollfd *p, int chunk, long max)
{
	for (long base = 0; base < max; base += chunk) {
		for (int i = 0; i <= chunk; i++) {
			p[i].fd = (int)(base + i);
			p[i].events = 0;
			p[i].revents = 0;
		}
		if (noleak_raw(SYS_poll, (long)p, chunk + 1, 0, 0, 0) < 0)
			return -1;
		for (int i = 0; i < chunk; i++)
			if (base + i >= 3 && !(p[i].revents & POLLNVAL))
				fn((int)(base + i), ctx);
		if ((p[chunk].revents & POLLNVAL) && !table_has((int)(base + chunk)))
			return base + chunk;
	}
	return max;
}

int noleak_fds_from_proc(void (*fn)(int fd, void *ctx), void *ctx)
{
	/* A dozen entries a call, and little stack in a vfork child (the
	 * whole sweep stays under a kilobyte: tests/check_policy.c). */
	char buf[320] __attribute__((aligned(8)));
	long dir = noleak_raw(SYS_openat, AT_FDCWD, (long)"/proc/self/fd",
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0);

	if (dir < 0)
		return -1;
	for (;;) {
		long n = noleak_raw(SYS_getdents64, dir, (long)buf, sizeof(buf),
				    0, 0);

		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			/* struct linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen;
			const char *name = buf + off + 19;
			long fd = 0;

			__builtin_memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (*name < '0' || *name > '9')
				continue;
			for (; *name >= '0' && *name <= '9'; name++)
				fd = fd * 10 + (*name - '0');
			if (fd != dir && fd <= INT_MAX)
				fn((int)fd, ctx);
		}
	}
	noleak_raw(SYS_close, dir, 0, 0, 0, 0);
	return 0;
}

void noleak_fds_any_way(void (*fn)(int fd, void *ctx), void *ctx, long cap)
{
	struct rlimit rl;

	if (noleak_fds_from_proc(fn, ctx) == 0)
		return;
	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)cap)
		cap = (long)rl.rlim_cur;
	for (long fd = 3; fd < cap; fd++)
		fn((int)fd, ctx);
}
