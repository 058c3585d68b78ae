/* SPDX-License-Identifier: MIT */
/* wrap-syscall.c: syscall(), when a program uses it to make descriptors
 * or to exec directly.
 *
 * Code written before glibc had wrappers (memfd_create before 2.27,
 * openat2, pidfd_*) calls syscall(SYS_x, ...).  The same flags are added
 * as in the wrappers, and the forms without flags become the forms with
 * them.  What the program says about inheritance through syscall() (dup2,
 * dup3, F_SETFD, FIONCLEX, close_range) is noted as for the libc calls.  A
 * syscall instruction issued without libc cannot be seen at all; the
 * exec-time sweep catches what it makes. */
#include "noleak.h"
#include "exec.h"
#include "close-range.h"

#include <errno.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* Debian 12's <sys/syscall.h> has all of these; an older one would
 * silently compile the table entries out, so the x86_64 numbers are given
 * here (arch/x86/entry/syscalls/syscall_64.tbl). */
#ifdef __x86_64__
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
#endif

#ifndef PERF_FLAG_FD_CLOEXEC
#define PERF_FLAG_FD_CLOEXEC (1UL << 3)
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef FSPICK_CLOEXEC
#define FSPICK_CLOEXEC 0x00000001
#endif

/* Calls that take a close-on-exec bit in one argument and return one new
 * descriptor.  Those that make descriptors always close-on-exec take no
 * such bit and are not listed: pidfd_open and pidfd_getfd
 * (kernel/pid.c, kernel/fork.c), io_uring_setup (io_uring/io_uring.c),
 * landlock_create_ruleset (security/landlock/syscalls.c) and seccomp's
 * SECCOMP_FILTER_FLAG_NEW_LISTENER (kernel/seccomp.c). */
static const struct {
	long nr;
	int arg;
	long bit;
} flagged[] = {
	{ SYS_openat, 2, O_CLOEXEC },
	{ SYS_open_by_handle_at, 2, O_CLOEXEC },
	{ SYS_socket, 1, SOCK_CLOEXEC },
	{ SYS_accept4, 3, SOCK_CLOEXEC },
	{ SYS_epoll_create1, 0, EPOLL_CLOEXEC },
	{ SYS_eventfd2, 1, EFD_CLOEXEC },
	{ SYS_timerfd_create, 1, TFD_CLOEXEC },
	{ SYS_inotify_init1, 0, IN_CLOEXEC },
	{ SYS_memfd_create, 1, MFD_CLOEXEC },
	{ SYS_fanotify_init, 0, FAN_CLOEXEC },
	{ SYS_userfaultfd, 0, O_CLOEXEC },
	{ SYS_perf_event_open, 4, PERF_FLAG_FD_CLOEXEC },
#ifdef SYS_fsopen
	{ SYS_fsopen, 1, FSOPEN_CLOEXEC },
#endif
#ifdef SYS_fsmount
	{ SYS_fsmount, 1, FSMOUNT_CLOEXEC },
#endif
#ifdef SYS_open_tree
	{ SYS_open_tree, 2, O_CLOEXEC },
#endif
#ifdef SYS_fspick
	{ SYS_fspick, 2, FSPICK_CLOEXEC },
#endif
#ifdef SYS_memfd_secret
	{ SYS_memfd_secret, 0, O_CLOEXEC },
#endif
#ifdef SYS_open
	{ SYS_open, 1, O_CLOEXEC },
#endif
};

/* Rewrite the forms without flags into the forms with them: other system
 * calls, so never in a sandbox (wrap-sandbox.c). */
static long upgrade(long nr, long a[6])
{
	if (noleak_sandboxed)
		return nr;
	switch (nr) {
#ifdef SYS_creat
	case SYS_creat:	/* (path, mode) -> (AT_FDCWD, path, flags, mode) */
		a[3] = a[1];
		a[2] = O_CREAT | O_WRONLY | O_TRUNC;
		a[1] = a[0];
		a[0] = AT_FDCWD;
		return SYS_openat;
#endif
	case SYS_accept:
		a[3] = 0;
		return SYS_accept4;
#ifdef SYS_pipe
	case SYS_pipe:
		a[1] = 0;
		return SYS_pipe2;
#endif
	case SYS_dup:
		a[1] = F_DUPFD;
		a[2] = 0;
		return SYS_fcntl;
#ifdef SYS_epoll_create
	case SYS_epoll_create:
		if (a[0] <= 0)
			return nr;	/* keep the EINVAL */
		a[0] = 0;
		return SYS_epoll_create1;
#endif
#ifdef SYS_eventfd
	case SYS_eventfd:
		a[1] = 0;
		return SYS_eventfd2;
#endif
#ifdef SYS_signalfd
	case SYS_signalfd:
		a[3] = 0;
		return SYS_signalfd4;
#endif
#ifdef SYS_inotify_init
	case SYS_inotify_init:
		a[0] = 0;
		return SYS_inotify_init1;
#endif
	}
	return nr;
}

