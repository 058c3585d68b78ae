/* raw.c: system calls without libc.
 *
 * The shim needs system calls that no interposer (including itself, since
 * it may wrap syscall()) can see, that never touch errno, and that are safe
 * between vfork and exec.  noleak_raw returns what the kernel returned: a
 * result, or -errno. */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

long noleak_raw(long nr, long a, long b, long c, long d, long e)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;

	__asm__ volatile ("syscall"
			  : "=a"(ret)
			  : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			  : "rcx", "r11", "memory");
	return ret;
#else
	/* Elsewhere, through libc's syscall(3); errno is put back. */
	int saved = errno;
	long ret = syscall(nr, a, b, c, d, e);

	if (ret == -1)
		ret = -errno;
	errno = saved;
	return ret;
#endif
}

int noleak_raw_getfd(int fd)
{
	return (int)noleak_raw(SYS_fcntl, fd, F_GETFD, 0, 0, 0);
}

int noleak_raw_setfd(int fd, int flags)
{
	return (int)noleak_raw(SYS_fcntl, fd, F_SETFD, flags, 0, 0);
}
