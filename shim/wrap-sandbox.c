/* SPDX-License-Identifier: MIT */
/* wrap-sandbox.c: prctl, for PR_SET_SECCOMP; and what the library does
 * once a seccomp filter is in force.
 *
 * A sandboxed process (OpenSSH's privilege-separated child, a browser's
 * content process, systemd's SystemCallFilter=, bubblewrap) allows the
 * system calls it makes and nothing else, and a call outside the list
 * kills it (SECCOMP_RET_KILL_PROCESS), traps (RET_TRAP) or fails
 * (RET_ERRNO).  So once a filter is in force the library makes none of its
 * own: it learns of the filter as the program installs it (this prctl, and
 * syscall(SYS_seccomp) and syscall(SYS_prctl) in wrap-syscall.c), where it
 * can still set itself up and say what is lost; or, for a filter installed
 * behind its back, when a call it put in place of the program's is refused
 * (noleak_refused), and then makes the program's own call.
 *
 * A filter the process came with is not the program's own list of calls:
 * a container's default profile answers EPERM to whatever it does not
 * know, and the library goes on protecting there, falling back where a
 * call of its own is refused, as on an older kernel (tests/faults.sh). */
#include "noleak.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>



static void say_lost(void)
{
	static int said;
	struct noleak_line l;

	if (__atomic_exchange_n(&said, 1, __ATOMIC_ACQ_REL))
		return;
	noleak_line_begin(&l);
	noleak_line_str(&l, "a seccomp filter is in force: from here on the library "
			"makes no system call of its own; accept, pipe, dup, "
			"epoll_create and inotify_init make descriptors without "
			"close-on-exec, and nothing is swept when a program starts");
	noleak_line_emit(&l);
}

/* A filter the program installs in plain sight is its own business: the
 * line is for an operator who asked for reports. */
void noleak_sandbox_entering(void)
{
	noleak_init();
	noleak_next_bind();
	if (noleak_reporting)
		say_lost();
	/* The filter is inherited by every program this process starts,
	 * which loads the library too (tree scope, host-wide, or process
	 * scope, whose environment the library no longer rewrites here): it
	 * must know before its first system call.  Only the environment
	 * crosses an exec; setenv, before the filter, while every call is
	 * allowed. */
	setenv("_NOLEAK_SANDBOX", "1", 1);
}

int noleak_refused(int err, int eperm)
{
	if (err != ENOSYS && !(eperm && err == EPERM))
		return 0;
	if (!__atomic_exchange_n(&noleak_sandboxed, 1, __ATOMIC_ACQ_REL))
		say_lost();
	return 1;
}

/* prctl's arguments are four unsigned longs after the option, whatever
 * the option reads (sys/prctl.h, misc/prctl.c does the same). */
NOLEAK_EXPORT int prctl(int option, ...)
{
	__typeof__(prctl) *next = NEXT_BOUND(prctl);
	unsigned long a[4];
	va_list ap;
	int installs, ret;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	installs = option == PR_SET_SECCOMP &&
		   (a[0] == SECCOMP_MODE_FILTER || a[0] == SECCOMP_MODE_STRICT);
	if (installs)
		noleak_sandbox_entering();
	ret = next ? next(option, a[0], a[1], a[2], a[3])
		   : (int)noleak_raw_result(noleak_raw(SYS_prctl, option, (long)a[0],
						       (long)a[1], (long)a[2], (long)a[3]));
	if (installs && ret == 0)
		__atomic_store_n(&noleak_sandboxed, 1, __ATOMIC_RELEASE);
	return ret;
}
