/* SPDX-License-Identifier: MIT */
/* raw.c: system calls without libc.
 *
 * The shim needs system calls that no interposer can see (including
 * itself: it wraps syscall()), that never touch errno, and that are safe
 * between vfork and exec.  noleak_raw returns what the kernel returned: a
 * result, or -errno.  A sixth argument, where a call has one, is 0.
 *
 * x86_64 only.  libc's syscall() cannot serve instead (the shim wraps it:
 * wrap-syscall.c), and a port is more than the system call: the switch to
 * a stack of the shim's own (noleak_call_on_stack) must name every
 * register the callee may clobber, SIMD ones included; CI builds and
 * tests amd64 alone, so a port would go unchecked. */
#if !defined(__x86_64__)
#error "noleak supports x86_64 only: shim/raw.c needs porting (README.md)"
#endif

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
}

NOLEAK_AT_LOAD int noleak_raw_getfd(int fd)
{
	return (int)noleak_raw(SYS_fcntl, fd, F_GETFD, 0, 0, 0);
}

int noleak_raw_setfd(int fd, int flags)
{
	return (int)noleak_raw(SYS_fcntl, fd, F_SETFD, flags, 0, 0);
}

/* What a build for AVX-512 (-march=skylake-avx512 and later) adds to the
 * registers a call may clobber: xmm16-31 and the mask registers, which
 * the compiler may otherwise keep live across the switch.  Named only
 * there: GCC refuses the mask registers on a target without them. */
#if defined(__AVX512F__)
#define AVX512_CLOBBERS , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", \
	"xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", \
	"xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#else
#define AVX512_CLOBBERS
#endif

void noleak_call_on_stack(void (*fn)(void *), void *arg, void *top)
{
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
			    "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
			    AVX512_CLOBBERS);
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
