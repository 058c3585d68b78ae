/* SPDX-License-Identifier: MIT */
/* next.h: the table of next symbols (next.c), one pointer per entry of
 * symbols.def, and the macros wrappers bind them with. */
#ifndef NOLEAK_NEXT_H
#define NOLEAK_NEXT_H

#include "common.h"

/* Everything that declares a wrapped function (symbols.def needs them). */
#include <dirent.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <unistd.h>
#include <wordexp.h>

/* The shim wraps what programs call, deprecated or not (sigset,
 * sigignore): a deprecation names no fault of ours. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* Declared by <signal.h> only for X/Open before 2008. */
__sighandler_t bsd_signal(int sig, __sighandler_t handler);

/* Fortify entry points glibc declares only under _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

#define NOLEAK_EAGER(name) extern __typeof__(name) *next_##name;
#define NOLEAK_LAZY(name) NOLEAK_EAGER(name)
#define NOLEAK_EXPORT_ONLY(name)
#define NOLEAK_COMPAT(name, version) extern __typeof__(name) *next_##name##_compat;
#include "symbols.def"
#undef NOLEAK_EAGER
#undef NOLEAK_EXPORT_ONLY
#undef NOLEAK_LAZY
#undef NOLEAK_COMPAT

/* The bound next symbol, or NULL while it is not bound yet (before the
 * constructor, or while this thread is binding).  A NULL pointer must make
 * the caller fall back to a raw syscall or fail with ENOSYS: never call
 * dlsym from a wrapper that may run inside an allocator's initialisation. */
#define NEXT(name) __atomic_load_n(&next_##name, __ATOMIC_ACQUIRE)

/* The next symbol, for an exported wrapper, with the library set up first:
 * a process's first call through the library then goes to the next
 * definition like every later one, not to a wrapper's raw system call
 * fallback (which is no cancellation point: a thread cancelled in its
 * first open() of a FIFO never ended).  NULL only while the library is
 * being set up (a wrapper entered again from dlsym's allocations). */
#define NEXT_SET_UP(name) (noleak_asleep(), NEXT_BOUND(name))

/* The next symbol, looked up now if it is not bound yet: for lazy symbols,
 * and for wrappers that cannot fall back to a raw system call.  NULL only
 * when the symbol does not exist or this thread is inside start-up. */
#define NEXT_BOUND(name) ({                                         \
	__typeof__(next_##name) next_ = NEXT(name);                 \
	if (!next_)                                                 \
		next_ = (__typeof__(next_##name))noleak_next_lookup(  \
			(void **)&next_##name, #name);                \
	next_;                                                      \
})

/* Bind *slot to the next definition of name (not ours) and return it. */
void *noleak_next_lookup(void **slot, const char *name);

/* A once-only initialisation that tolerates re-entry and forks:
 * noleak_once_enter returns 1 to the one caller that must run it (which
 * then calls noleak_once_leave), and 0 to everyone else once it is done,
 * or at once to a caller re-entering from inside it (a signal handler, an
 * allocator's initialisation under dlsym); with wait 0, also at once to a
 * caller that finds another thread running it.  A runner that is not in
 * the process (the child of a fork made while it ran) is replaced: the
 * caller runs it again. */
struct noleak_once {
	int state;	/* 0 undone, -1 done, else the runner's thread id */
};
int noleak_once_enter(struct noleak_once *once, int wait);
void noleak_once_leave(struct noleak_once *once);

/* Bind every next symbol once.  Safe to call from any thread, many times;
 * a call made while this thread is already binding returns at once. */
void noleak_next_bind(void);

#endif
