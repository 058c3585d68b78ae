/* SPDX-License-Identifier: MIT */
/* wrap-misc.c: the other creators: epoll_create epoll_create1 eventfd
 * signalfd timerfd_create inotify_init inotify_init1 memfd_create
 * fanotify_init posix_openpt getpt openpty forkpty.
 *
 * Each has an atomic close-on-exec flag (EPOLL_CLOEXEC, EFD_CLOEXEC, ...),
 * and the forms without flags become the forms with them, except openpty
 * and forkpty: glibc opens the slave with no way to ask for close-on-exec
 * (login/openpty.c), so their descriptors are marked as soon as the call
 * returns.  No lock is needed for the moment in between: every child that
 * copies the table then sweeps it in its own table before it execs (the
 * exec family in the child of fork or vfork, spawn.c for the others).
 *
 * Already close-on-exec in glibc, so not wrapped: opendir, shm_open,
 * pidfd_open, pidfd_getfd, mq_open (tests/check_preload.c checks). */
#include "noleak.h"

#include <errno.h>
#include <sys/syscall.h>

/* A creator that takes nothing but its flags (epoll_create1,
 * inotify_init1): bit added, next's call or the raw system call nr, then
 * the bookkeeping.  epoll_create and inotify_init come here too, not
 * through the exported symbol, so that the report names the call the
 * program made. */
static int make_with_flags(int (*next)(int), int flags, int bit, long nr)
{
	int added, fd;

	flags = noleak_want(flags, bit, &added);
	fd = next ? next(flags)
		  : (int)noleak_raw_result(noleak_raw(nr, flags, 0, 0, 0, 0));
	return noleak_track_new(fd, added);
}

static int make_epoll(int flags)
{
	return make_with_flags(NEXT_BOUND(epoll_create1), flags, EPOLL_CLOEXEC,
			       SYS_epoll_create1);
}

NOLEAK_EXPORT int epoll_create1(int flags)
{
	NOLEAK_SITE(epoll_create1);
	return make_epoll(flags);
}

/* epoll_create ignores its size but refuses one below 1. */
NOLEAK_EXPORT int epoll_create(int size)
{
	NOLEAK_SITE(epoll_create);
	__typeof__(epoll_create) *own;
	int ret;

	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	/* epoll_create1 is another system call: not in a sandbox
	 * (wrap-sandbox.c). */
	if (!noleak_sandboxed) {
		ret = make_epoll(0);
		if (ret >= 0 || !noleak_refused(errno, 1))
			return ret;
	}
	own = NEXT_BOUND(epoll_create);
	ret = own ? own(size) : (errno = ENOSYS, -1);
	return noleak_track_new(ret, 0);
}

NOLEAK_EXPORT int eventfd(unsigned int count, int flags)
{
	NOLEAK_SITE(eventfd);
	int added;
	int fd;

	/* glibc's eventfd is this one system call (no cancellation point):
	 * made here, the wrapper costs less than glibc's own. */
	flags = noleak_want(flags, EFD_CLOEXEC, &added);
	fd = (int)noleak_raw_result(noleak_raw(SYS_eventfd2, count, flags,
					       0, 0, 0));
	return noleak_track_new(fd, added);
}

/* signalfd(fd, ...) with fd != -1 changes an existing descriptor; only
 * -1 makes a new one. */
NOLEAK_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	NOLEAK_SITE(signalfd);
	__typeof__(signalfd) *next = NEXT_BOUND(signalfd);
	int added = 0;
	int ret;

	if (fd == -1)
		flags = noleak_want(flags, SFD_CLOEXEC, &added);
	ret = next ? next(fd, mask, flags)
		   : (int)noleak_raw_result(noleak_raw(SYS_signalfd4, fd,
					(long)mask, 8 /* kernel sigset */, flags,
					0));
	return fd == -1 ? noleak_track_new(ret, added) : ret;
}

NOLEAK_EXPORT int timerfd_create(int clockid, int flags)
{
	NOLEAK_SITE(timerfd_create);
	__typeof__(timerfd_create) *next = NEXT_BOUND(timerfd_create);
	int added;
	int fd;

	flags = noleak_want(flags, TFD_CLOEXEC, &added);
	fd = next ? next(clockid, flags)
		  : (int)noleak_raw_result(noleak_raw(SYS_timerfd_create,
						      clockid, flags, 0, 0, 0));
	return noleak_track_new(fd, added);
}

