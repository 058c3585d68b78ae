/* SPDX-License-Identifier: MIT */
/* raw.h: system calls without libc (raw.c), for the async-signal-safe
 * zone. */
#ifndef NOLEAK_RAW_H
#define NOLEAK_RAW_H

#include "common.h"

/* Set once a seccomp filter is in force (wrap-sandbox.c): installed
 * through prctl or syscall, or found when a call the library put in place of the
 * program's was refused with ENOSYS or EPERM.  From then on the library
 * makes only the system calls the program makes itself: no call of its
 * own, none substituted (accept stays accept, dup stays dup), no sweep, no
 * environment rewriting, no report; flags it can add within the same call
 * (O_CLOEXEC, SOCK_CLOEXEC...) it still adds. */
extern int noleak_sandboxed;


/* Returns the kernel's result: a value, or -errno.  errno is untouched. */
NOLEAK_AT_LOAD long noleak_raw(long nr, long a, long b, long c, long d, long e);
int noleak_raw_getfd(int fd);

/* Call fn(arg) with the stack pointer at top (the end of a mapped region,
 * which the caller owns), and come back to the caller's own stack. */
void noleak_call_on_stack(void (*fn)(void *), void *arg,
			  void *top);

/* Call fn(arg) on a stack of size bytes mapped for the call and unmapped
 * after it (in a vfork child, the mapping lands in the parent and is gone
 * before the parent resumes).  Returns 0, or -1 when nothing could be
 * mapped and fn did not run. */
int noleak_on_own_stack(void (*fn)(void *), void *arg, size_t size);

/* Turn a noleak_raw result into the libc convention (-1 and errno). */
static inline long noleak_raw_result(long ret)
{
	extern int *__errno_location(void);

	if (ret < 0 && ret > -4096) {
		*__errno_location() = (int)-ret;
		return -1;
	}
	return ret;
}
int noleak_raw_setfd(int fd, int flags);

#endif
