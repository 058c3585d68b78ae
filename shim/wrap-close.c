/* SPDX-License-Identifier: MIT */
/* wrap-close.c: close close_range closefrom closedir.
 *
 * What the shim records of a descriptor (intent.c: that it added the
 * close-on-exec flag, that the descriptor is meant to be inherited, where
 * it was made) belongs to the descriptor, not to its number: when the
 * descriptor goes, so does the record, before the number can be taken by
 * anything else (glibc's own O_CLOEXEC opens among them: opendir,
 * shm_open, the NSS files).  These wrappers do only that, with no system
 * call of their own, and pass the call on unchanged; they never set the
 * library up (a close needs nothing of it).  fclose, freopen and pclose
 * forget in their own wrappers (wrap-exec.c, wrap-stdio.c).  glibc's
 * fcloseall flushes streams and closes no descriptor (libio/genops.c,
 * _IO_cleanup), so it is not wrapped. */
#include "noleak.h"
#include "exec.h"
#include "close-range.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/syscall.h>

NOLEAK_EXPORT int close(int fd)
{
	__typeof__(close) *next = NEXT_BOUND(close);

	noleak_fd_closed(fd);
	if (next)
		return next(fd);
	return (int)noleak_raw_result(noleak_raw(SYS_close, fd, 0, 0, 0, 0));
}

/* With CLOSE_RANGE_CLOEXEC the program marks the range itself: the flags
 * are its own from then on (recorded once the call succeeded).  Without,
 * the range is closed. */
NOLEAK_EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	__typeof__(close_range) *next = NEXT_BOUND(close_range);
	int ret;

	if (!(flags & CLOSE_RANGE_CLOEXEC))
		noleak_fds_closed(lo, hi);
	ret = next ? next(lo, hi, flags)
		   : (int)noleak_raw_result(noleak_raw(SYS_close_range, lo, hi,
						       flags, 0, 0));
	if (ret == 0 && (flags & CLOSE_RANGE_CLOEXEC))
		noleak_intent_drop_range(lo, hi);
	return ret;
}

NOLEAK_EXPORT void closefrom(int lo)
{
	__typeof__(closefrom) *next = NEXT_BOUND(closefrom);

	if (lo >= 0)
		noleak_fds_closed((unsigned int)lo, UINT_MAX);
	if (next)
		next(lo);
}

NOLEAK_EXPORT int closedir(DIR *dir)
{
	__typeof__(closedir) *next = NEXT_BOUND(closedir);

	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	/* glibc answers a NULL dir with EINVAL (dirent/closedir.c), which
	 * the compiler may not assume away. */
	dir = UNTRUSTED(dir);
	if (dir)
		noleak_fd_closed(dirfd(dir));
	return next(dir);
}