static int make_inotify(int flags)
{
	return make_with_flags(NEXT_BOUND(inotify_init1), flags, IN_CLOEXEC,
			       SYS_inotify_init1);
}

NOLEAK_EXPORT int inotify_init1(int flags)
{
	NOLEAK_SITE(inotify_init1);
	return make_inotify(flags);
}

NOLEAK_EXPORT int inotify_init(void)
{
	NOLEAK_SITE(inotify_init);
	__typeof__(inotify_init) *own;
	int ret;

	if (!noleak_sandboxed) {
		ret = make_inotify(0);
		if (ret >= 0 || !noleak_refused(errno, 1))
			return ret;
	}
	own = NEXT_BOUND(inotify_init);
	ret = own ? own() : (errno = ENOSYS, -1);
	return noleak_track_new(ret, 0);
}

NOLEAK_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	NOLEAK_SITE(memfd_create);
	__typeof__(memfd_create) *next = NEXT_BOUND(memfd_create);
	int added;
	int fd;

	flags = noleak_want(flags, MFD_CLOEXEC, &added);
	fd = next ? next(name, flags)
		  : (int)noleak_raw_result(noleak_raw(SYS_memfd_create,
						      (long)name, flags, 0, 0, 0));
	return noleak_track_new(fd, added);
}

NOLEAK_EXPORT int fanotify_init(unsigned int flags, unsigned int event_flags)
{
	NOLEAK_SITE(fanotify_init);
	__typeof__(fanotify_init) *next = NEXT_BOUND(fanotify_init);
	int added;
	int fd;

	flags = noleak_want(flags, FAN_CLOEXEC, &added);
	fd = next ? next(flags, event_flags)
		  : (int)noleak_raw_result(noleak_raw(SYS_fanotify_init, flags,
						      event_flags, 0, 0, 0));
	return noleak_track_new(fd, added);
}

static int make_pty_master(int flags)
{
	__typeof__(posix_openpt) *next = NEXT_BOUND(posix_openpt);
	int added, fd;

	flags = noleak_want(flags, O_CLOEXEC, &added);
	fd = next ? next(flags)
		  : (int)noleak_raw_result(noleak_raw(SYS_openat, AT_FDCWD,
					(long)"/dev/ptmx", flags, 0, 0));
	return noleak_track_new(fd, added);
}

NOLEAK_EXPORT int posix_openpt(int flags)
{
	NOLEAK_SITE(posix_openpt);
	return make_pty_master(flags);
}

/* getpt is open("/dev/ptmx", O_RDWR | O_NOCTTY) (login/getpt.c). */
NOLEAK_EXPORT int getpt(void)
{
	NOLEAK_SITE(getpt);
	return make_pty_master(O_RDWR | O_NOCTTY);
}

NOLEAK_EXPORT int openpty(int *master, int *slave, char *name,
			  const struct termios *termp,
			  const struct winsize *winp)
{
	NOLEAK_SITE(openpty);
	__typeof__(openpty) *next = NEXT_BOUND(openpty);
	int ret, saved = errno;

	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	if (noleak_asleep())
		return next(master, slave, name, termp, winp);
	ret = next(master, slave, name, termp, winp);
	if (ret == 0) {
		noleak_mark_new(*master);
		noleak_mark_new(*slave);
		errno = saved;
	}
	return ret;
}

/* forkpty forks through glibc's internal __fork (login/forkpty.c); the
 * child's pty is its standard input, output and error, left as they are. */
NOLEAK_EXPORT pid_t forkpty(int *master, char *name,
			    const struct termios *termp,
			    const struct winsize *winp)
{
	NOLEAK_SITE(forkpty);
	__typeof__(forkpty) *next = NEXT_BOUND(forkpty);
	int saved = errno;
	pid_t pid;

	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	if (noleak_asleep())
		return next(master, name, termp, winp);
	pid = next(master, name, termp, winp);
	if (pid > 0) {
		noleak_mark_new(*master);
		errno = saved;
	}
	return pid;
}
