/* SPDX-License-Identifier: MIT */
/* rawdup.h: dup by a syscall instruction, for the tests that need a
 * descriptor no interposer saw made (tests/stack.c, tests/smallstack.c);
 * and F_GETFD the same way, for the tests that look at the flag the
 * kernel holds (the library's fcntl shows a program none of its own). */
#ifndef NOLEAK_TESTS_RAWDUP_H
#define NOLEAK_TESTS_RAWDUP_H

#include <sys/syscall.h>
#include <unistd.h>

/* dup(fd) without libc, so the new descriptor lacks close-on-exec and no
 * wrapper recorded it. */
static inline int raw_dup(int fd)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile ("syscall" : "=a"(ret) : "a"((long)SYS_dup), "D"((long)fd)
			  : "rcx", "r11", "memory");
	return (int)ret;
#else
	return (int)syscall(SYS_dup, fd);
#endif
}

/* fcntl(fd, F_GETFD) without libc: the kernel's flags, the library's
 * close-on-exec included. */
static inline int raw_getfd(int fd)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile ("syscall" : "=a"(ret)
			  : "a"((long)SYS_fcntl), "D"((long)fd), "S"(1L /* F_GETFD */)
			  : "rcx", "r11", "memory");
	return (int)ret;
#else
	return (int)syscall(SYS_fcntl, fd, 1 /* F_GETFD */);
#endif
}

#endif
