/* SPDX-License-Identifier: MIT */
/* raw.c: system calls without libc.
 *
 * The shim needs system calls that no interposer can see (including
 * itself: it wraps syscall()), that never touch errno, and that are safe
 * between vfork and exec.  noleak_raw returns what the kernel returned: a
 * result, or -errno.  A sixth argument, where a call has one, is 0. */
#include "raw.h"

#include <signal.h>
#include <sys/mman.h>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Set once a seccomp filter is in force (wrap-sandbox.c): from then on the
 * library makes no system call of its own. */
int noleak_sandboxed NOLEAK_LOAD_DATA;

NOLEAK_AT_LOAD long noleak_raw(long nr, long a, long b, long c, long d, long e)
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

NOLEAK_AT_LOAD int noleak_raw_getfd(int fd)
{
	return (int)noleak_raw(SYS_fcntl, fd, F_GETFD, 0, 0, 0);
}

int noleak_raw_setfd(int fd, int flags)
{
	return (int)noleak_raw(SYS_fcntl, fd, F_SETFD, flags, 0, 0);
}

void noleak_call_on_stack(void (*fn)(void *), void *arg, void *top)
{
#if defined(__x86_64__)
	/* rbx keeps the old stack pointer across the call (callee-saved, so
	 * fn leaves it alone); top is 16-byte aligned, as the ABI wants
	 * before a call. */
	register void *rdi __asm__("rdi") = arg;

	__asm__ volatile ("mov %%rsp, %%rbx\n\t"
			  "mov %[top], %%rsp\n\t"
			  "call *%[fn]\n\t"
			  "mov %%rbx, %%rsp"
			  : "+r"(rdi)
			  : [top] "r"((unsigned long)top & ~15UL), [fn] "r"(fn)
			  : "rbx", "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10",
			    "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
			    "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
			    "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#elif defined(__aarch64__)
	register void *x0 __asm__("x0") = arg;

	__asm__ volatile ("mov x19, sp\n\t"
			  "mov sp, %[top]\n\t"
			  "blr %[fn]\n\t"
			  "mov sp, x19"
			  : "+r"(x0)
			  : [top] "r"((unsigned long)top & ~15UL), [fn] "r"(fn)
			  : "x19", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",
			    "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
			    "x17", "x18", "x30", "memory", "cc");
#else
#error "noleak_call_on_stack needs porting to this architecture"
#endif
}

/* memcheck follows the stack pointer, and takes a jump to memory it does
 * not know as a stack for the frames of a very deep one: told, it knows
 * the mapping for what it is (a client request, a few instructions that
 * do nothing outside valgrind). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef VALGRIND_STACK_REGISTER
#define VALGRIND_STACK_REGISTER(lo, hi) 0
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

/* Signals are blocked while fn runs there: a handler of the program's
 * would otherwise run on a stack of the library's size, not the one the
 * program gave it (a handler with a large buffer overran it), and would
 * find the library's work half done.  It runs when fn is done. */
int noleak_on_own_stack(void (*fn)(void *), void *arg, size_t size)
{
	long stack = noleak_raw(SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1);
	unsigned long all = ~0UL, mask;
	unsigned id;

	if (stack < 0 && stack > -4096)
		return -1;
	noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&mask, 8, 0);
	id = VALGRIND_STACK_REGISTER(stack, stack + (long)size);
	noleak_call_on_stack(fn, arg, (void *)(stack + (long)size));
	VALGRIND_STACK_DEREGISTER(id);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0);
	noleak_raw(SYS_munmap, stack, (long)size, 0, 0, 0);
	return 0;
}
