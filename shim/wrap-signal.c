/* SPDX-License-Identifier: MIT */
/* wrap-signal.c: sigaction signal bsd_signal sysv_signal __sysv_signal
 * sigset sigignore.
 *
 * These create no descriptor.  They are wrapped so that a child can be
 * given the signal dispositions the daemon started with (NOLEAK_SIGNALS=
 * restore) without reading /proc/self/status at start-up and at every
 * exec: the first time the program changes a signal, its disposition
 * before the change is the one it started with, and is recorded then.  At
 * exec only the signals changed so far are looked at (wrap-exec.c).
 *
 * Every wrapper records before it forwards, so a call that fails records
 * nothing wrong (the disposition it read is still the one in force).
 * glibc's signal() and sigset() call the hidden __sigaction (signal/
 * signal.c, sysdeps/posix/sigset.c), so each name is wrapped on its own. */
#include "noleak.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

/* glibc's own name for sigaction, exported but not declared. */
extern __typeof__(sigaction) __sigaction;

/* The next definition, or glibc's own __sigaction when this thread is
 * still binding (a constructor that runs before ours). */
NOLEAK_EXPORT int sigaction(int sig, const struct sigaction *act,
			    struct sigaction *old)
{
	__typeof__(sigaction) *next = NEXT_SET_UP(sigaction);

	if (act)
		noleak_sig_touch(sig);
	return next ? next(sig, act, old) : __sigaction(sig, act, old);
}

/* The handler-returning forms: each forwards to its own next symbol, which
 * may not exist in every C library. */
static __sighandler_t set_handler(__sighandler_t (*next)(int, __sighandler_t),
				  int sig, __sighandler_t handler)
{
	noleak_sig_touch(sig);
	if (!next) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return next(sig, handler);
}

NOLEAK_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	return set_handler(NEXT_BOUND(signal), sig, handler);
}

NOLEAK_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
	return set_handler(NEXT_BOUND(bsd_signal), sig, handler);
}

NOLEAK_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
	return set_handler(NEXT_BOUND(sysv_signal), sig, handler);
}

NOLEAK_EXPORT __sighandler_t __sysv_signal(int sig, __sighandler_t handler)
{
	return set_handler(NEXT_BOUND(__sysv_signal), sig, handler);
}

NOLEAK_EXPORT __sighandler_t sigset(int sig, __sighandler_t handler)
{
	return set_handler(NEXT_BOUND(sigset), sig, handler);
}

NOLEAK_EXPORT int sigignore(int sig)
{
	__typeof__(sigignore) *next = NEXT_BOUND(sigignore);

	noleak_sig_touch(sig);
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	return next(sig);
}
