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
 * A filter the process came with (a parent installed it, then started
 * the program: systemd's SystemCallFilter=, bwrap --seccomp, a container)
 * is found at load, before any call of the library's own
 * (noleak_filtered_from_start), and taken the same way: it may be a list
 * of exactly the calls the program makes.  NOLEAK_SECCOMP=trust says it
 * is not (a container runtime's default profile, systemd's
 * @system-service, which answer EPERM to what they do not list): the
 * library goes on protecting, falling back where a call of its own is
 * refused with an error, as on an older kernel (tests/faults.sh). */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
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

/* Whether the process started under a seccomp filter: "Seccomp:" in
 * /proc/self/status is 1 or 2 (proc(5)).  Asked with the three calls the
 * loader itself made to load the library (openat, read, close), before
 * any other of the library's: a filter that lets the program start lets
 * these through.  In pieces of 512 bytes (the line is about 900 bytes
 * in): little stack, in every process's start.  Without /proc (a chroot,
 * a mount namespace that hides it): as without a filter.  Asked once (a
 * wrapper called by another library's constructor, before ours, asks
 * first). */
static int filtered NOLEAK_LOAD_DATA;	/* 0 not asked, 1 no, 2 yes */

NOLEAK_AT_LOAD int noleak_filtered_from_start(void)
{
	/* On the stack, filled from immediates: no .rodata page at load. */
	const char path[] = "/proc/self/status", key[] = "\nSeccomp:\t";
	enum { PIECE = 512, KEY = sizeof(key) - 1 };
	char buf[KEY + PIECE];
	long fd, kept = 0, n;
	int found = 0;

	if (filtered)
		return filtered == 2;
	fd = noleak_raw(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0);
	filtered = 1;
	if (fd < 0)
		return 0;
	while (!found && (n = noleak_raw(SYS_read, fd, (long)(buf + kept), PIECE, 0, 0)) > 0) {
		long end = kept + n;

		/* No memcmp: a libc function's first call is a symbol
		 * lookup for the loader, in every process. */
		for (long i = 0; !found && i + KEY < end; i++) {
			long k = 0;

			while (k < KEY && buf[i + k] == key[k])
				k++;
			if (k == KEY)
				found = buf[i + KEY] == '0' ? -1 : 1;
		}
		/* The last KEY bytes again, in case the key spans two pieces. */
		kept = end < KEY ? end : KEY;
		for (long i = 0; i < kept; i++)
			buf[i] = buf[end - kept + i];
	}
	noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	if (found > 0)
		filtered = 2;
	return found > 0;
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