/* The call itself, through the next syscall() when there is one. */
static long call(long nr, const long a[6])
{
	__typeof__(syscall) *next = NEXT_SET_UP(syscall);

	if (next)
		return next(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	return noleak_raw_result(noleak_raw(nr, a[0], a[1], a[2], a[3], a[4]));
}

/* The largest struct open_how the kernel reads: copy_struct_from_user()
 * takes any size from OPEN_HOW_SIZE_VER0 (24) up to a page, and a larger
 * struct than it knows only when the tail is zero (fs/open.c, openat2). */
enum { OPEN_HOW_MIN = 24, OPEN_HOW_MAX = 4096 };	/* VER0, a page */

/* openat2(dirfd, path, how, size) with O_CLOEXEC added to a copy of *how:
 * the caller's struct is never written.  Every size the kernel accepts is
 * copied whole, tail included, so the kernel judges the same bytes; a size
 * it refuses (E2BIG, EINVAL) or a NULL how goes through unchanged.  Returns
 * what the call returns.  Out of line: only this call pays for the page on
 * the stack. */
static __attribute__((noinline)) long openat2_cloexec(long a[6])
{
	unsigned long long buf[OPEN_HOW_MAX / sizeof(unsigned long long)];
	size_t size = (size_t)a[3];
	struct open_how *how = (struct open_how *)buf;
	int added;
	long ret;

	if (!a[2] || size < OPEN_HOW_MIN || size > OPEN_HOW_MAX)
		return call(SYS_openat2, a);
	__builtin_memcpy(buf, (const void *)a[2], size);
	added = !(how->flags & O_CLOEXEC);
	how->flags |= O_CLOEXEC;
	a[2] = (long)how;
	ret = call(SYS_openat2, a);
	if (ret >= 0)
		noleak_track_new((int)ret, added);
	return ret;
}

/* After a call that succeeded: what the program said about inheritance
 * through syscall() counts as it does through the libc calls
 * (wrap-pipe-dup.c): the target of dup2 and dup3, F_SETFD, FIOCLEX and
 * FIONCLEX.  close_range(CLOSE_RANGE_CLOEXEC) is the program marking a
 * range itself. */
static void said(long nr, const long a[6], long ret)
{
	if (ret < 0)
		return;
	switch (nr) {
#ifdef SYS_dup2
	case SYS_dup2:		/* dup2(fd, fd) changes nothing */
		if ((int)a[0] != (int)a[1])
			noleak_dup_onto((int)a[1], 1);
		break;
#endif
	case SYS_dup3:
		noleak_dup_onto((int)a[1], !(a[2] & O_CLOEXEC));
		break;
	case SYS_fcntl:
		if ((int)a[1] == F_SETFD)
			noleak_intent_said((int)a[0], !(a[2] & FD_CLOEXEC));
		break;
	case SYS_ioctl:
		if ((unsigned int)a[1] == FIOCLEX || (unsigned int)a[1] == FIONCLEX)
			noleak_intent_said((int)a[0], (unsigned int)a[1] == FIONCLEX);
		break;
#ifdef SYS_close_range
	case SYS_close_range:
		if ((unsigned int)a[2] & CLOSE_RANGE_CLOEXEC)
			noleak_intent_drop_range((unsigned int)a[0],
						 (unsigned int)a[1]);
		break;
#endif
	}
}

/* Ask for close-on-exec in the arguments of a call that makes one
 * descriptor; returns whether the shim added it, or -1 when the call makes
 * none this way.  A disposition changed behind sigaction is noted. */
static int ask_cloexec(long nr, long a[6])
{
	for (size_t i = 0; i < sizeof(flagged) / sizeof(flagged[0]); i++) {
		if (flagged[i].nr == nr) {
			int added = !(a[flagged[i].arg] & flagged[i].bit);

			a[flagged[i].arg] |= flagged[i].bit;
			return added;
		}
	}
	switch (nr) {
	case SYS_rt_sigaction:
		if (a[1])
			noleak_sig_touch((int)a[0]);
		return -1;
	case SYS_signalfd4:	/* only fd -1 makes a new descriptor */
		if ((int)a[0] != -1)
			return -1;
		if (a[3] & SFD_CLOEXEC)
			return 0;
		a[3] |= SFD_CLOEXEC;
		return 1;
	case SYS_fcntl:
		if ((int)a[1] == F_DUPFD) {
			a[1] = F_DUPFD_CLOEXEC;
			return 1;
		}
		return (int)a[1] == F_DUPFD_CLOEXEC ? 0 : -1;
	}
	return -1;
}

/* pipe2 (fds, flags) and socketpair (domain, type, protocol, fds). */
static long make_pair(long nr, long a[6])
{
	long bit = nr == SYS_pipe2 ? O_CLOEXEC : SOCK_CLOEXEC, ret;
	int *fds = (int *)(nr == SYS_pipe2 ? a[0] : a[3]);
	int added = !(a[1] & bit);

	a[1] |= bit;
	ret = call(nr, a);
	if (ret == 0) {
		noleak_track_new(fds[0], added);
		noleak_track_new(fds[1], added);
	}
	return ret;
}

/* execve and execveat through syscall() are the exec family's own path
 * (exec.c): the same decision of what reaches the new program, the same
 * environment and signals, and the kernel's answer to bad arguments. */
static long exec_call(long nr, const long a[6])
{
	struct noleak_target t = { NOLEAK_EXEC_VE, AT_FDCWD,
				   UNTRUSTED((const char *)a[0]), 0, -1 };
	char *const *argv = (char *const *)a[1], *const *envp = (char *const *)a[2];

	noleak_init();
	if (nr == SYS_execveat) {
		t.kind = NOLEAK_EXEC_AT;
		t.dirfd = (int)a[0];
		t.path = UNTRUSTED((const char *)a[1]);
		t.flags = (int)a[4];
		if ((t.flags & AT_EMPTY_PATH) && noleak_path_empty(t.path))
			t.fd_to_run = t.dirfd;
		argv = (char *const *)a[2];
		envp = (char *const *)a[3];
		NEXT_BOUND(execveat);
	} else {
		NEXT_BOUND(execve);
	}
	return noleak_exec_run(&t, argv, envp);
}

/* seccomp(SECCOMP_SET_MODE_FILTER or _STRICT), or prctl(PR_SET_SECCOMP),
 * through syscall(): libseccomp's seccomp_load, and programs written
 * before glibc had a wrapper.  As through prctl() (wrap-sandbox.c). */
static int installs_filter(long nr, const long a[6])
{
	if (nr == SYS_seccomp)
		return a[0] == SECCOMP_SET_MODE_FILTER || a[0] == SECCOMP_SET_MODE_STRICT;
	return nr == SYS_prctl && a[0] == PR_SET_SECCOMP &&
	       (a[1] == SECCOMP_MODE_FILTER || a[1] == SECCOMP_MODE_STRICT);
}

static long filter_call(long nr, const long a[6])
{
	long ret;

	noleak_sandbox_entering();
	ret = call(nr, a);
	if (ret == 0)
		__atomic_store_n(&noleak_sandboxed, 1, __ATOMIC_RELEASE);
	return ret;
}

/* A descriptor closed through syscall() is forgotten as through close()
 * and close_range() (wrap-close.c). */
static void closing(long nr, const long a[6])
{
	if (nr == SYS_close)
		noleak_fd_closed((int)a[0]);
	else if (nr == SYS_close_range && !((unsigned int)a[2] & CLOSE_RANGE_CLOEXEC))
		noleak_fds_closed((unsigned int)a[0], (unsigned int)a[1]);
}

/* F_GETFD through syscall() answers as through fcntl() (wrap-pipe-dup.c):
 * the shim's own flag is not the program's to see. */
static long shown(long nr, const long a[6], long ret)
{
	if (nr == SYS_fcntl && (int)a[1] == F_GETFD && ret > 0 &&
	    (ret & FD_CLOEXEC) && noleak_added_test((int)a[0]))
		ret &= ~FD_CLOEXEC;
	return ret;
}

NOLEAK_EXPORT long syscall(long nr, ...)
{
	NOLEAK_SITE(syscall);
	long a[6], ret;
	int added;
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (nr == SYS_execve || nr == SYS_execveat)
		return exec_call(nr, a);
	if (installs_filter(nr, a))
		return filter_call(nr, a);
	closing(nr, a);
	if (noleak_asleep())
		return shown(nr, a, call(nr, a));
	nr = upgrade(nr, a);
	if (nr == SYS_openat2)	/* flags live in a struct of a given size */
		return openat2_cloexec(a);
	if (nr == SYS_pipe2 || nr == SYS_socketpair)
		return make_pair(nr, a);
	added = ask_cloexec(nr, a);
	ret = call(nr, a);
	if (added >= 0 && ret >= 0)
		noleak_track_new((int)ret, added);
	else
		said(nr, a, ret);
	return shown(nr, a, ret);
}
