/* SPDX-License-Identifier: MIT */
/* wrap-pipe-dup.c: pipe pipe2 dup dup2 dup3 fcntl fcntl64 ioctl.
 *
 * pipe becomes pipe2(O_CLOEXEC), dup and fcntl(F_DUPFD) become
 * fcntl(F_DUPFD_CLOEXEC).  dup2 and dup3 are left exactly as the program
 * wrote them: they are how a program puts a descriptor where a child will
 * find it.  Their targets, and descriptors whose close-on-exec the program
 * clears itself (fcntl F_SETFD, ioctl FIONCLEX), are recorded as meant to
 * be inherited, so the exec sweep leaves them alone. */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int fcntl_fn(int, int, ...);

static int do_pipe2(int fds[2], int flags)
{
	__typeof__(pipe2) *next = NEXT_SET_UP(pipe2);
	int added;
	int ret;

	flags = noleak_want(flags, O_CLOEXEC, &added);
	ret = next ? next(fds, flags)
		   : (int)noleak_raw_result(noleak_raw(SYS_pipe2, (long)fds,
						       flags, 0, 0, 0));
	if (ret == 0) {
		noleak_track_new(fds[0], added);
		noleak_track_new(fds[1], added);
	}
	return ret;
}

/* pipe becomes pipe2(O_CLOEXEC), and dup fcntl(F_DUPFD_CLOEXEC): other
 * system calls, so not in a sandbox, nor where a filter refuses them (see
 * wrap-sandbox.c); neither gives EPERM of its own. */
NOLEAK_EXPORT int pipe(int fds[2])
{
	NOLEAK_SITE(pipe);
	__typeof__(pipe) *own;
	int ret;

	if (!noleak_sandboxed) {
		ret = do_pipe2(fds, 0);
		if (ret == 0 || !noleak_refused(errno, 1))
			return ret;
	}
	own = NEXT_BOUND(pipe);
	ret = own ? own(fds)
		  : (int)noleak_raw_result(noleak_raw(SYS_pipe2, (long)fds, 0, 0, 0, 0));
	if (ret == 0) {
		noleak_track_new(fds[0], 0);
		noleak_track_new(fds[1], 0);
	}
	return ret;
}

NOLEAK_EXPORT int pipe2(int fds[2], int flags)
{
	NOLEAK_SITE(pipe2);
	return do_pipe2(fds, flags);
}

static int do_fcntl(fcntl_fn *next, int fd, int cmd, void *arg)
{
	int ret;

	int added = 0;

	if (cmd == F_DUPFD && !noleak_asleep()) {
		cmd = F_DUPFD_CLOEXEC;
		added = 1;
	}
	ret = next ? next(fd, cmd, arg)
		   : (int)noleak_raw_result(noleak_raw(SYS_fcntl, fd, cmd,
						       (long)arg, 0, 0));
	/* Every new descriptor is recorded, the shim's flag or not: where
	 * it was made, and that nothing older holds its number now. */
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		noleak_track_new(ret, added);
	else if (cmd == F_SETFD && ret == 0)
		noleak_intent_said(fd, !((long)arg & FD_CLOEXEC));
	else if (cmd == F_GETFD && ret > 0 && (ret & FD_CLOEXEC) &&
		 noleak_added_test(fd))
		ret &= ~FD_CLOEXEC;	/* the shim's flag: not the program's to see */
	return ret;
}

/* glibc reads the third argument of fcntl as a pointer-sized value
 * whatever the command (sysdeps/unix/sysv/linux/fcntl64.c); so do we. */
NOLEAK_EXPORT int fcntl(int fd, int cmd, ...)
{
	NOLEAK_SITE(fcntl);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(NEXT_SET_UP(fcntl), fd, cmd, arg);
}

NOLEAK_EXPORT int fcntl64(int fd, int cmd, ...)
{
	NOLEAK_SITE(fcntl64);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(NEXT_SET_UP(fcntl64), fd, cmd, arg);
}

NOLEAK_EXPORT int dup(int fd)
{
	NOLEAK_SITE(dup);
	__typeof__(dup) *own;
	int ret;

	/* fcntl(F_DUPFD_CLOEXEC) as the careful program writes it; glibc's
	 * fcntl makes that very call for it (no cancellation point). */
	if (!noleak_sandboxed && !noleak_asleep()) {
		ret = (int)noleak_raw_result(noleak_raw(SYS_fcntl, fd, F_DUPFD_CLOEXEC,
							0, 0, 0));
		if (ret >= 0)
			return noleak_track_new(ret, 1);
		if (!noleak_refused(errno, 1))
			return ret;
	}
	own = NEXT_BOUND(dup);
	ret = own ? own(fd)
		  : (int)noleak_raw_result(noleak_raw(SYS_dup, fd, 0, 0, 0, 0));
	return noleak_track_new(ret, 0);
}

NOLEAK_EXPORT int dup2(int oldfd, int newfd)
{
	NOLEAK_SITE(dup2);
	__typeof__(dup2) *next = NEXT_SET_UP(dup2);
	int ret;

	if (next)
		ret = next(oldfd, newfd);
	else if (oldfd == newfd)	/* dup3 refuses this case */
		ret = noleak_raw_result(noleak_raw_getfd(oldfd)) < 0 ? -1 : newfd;
	else
		ret = (int)noleak_raw_result(noleak_raw(SYS_dup3, oldfd, newfd,
							0, 0, 0));
	/* dup2(fd, fd) changes nothing, close-on-exec included. */
	if (ret >= 0 && oldfd != newfd)
		noleak_dup_onto(newfd, 1);
	return ret;
}

NOLEAK_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	NOLEAK_SITE(dup3);
	__typeof__(dup3) *next = NEXT_SET_UP(dup3);
	int ret;

	ret = next ? next(oldfd, newfd, flags)
		   : (int)noleak_raw_result(noleak_raw(SYS_dup3, oldfd, newfd,
						       flags, 0, 0));
	if (ret >= 0)
		noleak_dup_onto(newfd, !(flags & O_CLOEXEC));
	return ret;
}

NOLEAK_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	NOLEAK_SITE(ioctl);
	__typeof__(ioctl) *next = NEXT_SET_UP(ioctl);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	ret = next ? next(fd, request, arg)
		   : (int)noleak_raw_result(noleak_raw(SYS_ioctl, fd,
						       (long)request,
						       (long)arg, 0, 0));
	if (ret == 0 && (request == FIONCLEX || request == FIOCLEX))
		noleak_intent_said(fd, request == FIONCLEX);
	return ret;
}
