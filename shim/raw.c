/* raw.c: system calls without libc.
 *
 * The shim needs system calls that no interposer can see (including
 * itself: it wraps syscall()), that never touch errno, and that are safe
 * between vfork and exec.  noleak_raw returns what the kernel returned: a
 * result, or -errno.  A sixth argument, where a call has one, is 0. */
#include "noleak.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

long noleak_raw(long nr, long a, long b, long c, long d, long e)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = 0;	/* a sixth argument, always 0
						   (process_vm_readv's flags) */

	__asm__ volatile ("syscall"
			  : "=a"(ret)
			  : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			    "r"(r9)
			  : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = 0;	/* a sixth argument, always 0 */

	__asm__ volatile ("svc #0"
			  : "+r"(x0)
			  : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			  : "memory");
	return x0;
#else
	/* libc's syscall() is wrapped by the shim itself (wrap-syscall.c),
	 * so it cannot serve here. */
#error "noleak_raw needs porting to this architecture"
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
